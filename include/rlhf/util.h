/* util: the few helpers every module shares: error reports, atomic file writes, timing. */
#ifndef RLHF_UTIL_H
#define RLHF_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An error report filled in by any function that can fail. Modules never print or exit:
 * they fill one of these and return -1; the command line prints it. */
typedef struct rlhf_error {
    char message[1024];
} rlhf_error;

/* Formats a message into error (printf-style). error may be NULL. */
void rlhf_error_set(rlhf_error *error, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* Prepends "context: " to the message already in error, e.g. the file being read. */
void rlhf_error_prefix(rlhf_error *error, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* Writes bytes to path atomically: a temporary file in the same directory, fsync, rename,
 * fsync of the directory. Either the old file or the whole new one is there afterwards.
 * A symbolic link is followed (the file it names is replaced), an existing file keeps its
 * permissions (a new one gets 0644), and a path that is not a regular file is refused. */
int rlhf_write_file_atomic(const char *path, const void *data, size_t size, rlhf_error *error);

/* Like rlhf_write_file_atomic, for content produced in pieces: chunks[i] of sizes[i]. */
int rlhf_write_file_atomic_chunks(const char *path, const void *const *chunks, const size_t *sizes,
                                  int chunk_count, rlhf_error *error);

/* Removes path if it is there (a missing file is no error) and syncs its folder, so the
 * removal is on disk when it returns. */
int rlhf_remove_file(const char *path, rlhf_error *error);
/* Opens path for reading when it is a regular file (without waiting on a FIFO); -1 with
 * error set naming it otherwise. */
int rlhf_open_regular(const char *path, rlhf_error *error);
/* Reads a whole regular file into a malloc'd buffer (NUL-terminated for convenience). */
int rlhf_read_file(const char *path, char **data, size_t *size, rlhf_error *error);

/* Creates a directory and its parents, like mkdir -p. Succeeds if it exists. */
int rlhf_make_directory(const char *path, rlhf_error *error);
/* Checks, writing nothing, that rlhf_make_directory(path) and files in it can succeed: path
 * is a writable directory, or missing with its nearest existing parent a writable directory.
 * Lets a long run fail at its start instead of when it saves. */
int rlhf_check_output_directory(const char *path, rlhf_error *error);

/* Memory and sizes (util/memory.c). Every growing array goes through rlhf_grow; every size
 * computed from input through rlhf_size_multiply; every path through rlhf_path_join. */
/* a * b into *product; false (product untouched) when it would not fit in a size_t. */
bool rlhf_size_multiply(size_t a, size_t b, size_t *product);
/* Resizes the array whose pointer is at items (a T **) to count elements of element_size
 * bytes; -1 on overflow or out of memory, leaving the array as it was. */
int rlhf_resize(void *items, size_t count, size_t element_size);
/* Grows the array whose pointer is at items (a T **) of *capacity elements to hold at least
 * needed, doubling; -1 on overflow or out of memory, leaving array and capacity as they were. */
int rlhf_grow(void *items, size_t *capacity, size_t needed, size_t element_size);
/* directory + "/" + name into out[out_size]; -1 with error set when it would be truncated. */
int rlhf_path_join(char *out, size_t out_size, const char *directory, const char *name, rlhf_error *error);

/* Seconds from a monotonic clock. */
double rlhf_seconds(void);

/* Peak resident set size of this process in MiB (from getrusage). */
double rlhf_peak_rss_mb(void);

/* A small, fast, seedable random generator (xoshiro256**), so runs repeat exactly. */
typedef struct rlhf_rng {
    uint64_t state[4];
} rlhf_rng;

void rlhf_rng_seed(rlhf_rng *rng, uint64_t seed);
uint64_t rlhf_rng_next(rlhf_rng *rng);
/* Uniform in [0, 1). */
double rlhf_rng_uniform(rlhf_rng *rng);
/* Standard normal (Box-Muller). */
double rlhf_rng_normal(rlhf_rng *rng);

/* JSON Lines: calls visit(line_number, object, user, error) for every non-blank line of
 * path, in order. A line that is not a JSON object (or not valid UTF-8, which jansson
 * refuses) stops the reading with "PATH: line N: ..."; so does a visitor returning non-zero
 * (it sets the error itself). A UTF-8 byte-order mark at the start of the file is skipped. */
struct json_t;
typedef int (*rlhf_jsonl_visitor)(long line, struct json_t *object, void *user, rlhf_error *error);
int rlhf_read_jsonl(const char *path, rlhf_jsonl_visitor visit, void *user, rlhf_error *error);

/* FNV-1a, 64 bits (util/hash.c): hash = rlhf_fnv1a(RLHF_FNV1A_START, data, length), and
 * rlhf_fnv1a(hash, more, length) continues over more bytes. Recognises duplicate texts,
 * changed files and splits; not for anything an adversary chooses. */
#define RLHF_FNV1A_START 0xcbf29ce484222325ULL
uint64_t rlhf_fnv1a(uint64_t hash, const void *data, size_t length);

/* UTF-8 (util/utf8.c). Whether text[0 .. length) is well-formed UTF-8 (no overlong forms,
 * surrogates or code points above U+10FFFF: what jansson accepts). */
bool rlhf_utf8_valid(const char *text, size_t length);
/* A malloc'd, NUL-terminated copy of text[0 .. length) in which each ill-formed UTF-8
 * sequence (each maximal subpart, as Unicode recommends) is replaced by U+FFFD, as Python's
 * bytes.decode("utf-8", errors="replace") and so Hugging Face's decode do. NULL only when
 * out of memory; *repaired_length (may be NULL) gets its length. */
char *rlhf_utf8_repair(const char *text, size_t length, size_t *repaired_length);
/* A new JSON string holding text, repaired as above when it is not valid UTF-8 (jansson's
 * json_string returns NULL then, and json_object_set_new silently drops a NULL value);
 * JSON null for a NULL text. Use it for every text that did not come from parsed JSON. */
struct json_t *rlhf_json_text(const char *text);

/* Token-id sequences: a text file with one sequence a line, ids separated by spaces.
 * Empty lines are skipped. Every id must be in [0, vocab_size) (vocab_size <= 0: any
 * non-negative id). Errors name the file and line. */
typedef struct rlhf_id_lines {
    int *ids;         /* all ids, line after line */
    size_t *starts;   /* starts[i] .. starts[i + 1] is line i */
    size_t count;     /* lines */
    size_t total;     /* ids */
} rlhf_id_lines;

int rlhf_id_lines_read(rlhf_id_lines *lines, const char *path, int vocab_size, rlhf_error *error);
void rlhf_id_lines_free(rlhf_id_lines *lines);

#endif
