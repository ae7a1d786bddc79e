/* fuzz_selector.c - libFuzzer target for series selectors (core/selector).
 *
 * The input is a selector, in an exact-size buffer (ASan sees overreads).
 * It checks that parsing never crashes or writes its input; a refusal has
 * a message and an offset inside the input; an accepted selector matches
 * the same keys when parsed again, and matching a few keys (plain, with
 * labels, with escapes, with braces in the name, the longest) never fails.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/selector.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const keys[] = {
    "api",
    "api{route=\"/users\",status=\"200\"}",
    "GET /u/{id}{q=\"a\\\"b\\\\c\"}",
    "m{a=\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaa\"}",
    "",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size ? size : 1), *orig = malloc(size ? size : 1);
    CHECK(copy && orig);
    memcpy(copy, data, size);
    memcpy(orig, data, size);
    selector_t *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    CHECK(a && b);
    selector_error_t err = {SIZE_MAX, NULL};
    if (selector_parse(a, copy, size, &err) != 0) {
        CHECK(err.message != NULL && err.offset <= size);
    } else {
        CHECK(selector_parse(b, copy, size, NULL) == 0);
        CHECK(a->n == b->n && a->n <= SELECTOR_MATCHERS_MAX);
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            slice_t key = slice_cstr(keys[k]);
            CHECK(selector_matches(a, key) == selector_matches(b, key));
        }
        selector_free(b);
        selector_free(a);
    }
    CHECK(memcmp(copy, orig, size) == 0);
    free(a);
    free(b);
    free(copy);
    free(orig);
    return 0;
}
