/* test_serieskey.c - series keys: canonical form, labels from parts, limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../support/test_rng.h"
#include "core/serieskey.h"

static char out[SERIESNAME_MAX];
static char text[SERIESNAME_MAX + 1];

/* The key as a C string in `text` if r is OK, else NULL; *why = r. */
static const char *as_text(serieskey_check_t r, slice_t key, serieskey_check_t *why)
{
    if (why)
        *why = r;
    if (r != SERIESKEY_OK)
        return NULL;
    memcpy(text, key.p, key.n);
    text[key.n] = '\0';
    return text;
}

/* Canonical form of s as a C string in `text`, or NULL with *why set. */
static const char *canon(const char *s, serieskey_check_t *why)
{
    slice_t key;
    serieskey_check_t r = serieskey_canonical(s, strlen(s), out, &key);
    return as_text(r, key, why);
}

static void expect(const char *in, const char *want)
{
    const char *got = canon(in, NULL);
    if (!got)
        fail_msg("%s: refused", in);
    assert_string_equal(got, want);
}

static void refused(const char *in, serieskey_check_t want)
{
    serieskey_check_t why;
    if (canon(in, &why))
        fail_msg("%s: accepted as %s", in, text);
    assert_int_equal(why, want);
}

static void test_plain_names(void **state)
{
    (void)state;
    /* Plain names stay as they are, not copied; braces alone are no labels. */
    const char *plain[] = {"checkout.db", "GET /users/{id}", "a{b}",      "{", "}",
                           "a}",          "x{1=\"2\"}",      "a{=\"v\"}", ""};
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
        slice_t key;
        assert_int_equal(serieskey_canonical(plain[i], strlen(plain[i]), out, &key), SERIESKEY_OK);
        assert_ptr_equal(key.p, plain[i]);
        assert_int_equal(key.n, strlen(plain[i]));
    }
}

static void test_canonical_form(void **state)
{
    (void)state;
    expect("api{b=\"2\",a=\"1\"}", "api{a=\"1\",b=\"2\"}");
    expect("api{ b = \"2\" , a=\"1\", }", "api{a=\"1\",b=\"2\"}");
    expect("api{a=\"1\"}", "api{a=\"1\"}");
    expect("api{}", "api");
    expect("api{ }", "api");
    expect("api{a=\"\"}", "api"); /* an empty value is no label */
    expect("api{a=\"\",b=\"x\"}", "api{b=\"x\"}");
    expect("api{a=\"q\\\"uote\\\\\"}", "api{a=\"q\\\"uote\\\\\"}"); /* escapes kept */
    expect("api{a=\"{x}\",b=\"/\"}", "api{a=\"{x}\",b=\"/\"}");
    /* Bytewise order of names: upper case before lower case, _ between. */
    expect("m{b=\"1\",B=\"2\",_=\"3\",a=\"4\"}", "m{B=\"2\",_=\"3\",a=\"4\",b=\"1\"}");
    /* A name with braces before its labels: the list is the suffix that reads as one. */
    expect("GET /users/{id}{service=\"web\"}", "GET /users/{id}{service=\"web\"}");
    expect("x{a=\"1\"}{b=\"2\"}", "x{a=\"1\"}{b=\"2\"}");
}

static void test_refusals(void **state)
{
    (void)state;
    refused("api{a=1}", SERIESKEY_SYNTAX);
    refused("api{a=\"1\" b=\"2\"}", SERIESKEY_SYNTAX);
    refused("api{a=\"1\"}x}", SERIESKEY_SYNTAX);
    refused("{a=\"1\"}", SERIESKEY_NO_NAME);
    refused("api{a=\"1\",a=\"2\"}", SERIESKEY_DUPLICATE);
    refused("api{__name__=\"x\"}", SERIESKEY_LABEL_NAME);
    refused("api{a=\"x\\ny\"}", SERIESKEY_LABEL_VALUE);
    refused("api{a=\"x\ty\"}", SERIESKEY_LABEL_VALUE);
    char many[SERIESNAME_MAX + 1] = "m{";
    for (int i = 0; i < SERIESKEY_LABELS_MAX + 1; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "%s%c=\"v\"", i ? "," : "",
                 'a' + i);
    strcat(many, "}");
    refused(many, SERIESKEY_TOO_MANY);
    char name65[128] = "m{";
    memset(name65 + 2, 'k', 65);
    strcpy(name65 + 67, "=\"v\"}");
    refused(name65, SERIESKEY_LABEL_NAME);
    char longest[SERIESNAME_MAX + 2];
    memset(longest, 'x', sizeof longest - 1);
    longest[sizeof longest - 1] = '\0';
    refused(longest, SERIESKEY_TOO_LONG);
}

/* A string without the closing brace cannot end in a list: a plain name. */
static void test_unterminated_is_plain(void **state)
{
    (void)state;
    expect("api{a=\"1\"", "api{a=\"1\"");
}

static const char *build(const char *name, const char *const *pairs, size_t n,
                         serieskey_check_t *why)
{
    serieskey_builder_t b;
    serieskey_builder_init(&b, slice_cstr(name));
    for (size_t i = 0; i + 1 < n * 2; i += 2)
        serieskey_builder_add(&b, slice_cstr(pairs[i]), slice_cstr(pairs[i + 1]));
    slice_t key;
    serieskey_check_t r = serieskey_build(&b, out, &key);
    return as_text(r, key, why);
}

static void test_builder(void **state)
{
    (void)state;
    serieskey_check_t why;
    const char *tags[] = {"env", "prod", "http.status", "200", "1st", "x", "flag", ""};
    assert_string_equal(build("req", tags, 4, NULL),
                        "req{_1st=\"x\",env=\"prod\",http_status=\"200\"}");
    const char *quoted[] = {"q", "a\"b\\c"};
    assert_string_equal(build("n", quoted, 1, NULL), "n{q=\"a\\\"b\\\\c\"}");
    /* What the builder writes, the reader reads back as itself. */
    char again[SERIESNAME_MAX + 1];
    strcpy(again, build("GET /u/{id}", quoted, 1, NULL));
    assert_string_equal(canon(again, NULL), again);
    assert_string_equal(build("plain", NULL, 0, NULL), "plain");
    const char *dup[] = {"a.b", "1", "a_b", "2"};
    assert_null(build("n", dup, 2, &why));
    assert_int_equal(why, SERIESKEY_DUPLICATE);
    const char *reserved[] = {"__x", "1"};
    assert_null(build("n", reserved, 1, &why));
    assert_int_equal(why, SERIESKEY_LABEL_NAME);
    const char *control[] = {"k", "a\nb"};
    assert_null(build("n", control, 1, &why));
    assert_int_equal(why, SERIESKEY_LABEL_VALUE);
    const char *empty_name[] = {"", "v"};
    assert_null(build("n", empty_name, 1, &why));
    assert_int_equal(why, SERIESKEY_LABEL_NAME);
    const char *long_value[] = {"k", "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"
                                     "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"
                                     "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"
                                     "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"};
    assert_null(build("n", long_value, 1, &why));
    assert_int_equal(why, SERIESKEY_TOO_LONG);
}

/* Random label sets in random order and spacing: one key per set. */
static void test_one_key_per_set(void **state)
{
    (void)state;
    test_rng_t rng = {TEST_RNG_XORSHIFT64_STAR, 11};
    for (int round = 0; round < 2000; round++) {
        size_t n = (size_t)(test_rng_next(&rng) % (6));
        char names[6][4], values[6][4];
        for (size_t i = 0; i < n; i++) {
            snprintf(names[i], sizeof names[i], "%c%u", 'a' + (int)i,
                     (unsigned)(test_rng_next(&rng) % (3)));
            snprintf(values[i], sizeof values[i], "%u", (unsigned)(test_rng_next(&rng) % (100)));
        }
        char first[SERIESNAME_MAX + 1] = "";
        for (int shuffle = 0; shuffle < 3; shuffle++) {
            size_t order[6];
            for (size_t i = 0; i < n; i++)
                order[i] = i;
            for (size_t i = n; i > 1; i--) {
                size_t j = (size_t)(test_rng_next(&rng) % (i));
                size_t t = order[i - 1];
                order[i - 1] = order[j];
                order[j] = t;
            }
            char in[SERIESNAME_MAX + 1] = "op{";
            for (size_t i = 0; i < n; i++)
                snprintf(in + strlen(in), sizeof in - strlen(in), "%s%s%s = \"%s\"", i ? "," : "",
                         shuffle ? " " : "", names[order[i]], values[order[i]]);
            strcat(in, shuffle == 2 && n ? ",}" : "}");
            const char *got = canon(in, NULL);
            assert_non_null(got);
            if (shuffle == 0)
                strcpy(first, got);
            else
                assert_string_equal(got, first);
            /* and the builder agrees with the reader */
            const char *pairs[12];
            for (size_t i = 0; i < n; i++) {
                pairs[2 * i] = names[order[i]];
                pairs[2 * i + 1] = values[order[i]];
            }
            assert_string_equal(build("op", pairs, n, NULL), first);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_names), cmocka_unit_test(test_canonical_form),
        cmocka_unit_test(test_refusals),    cmocka_unit_test(test_unterminated_is_plain),
        cmocka_unit_test(test_builder),     cmocka_unit_test(test_one_key_per_set),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
