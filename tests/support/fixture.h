/* fixture.h - reads a test fixture file whole (cmocka tests only). */
#ifndef SPIDER_TESTS_FIXTURE_H
#define SPIDER_TESTS_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

/* The bytes of DIR/NAME in a buffer of exactly their size (so ASan sees
 * overreads); *len gets the size. Fails the test if it cannot be read. */
static inline char *read_fixture(const char *dir, const char *program, const char *name,
                                 size_t *len)
{
    char path[4096];
    if (!dir)
        fail_msg("no fixtures directory: run as %s DIR (ctest passes it)", program);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc(n > 0 ? (size_t)n : 1); /* exact size: ASan sees overreads */
    assert_non_null(buf);
    *len = fread(buf, 1, (size_t)n, f);
    fclose(f);
    assert_int_equal(*len, (size_t)n);
    return buf;
}

#endif
