/* fuzz_snapshot.c - the snapshot reader (store/snapshot.c) on any bytes.
 *
 * Whatever the input, decoding must not crash, read outside it or leave a
 * store that breaks its invariants; and a store restored from it, written
 * again and read back, must restore whole (what validated once is a valid
 * snapshot) with the same series, seconds and samples. The corpus in
 * fuzz/corpus/snapshot starts from small snapshots written by the encoder.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_bytes.h"
#include "store/snapshot.h"

#define FUZZ_NOW 1764160001500LL

static int fuzz_emit(void *ctx, const void *p, size_t n)
{
    put(ctx, p, n);
    return 0;
}

static store_t *fuzz_store(void)
{
    store_config_t cfg = {.window_s = 120,
                          .raw_per_second = 20,
                          .max_series = 50,
                          .memory_limit = 8u << 20,
                          .n_le = 2,
                          .le_ms = {10, 100}};
    return store_new(&cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    store_t *s = fuzz_store(), *again = fuzz_store();
    snapshot_result_t r, r2;
    snapshot_written_t w;
    bytes_t b = {0};

    snapshot_decode(s, data, size, FUZZ_NOW, &r);
    /* The restored store takes samples and moves on like any other. */
    store_record(s, slice_cstr("fuzz.after"), FUZZ_NOW, 1.0, FUZZ_NOW);
    CHECK(snapshot_encode(s, FUZZ_NOW, fuzz_emit, &b, &w) == 0);
    CHECK(snapshot_decode(again, (const uint8_t *)b.p, b.n, FUZZ_NOW, &r2) == 0);
    CHECK(r2.series == w.series && r2.seconds == w.seconds && r2.samples == w.samples);
    store_advance(s, FUZZ_NOW + 200000);
    free(b.p);
    store_free(s);
    store_free(again);
    return 0;
}
