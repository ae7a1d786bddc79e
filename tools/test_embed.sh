#!/usr/bin/env bash
# test_embed.sh - end-to-end check of tools/embed.c (ctest: tools/embed).
#
# Usage: tools/test_embed.sh PATH/TO/spider_embed
#
# Makes files in a temp dir (text, every byte 0..255, empty, incompressible,
# large, duplicate content, odd names), runs the generator, compiles its output
# with src/web/assets.c and a small driver (plain cc, no sanitizers, the
# project's warning flags), and checks for every file: raw == the file,
# gunzip(gz) == raw, a gzip header with mtime 0, the Content-Type, the ETag
# format, equal ETags exactly for equal bytes, and web_asset_find. Then checks
# that the output is deterministic (twice, and from another directory) and that
# bad input fails with a message and leaves no output behind.
set -euo pipefail

embed=${1:?usage: test_embed.sh PATH/TO/spider_embed}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/test_embed.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

fail() {
    echo "embed test FAILED: $*" >&2
    exit 1
}

# --- inputs --------------------------------------------------------------
d=$tmp/in
mkdir -p "$d/js"
printf '%s\n' '<!doctype html><meta charset="utf-8"><title>T</title>' >"$d/index.html"
printf 'export const x = 1;\n' >"$d/js/app.js"
cp "$d/js/app.js" "$d/js/copy.js" # same bytes: same ETag
printf 'export const x = 2;\n' >"$d/js/other.mjs"
printf 'body{color:red}\n' >"$d/style.CSS" # extension match ignores case
printf '<svg xmlns="http://www.w3.org/2000/svg"/>\n' >"$d/icon.svg"
printf '{"a":1}\n' >"$d/data.json"
printf '\211PNG\r\n\032\n' >"$d/logo.png"
printf '\000\000\001\000' >"$d/favicon.ico"
for i in $(seq 0 255); do printf '%b' "\\0$(printf '%03o' "$i")"; done >"$d/bytes.bin"
: >"$d/empty"
seq 1 40000 >"$d/big.txt"                         # many array lines, compresses well
head -c 70000 /dev/urandom >"$d/random.dat"       # incompressible: gz > raw
printf 'a{}\n' >"$d/a=b.css"                      # '=' in the disk path
printf 'q\n' >"$d/quote.txt"                      # URL path that needs C escapes

[ "$(wc -c <"$d/bytes.bin")" -eq 256 ] || fail "could not make the 0..255 test file"

# Triples: disk path, URL path, expected Content-Type.
spec=(
    "$d/index.html" /index.html "text/html; charset=utf-8"
    "$d/js/app.js" /js/app.js "text/javascript; charset=utf-8"
    "$d/js/copy.js" /js/copy.js "text/javascript; charset=utf-8"
    "$d/js/other.mjs" /js/other.mjs "text/javascript; charset=utf-8"
    "$d/style.CSS" /style.CSS "text/css; charset=utf-8"
    "$d/icon.svg" /icon.svg "image/svg+xml"
    "$d/data.json" /data.json "application/json"
    "$d/logo.png" /img/logo.png "image/png"
    "$d/favicon.ico" /favicon.ico "image/x-icon"
    "$d/bytes.bin" /bytes.bin "application/octet-stream"
    "$d/empty" /empty "application/octet-stream"
    "$d/big.txt" /big.txt "text/plain; charset=utf-8"
    "$d/random.dat" /random.dat "application/octet-stream"
    "$d/a=b.css" /a.css "text/css; charset=utf-8"
    "$d/quote.txt" '/we"ird\?.txt' "text/plain; charset=utf-8"
)
pairs=()
for ((i = 0; i < ${#spec[@]}; i += 3)); do
    pairs+=("${spec[i]}=${spec[i + 1]}")
done
nfiles=${#pairs[@]}

# --- generate, twice, and once from a copy elsewhere ----------------------
"$embed" "$tmp/out1.c" "${pairs[@]}" || fail "embed exited $? on good input"
[ -s "$tmp/out1.c" ] || fail "embed succeeded but wrote no $tmp/out1.c"
"$embed" "$tmp/out2.c" "${pairs[@]}" || fail "embed exited $? on good input (2nd run)"
cmp -s "$tmp/out1.c" "$tmp/out2.c" || fail "output differs between two runs on the same input"
cp -R "$d" "$tmp/moved"
"$embed" "$tmp/out3.c" "${pairs[@]//"$d/"/"$tmp/moved/"}" || fail "embed exited $? (moved input)"
cmp -s "$tmp/out1.c" "$tmp/out3.c" || fail "output depends on where the input files are"
[ ! -e "$tmp/out1.c.tmp" ] || fail "embed left its temporary file behind"

# --- compile and run the driver -------------------------------------------
cat >"$tmp/driver.c" <<'EOF'
/* Checks a generated web_assets.c against the files it was made from.
 * argv: triples of disk path, URL path, expected Content-Type. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "web/assets.h"

static int failures;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "driver: %s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);     \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

static unsigned char *slurp(const char *name, size_t *len)
{
    FILE *f = fopen(name, "rb");
    unsigned char *p = NULL;
    size_t n = 0, cap = 0, got;

    if (f == NULL) {
        perror(name);
        exit(1);
    }
    do {
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            p = realloc(p, cap);
            if (p == NULL)
                exit(1);
        }
        got = fread(p + n, 1, cap - n, f);
        n += got;
    } while (got > 0);
    if (ferror(f)) {
        perror(name);
        exit(1);
    }
    fclose(f);
    *len = n;
    return p;
}

/* gunzip with automatic header detection (15 + 32); returns a malloc'd copy. */
static unsigned char *gunzip(const unsigned char *gz, size_t gz_len, size_t limit, size_t *len)
{
    z_stream zs;
    unsigned char *out = malloc(limit + 1);
    int zr;

    memset(&zs, 0, sizeof(zs));
    if (out == NULL || inflateInit2(&zs, 15 + 32) != Z_OK)
        exit(1);
    zs.next_in = (unsigned char *)gz;
    zs.avail_in = (uInt)gz_len;
    zs.next_out = out;
    zs.avail_out = (uInt)(limit + 1);
    zr = inflate(&zs, Z_FINISH);
    *len = zs.total_out;
    CHECK(zr == Z_STREAM_END, "inflate returned %d", zr);
    CHECK(zs.avail_in == 0, "%u bytes after the gzip stream", zs.avail_in);
    inflateEnd(&zs);
    return out;
}

static int is_etag(const char *e)
{
    if (strlen(e) != 18 || e[0] != '"' || e[17] != '"')
        return 0;
    for (int i = 1; i < 17; i++) {
        if (strchr("0123456789abcdef", e[i]) == NULL)
            return 0;
    }
    return 1;
}

int main(int argc, char **argv)
{
    size_t n = (size_t)(argc - 1) / 3;

    CHECK(web_assets_count == n, "web_assets_count %zu, expected %zu", web_assets_count, n);
    for (size_t i = 0; i < n; i++) {
        const char *file = argv[1 + 3 * i], *url = argv[2 + 3 * i], *type = argv[3 + 3 * i];
        const web_asset_t *a = web_asset_find(url, strlen(url));
        size_t len, plain_len;

        CHECK(a != NULL, "web_asset_find(\"%s\") is NULL", url);
        if (a == NULL)
            continue;
        CHECK(a == &web_assets[i], "%s: table order differs from the command line", url);
        CHECK(strcmp(a->path, url) == 0, "path \"%s\", expected \"%s\"", a->path, url);
        CHECK(strcmp(a->content_type, type) == 0, "%s: type \"%s\", expected \"%s\"", url,
              a->content_type, type);
        CHECK(is_etag(a->etag), "%s: bad ETag %s", url, a->etag);

        unsigned char *bytes = slurp(file, &len);
        CHECK(a->raw_len == len, "%s: raw_len %zu, file has %zu bytes", url, a->raw_len, len);
        CHECK(a->raw_len != len || len == 0 || memcmp(a->raw, bytes, len) == 0,
              "%s: raw bytes differ from the file", url);

        CHECK(a->gz_len >= 18, "%s: gz_len %zu is too short for gzip", url, a->gz_len);
        if (a->gz_len >= 18) {
            CHECK(a->gz[0] == 0x1f && a->gz[1] == 0x8b && a->gz[2] == 8, "%s: not gzip", url);
            CHECK(a->gz[4] == 0 && a->gz[5] == 0 && a->gz[6] == 0 && a->gz[7] == 0,
                  "%s: gzip mtime is not 0", url);
            unsigned char *plain = gunzip(a->gz, a->gz_len, a->raw_len, &plain_len);
            CHECK(plain_len == a->raw_len, "%s: gunzip gives %zu bytes, raw has %zu", url,
                  plain_len, a->raw_len);
            CHECK(plain_len != a->raw_len || memcmp(plain, a->raw, plain_len) == 0,
                  "%s: gunzip(gz) differs from raw", url);
            free(plain);
        }
        free(bytes);
        printf("  ok %-16s raw %7zu  gz %7zu  %s  %s\n", a->path, a->raw_len, a->gz_len,
               a->etag, a->content_type);
    }

    /* Equal ETags exactly for equal bytes. */
    for (size_t i = 0; i < web_assets_count; i++) {
        for (size_t j = i + 1; j < web_assets_count; j++) {
            const web_asset_t *a = &web_assets[i], *b = &web_assets[j];
            int same = a->raw_len == b->raw_len &&
                       (a->raw_len == 0 || memcmp(a->raw, b->raw, a->raw_len) == 0);
            CHECK(same == (strcmp(a->etag, b->etag) == 0), "%s %s vs %s %s (same bytes: %d)",
                  a->path, a->etag, b->path, b->etag, same);
        }
    }

    /* Lookup edges: "/" is the index, (p, len) need no NUL, no prefix matches. */
    const web_asset_t *index = web_asset_find("/index.html", 11);
    CHECK(index != NULL, "no /index.html");
    CHECK(web_asset_find("/", 1) == index, "\"/\" does not find /index.html");
    CHECK(web_asset_find("/index.htmlXYZ", 11) == index, "(p, len) lookup reads past len");
    CHECK(web_asset_find("/index.htm", 10) == NULL, "a prefix matched");
    CHECK(web_asset_find("/index.html/", 12) == NULL, "a longer path matched");
    CHECK(web_asset_find("/nope", 5) == NULL, "unknown path matched");
    CHECK(web_asset_find("", 0) == NULL, "empty path matched");
    CHECK(web_asset_find(NULL, 0) == NULL, "NULL path matched");

    if (failures)
        fprintf(stderr, "driver: %d check(s) failed\n", failures);
    return failures ? 1 : 0;
}
EOF

cc=cc
command -v "$cc" >/dev/null || fail "no C compiler ('cc') on PATH"
zlib_flags=$(pkg-config --cflags --libs zlib 2>/dev/null || echo -lz)
warn=(-Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla)
# The generated file must also be plain ISO C (no zero-length arrays etc.).
"$cc" -std=c11 -pedantic-errors "${warn[@]}" -I "$root/src" -c "$tmp/out1.c" -o "$tmp/out1.o" ||
    fail "generated file does not compile as ISO C11"
# shellcheck disable=SC2086 # zlib_flags is a word list
"$cc" -std=gnu11 "${warn[@]}" -D_GNU_SOURCE -I "$root/src" "$tmp/out1.o" "$root/src/web/assets.c" \
    "$tmp/driver.c" $zlib_flags -o "$tmp/driver" || fail "driver does not compile"
"$tmp/driver" "${spec[@]}" || fail "driver found mismatches (see above)"

# --- bad input fails loudly and leaves nothing behind ---------------------
expect_failure() {
    local want=$1 what=$2
    shift 2
    local out=$tmp/bad.c code=0
    rm -f "$out" "$out.tmp"
    "$embed" "$out" "$@" >"$tmp/stdout" 2>"$tmp/stderr" || code=$?
    [ "$code" -eq "$want" ] || fail "$what: exit $code, expected $want"
    grep -q '^embed: \|^usage: ' "$tmp/stderr" || fail "$what: no message on stderr"
    if [ -e "$out" ] || [ -e "$out.tmp" ]; then
        fail "$what: left an output file behind"
    fi
    echo "  ok fails: $what: $(head -n 1 "$tmp/stderr")"
}
expect_failure 1 "missing file" "$d/index.html=/index.html" "$d/missing.html=/missing.html"
expect_failure 1 "directory as file" "$d/js=/js"
expect_failure 1 "no '='" "$d/index.html"
expect_failure 1 "URL without '/'" "$d/index.html=index.html"
expect_failure 1 "URL '/'" "$d/index.html=/"
expect_failure 1 "duplicate URL" "$d/index.html=/a.html" "$d/data.json=/a.html"
expect_failure 2 "no files"
code=0
"$embed" "$tmp/no/such/dir/out.c" "$d/index.html=/index.html" 2>"$tmp/stderr" || code=$?
if [ "$code" -ne 1 ] || ! grep -q '^embed: cannot create' "$tmp/stderr"; then
    fail "unwritable output: exit $code, stderr: $(cat "$tmp/stderr")"
fi
echo "  ok fails: unwritable output: $(head -n 1 "$tmp/stderr")"

echo "embed: $nfiles files checked (raw, gzip, ETag, Content-Type, lookup, determinism, errors)"
