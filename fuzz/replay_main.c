/* replay_main.c - runs a fuzz target over every file of a corpus directory.
 *
 * Linked with one fuzz/fuzz_<parser>.c, it replays the committed corpus in
 * `make test` with any compiler (sanitizers come from the SPIDER_SANITIZE
 * build), so every input that once found a bug keeps being checked.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    /* An exact-size heap copy, so ASan sees any read past the end. */
    uint8_t *buf = malloc(len > 0 ? (size_t)len : 1);
    size_t got = len > 0 ? fread(buf, 1, (size_t)len, f) : 0;
    fclose(f);
    LLVMFuzzerTestOneInput(buf, got);
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    DIR *d = opendir(argv[1]);
    if (!d) {
        perror(argv[1]);
        return 1;
    }
    int files = 0, failures = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", argv[1], e->d_name);
        if (replay_file(path) != 0)
            failures++;
        files++;
    }
    closedir(d);
    printf("replayed %d corpus files from %s\n", files, argv[1]);
    if (files == 0) {
        fprintf(stderr, "empty corpus: nothing was tested\n");
        return 1;
    }
    return failures ? 1 : 0;
}
