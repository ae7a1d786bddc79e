/* embed.c - build-time generator: embeds files into a C source file.
 *
 * Usage: embed OUT.c PATH=URLPATH...
 *
 * For each PATH it reads the bytes, gzips them (zlib, level 9, gzip wrapper
 * with mtime 0 and a fixed OS byte), hashes the raw bytes into a strong ETag
 * (FNV-1a 64, "\"<16 hex>\""), picks a Content-Type from URLPATH's extension
 * with mime_type() (src/core/mime.c, the same table --web-dir serves with),
 * and writes OUT.c: one pair of static arrays (raw, gz) per file and the
 * web_assets[] table declared in src/web/assets.h. The lookup function lives
 * in src/web/assets.c, so the generated file holds data only.
 *
 * The output depends only on the bytes and URL paths given, in the given order
 * (no timestamps, no file names, no host details), so two runs on the same
 * input give identical files. OUT.c is written to OUT.c.tmp and renamed into
 * place, so a failed run never leaves a half-written file that the build would
 * take as up to date. Any failure prints "embed: ..." and exits 1 (usage: 2).
 *
 * Host tool only: never linked into spider; it exits after one run, but still
 * frees what it allocates so LeakSanitizer builds stay quiet.
 */
#define ZLIB_CONST
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/mime.h"

/* Far above any dashboard asset; keeps every length within zlib's uInt. */
#define EMBED_MAX_FILE ((size_t)256 << 20)
/* gzip OS byte 3 (Unix) whatever the build host, for identical output. */
#define EMBED_GZIP_OS 3

typedef struct asset {
    char *file;      /* path on disk (owned copy of the part before '=') */
    const char *url; /* URL path (points into argv) */
    unsigned char *raw;
    size_t raw_len;
    unsigned char *gz;
    size_t gz_len;
    const char *content_type;
    char etag[24]; /* "\"" + 16 hex + "\"" + NUL */
} asset_t;

static void usage(FILE *f)
{
    fputs("usage: embed OUT.c PATH=URLPATH...\n"
          "  Writes OUT.c with each file's raw and gzip bytes, ETag and Content-Type,\n"
          "  as the web_assets[] table of src/web/assets.h. URLPATH starts with '/'.\n"
          "  Example: embed gen/web_assets.c web/index.html=/index.html\n",
          f);
}

/* FNV-1a 64 of the raw bytes: not cryptographic, only has to change when the
 * content changes (a new build with different bytes gets a new ETag). */
static uint64_t fnv1a64(const unsigned char *p, size_t n)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);

    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

/* Reads the whole file into a fresh malloc'd buffer (*out is never NULL on
 * success, even for an empty file). Returns 0, or -1 after printing why. */
static int read_file(const char *name, unsigned char **out, size_t *out_len)
{
    FILE *f = fopen(name, "rb");
    unsigned char *p = NULL;
    size_t len = 0, cap = 0;
    int rc = -1;

    if (f == NULL) {
        fprintf(stderr, "embed: cannot open %s: %s\n", name, strerror(errno));
        return -1;
    }
    for (;;) {
        if (len == cap) {
            if (cap >= EMBED_MAX_FILE) {
                fprintf(stderr, "embed: %s: larger than %zu bytes, refusing to embed\n", name,
                        EMBED_MAX_FILE);
                goto out;
            }
            size_t ncap = cap ? cap * 2 : 65536;
            unsigned char *np = realloc(p, ncap);
            if (np == NULL) {
                fprintf(stderr, "embed: %s: out of memory\n", name);
                goto out;
            }
            p = np;
            cap = ncap;
        }
        size_t want = cap - len;
        size_t got = fread(p + len, 1, want, f);
        len += got;
        if (got < want) {
            if (ferror(f)) {
                fprintf(stderr, "embed: cannot read %s: %s\n", name, strerror(errno));
                goto out;
            }
            break; /* EOF */
        }
    }
    rc = 0;
out:
    if (fclose(f) != 0 && rc == 0) {
        fprintf(stderr, "embed: cannot close %s: %s\n", name, strerror(errno));
        rc = -1;
    }
    if (rc == 0) {
        *out = p;
        *out_len = len;
    } else {
        free(p);
    }
    return rc;
}

/* gzip-compresses (in, n) in one deflate call into a fresh buffer sized by
 * deflateBound. Returns 0, or -1 after printing why. */
static int gzip_bytes(const char *name, const unsigned char *in, size_t n, unsigned char **out,
                      size_t *out_len)
{
    z_stream zs;
    gz_header head;
    unsigned char *buf = NULL;
    int rc = -1, zr;

    memset(&zs, 0, sizeof(zs));
    memset(&head, 0, sizeof(head)); /* mtime 0, no name, no comment */
    head.os = EMBED_GZIP_OS;
    zr = deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY);
    if (zr != Z_OK) {
        fprintf(stderr, "embed: %s: deflateInit2 failed (%d)\n", name, zr);
        return -1;
    }
    zr = deflateSetHeader(&zs, &head);
    if (zr != Z_OK) {
        fprintf(stderr, "embed: %s: deflateSetHeader failed (%d)\n", name, zr);
        goto out;
    }
    uLong bound = deflateBound(&zs, (uLong)n);
    buf = malloc(bound);
    if (buf == NULL) {
        fprintf(stderr, "embed: %s: out of memory\n", name);
        goto out;
    }
    zs.next_in = in;
    zs.avail_in = (uInt)n;
    zs.next_out = buf;
    zs.avail_out = (uInt)bound;
    zr = deflate(&zs, Z_FINISH);
    if (zr != Z_STREAM_END) {
        fprintf(stderr, "embed: %s: deflate failed (%d)\n", name, zr);
        goto out;
    }
    *out = buf;
    *out_len = (size_t)zs.total_out;
    buf = NULL;
    rc = 0;
out:
    deflateEnd(&zs);
    free(buf);
    return rc;
}

/* Writes s as a C string literal; anything but printable ASCII becomes a
 * three-digit octal escape (which cannot run into the next character). */
static void put_cstring(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7f || *p == '?') /* '?': no trigraphs */
            fprintf(f, "\\%03o", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

/* Writes one array, 16 bytes a line. C has no zero-length arrays, so an
 * empty file gets one padding byte; its length in the table stays 0. */
static void put_array(FILE *f, size_t index, const char *kind, const unsigned char *p, size_t n)
{
    fprintf(f, "static const unsigned char asset%zu_%s[%zu] = {", index, kind, n ? n : 1);
    if (n == 0)
        fputs("0", f);
    for (size_t i = 0; i < n; i++) {
        if (i % 16 == 0)
            fputs("\n   ", f);
        fprintf(f, " 0x%02x,", p[i]);
    }
    fputs("\n};\n\n", f);
}

/* Writes the whole generated file to an open stream. Stream errors are sticky,
 * so the caller checks them once (ferror, fflush, fclose) after this. */
static void put_source(FILE *f, const asset_t *assets, size_t count)
{
    fprintf(f,
            "/* web_assets.c - generated by tools/embed.c at build time; do not edit.\n"
            " * %zu file(s): raw and gzip bytes, ETag, Content-Type. See src/web/assets.h. */\n"
            "#include \"web/assets.h\"\n\n",
            count);
    for (size_t i = 0; i < count; i++) {
        put_array(f, i, "raw", assets[i].raw, assets[i].raw_len);
        put_array(f, i, "gz", assets[i].gz, assets[i].gz_len);
    }
    fputs("const web_asset_t web_assets[] = {\n", f);
    for (size_t i = 0; i < count; i++) {
        fputs("    {", f);
        put_cstring(f, assets[i].url);
        fputs(", ", f);
        put_cstring(f, assets[i].content_type);
        fputs(", ", f);
        put_cstring(f, assets[i].etag);
        fprintf(f, ", asset%zu_raw, %zu, asset%zu_gz, %zu},\n", i, assets[i].raw_len, i,
                assets[i].gz_len);
    }
    fputs("};\n\n"
          "const size_t web_assets_count = sizeof(web_assets) / sizeof(web_assets[0]);\n",
          f);
}

/* Splits "PATH=URLPATH" at the last '=' (file paths with '=' still work; URL
 * paths cannot contain one) and checks both halves. Returns 0 or -1. */
static int parse_pair(const char *arg, asset_t *a)
{
    const char *eq = strrchr(arg, '=');

    if (eq == NULL || eq == arg) {
        fprintf(stderr, "embed: bad argument '%s': expected PATH=URLPATH\n", arg);
        return -1;
    }
    a->url = eq + 1;
    if (a->url[0] != '/' || a->url[1] == '\0') {
        fprintf(stderr, "embed: bad URL path in '%s': must start with '/' and name a file\n", arg);
        return -1;
    }
    size_t n = (size_t)(eq - arg);
    a->file = malloc(n + 1);
    if (a->file == NULL) {
        fprintf(stderr, "embed: out of memory\n");
        return -1;
    }
    memcpy(a->file, arg, n);
    a->file[n] = '\0';
    return 0;
}

int main(int argc, char **argv)
{
    asset_t *assets = NULL;
    size_t count = 0;
    char *tmp = NULL;
    FILE *f = NULL;
    int rc = 1;

    if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc < 3) {
        usage(stderr);
        return 2;
    }
    const char *out_path = argv[1];
    count = (size_t)argc - 2;
    assets = calloc(count, sizeof(*assets));
    if (assets == NULL) {
        fprintf(stderr, "embed: out of memory\n");
        goto out;
    }
    for (size_t i = 0; i < count; i++) {
        asset_t *a = &assets[i];
        if (parse_pair(argv[i + 2], a) != 0)
            goto out;
        for (size_t j = 0; j < i; j++) {
            if (strcmp(assets[j].url, a->url) == 0) {
                fprintf(stderr, "embed: URL path %s given twice (%s and %s)\n", a->url,
                        assets[j].file, a->file);
                goto out;
            }
        }
        if (read_file(a->file, &a->raw, &a->raw_len) != 0)
            goto out;
        if (gzip_bytes(a->file, a->raw, a->raw_len, &a->gz, &a->gz_len) != 0)
            goto out;
        snprintf(a->etag, sizeof(a->etag), "\"%016" PRIx64 "\"", fnv1a64(a->raw, a->raw_len));
        a->content_type = mime_type(a->url, strlen(a->url));
    }

    size_t tmp_size = strlen(out_path) + sizeof(".tmp");
    tmp = malloc(tmp_size);
    if (tmp == NULL) {
        fprintf(stderr, "embed: out of memory\n");
        goto out;
    }
    snprintf(tmp, tmp_size, "%s.tmp", out_path);
    f = fopen(tmp, "wb");
    if (f == NULL) {
        fprintf(stderr, "embed: cannot create %s: %s\n", tmp, strerror(errno));
        goto out;
    }
    put_source(f, assets, count);
    int write_failed = ferror(f) || fflush(f) != 0;
    int saved_errno = errno;
    if (fclose(f) != 0 && !write_failed) {
        write_failed = 1;
        saved_errno = errno;
    }
    f = NULL;
    if (write_failed) {
        fprintf(stderr, "embed: cannot write %s: %s\n", tmp, strerror(saved_errno));
        remove(tmp);
        goto out;
    }
    if (rename(tmp, out_path) != 0) {
        fprintf(stderr, "embed: cannot rename %s to %s: %s\n", tmp, out_path, strerror(errno));
        remove(tmp);
        goto out;
    }
    rc = 0;
out:
    for (size_t i = 0; assets != NULL && i < count; i++) {
        free(assets[i].file);
        free(assets[i].raw);
        free(assets[i].gz);
    }
    free(assets);
    free(tmp);
    return rc;
}
