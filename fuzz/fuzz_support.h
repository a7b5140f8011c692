/* Shared by the libFuzzer harnesses of fuzz/: the parsers under test take paths, so each
 * harness writes its input into files of a private folder that this process creates once
 * (on tmpfs when /dev/shm is there, so the disk sees none of the millions of writes) and
 * removes at exit. Header-only: every harness is one .c file plus this. */
#ifndef RLHF_FUZZ_SUPPORT_H
#define RLHF_FUZZ_SUPPORT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char fuzz_folder[256];

/* Removes the files the harnesses write (each harness names its own with fuzz_path) and
 * the folder; runs at exit. */
static void fuzz_remove_folder(void) {
    static const char *const names[] = {"input", "vocab.json", "merges.txt", "tokenizer.json",
                                        "tokenizer_config.json", "config.json", "saved.json", "store.db",
                                        "store.db-wal", "store.db-shm", "store.db-journal"};
    char path[512];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", fuzz_folder, names[i]);
        unlink(path);
    }
    rmdir(fuzz_folder);
}

/* Creates this process's folder (once; later calls do nothing). Aborts when it cannot:
 * a harness without its folder would only report the failure as a parse error. */
static void fuzz_make_folder(void) {
    if (fuzz_folder[0]) return;
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(fuzz_folder, sizeof fuzz_folder, "%s/rlhf-fuzz-XXXXXX", base);
    if (!mkdtemp(fuzz_folder)) {
        perror("rlhf fuzz: mkdtemp");
        abort();
    }
    atexit(fuzz_remove_folder);
}

/* The path of name inside this process's folder, in a static buffer per slot (0..3), so a
 * harness can hold a few at once. */
static const char *fuzz_path(int slot, const char *name) {
    static char paths[4][512];
    fuzz_make_folder();
    snprintf(paths[slot], sizeof paths[slot], "%s/%s", fuzz_folder, name);
    return paths[slot];
}

/* Writes size bytes of data to path (replacing it); aborts on failure, which is the
 * harness's fault, not the parser's. */
static void fuzz_write(const char *path, const void *data, size_t size) {
    FILE *file = fopen(path, "wb");
    if (!file || (size && fwrite(data, 1, size, file) != size) || fclose(file) != 0) {
        perror(path);
        abort();
    }
}

/* Writes the input to NAME in the folder and returns its path. */
static const char *fuzz_write_input(const char *name, const void *data, size_t size) {
    const char *path = fuzz_path(0, name);
    fuzz_write(path, data, size);
    return path;
}

/* Stops the run with a message when a property of a parser's result does not hold: libFuzzer
 * reports the abort as a crash and saves the input. */
#define FUZZ_CHECK(condition)                                                                     \
    do {                                                                                          \
        if (!(condition)) {                                                                       \
            fprintf(stderr, "rlhf fuzz: %s:%d: check failed: %s\n", __FILE__, __LINE__, #condition); \
            abort();                                                                              \
        }                                                                                         \
    } while (0)

#endif
