/* Token files: a corpus tokenized once and memory-mapped by every later run (pretraining
 * resumes and reruns do not tokenize again). */
#include "rlhf/policy.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rlhf/tokenizer.h"

#define TOKEN_FILE_MAGIC "RLHFTOK2"

/* The 40 bytes before the ids; the hashes say whether the file still matches its corpus. */
typedef struct token_file_header {
    char magic[8];
    uint64_t count;
    uint64_t corpus_size;
    uint64_t corpus_hash;
    uint64_t tokenizer_hash;   /* the tokenizer that made the ids: another one needs new ids */
} token_file_header;

/* FNV-1a, 64 bits: enough to notice that a corpus changed. */
static uint64_t fnv1a(const char *bytes, size_t length) { return rlhf_fnv1a(RLHF_FNV1A_START, bytes, length); }

/* A fingerprint of a tokenizer: FNV-1a over its size and merge count (4 bytes each, least
 * significant first) and every token's bytes, each followed by a 0xff boundary byte. */
static uint64_t tokenizer_fingerprint(const tokenizer *tok) {
    uint64_t hash = RLHF_FNV1A_START;
    int counts[2] = {tokenizer_vocab_size(tok), tokenizer_merge_count(tok)};
    for (int i = 0; i < 2; i++) {
        unsigned char little_endian[4];
        for (int b = 0; b < 4; b++) little_endian[b] = (unsigned char)(counts[i] >> (8 * b));
        hash = rlhf_fnv1a(hash, little_endian, 4);
    }
    static const unsigned char boundary = 0xff;
    for (int id = 0; id < counts[0]; id++) {
        size_t length = 0;
        const char *bytes = tokenizer_token_bytes(tok, id, &length);
        if (bytes) hash = rlhf_fnv1a(hash, bytes, length);
        hash = rlhf_fnv1a(hash, &boundary, 1);
    }
    return hash;
}

/* Reads just the header of an existing token file; 0 if it is there and well formed. */
static int read_header(const char *path, token_file_header *header) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return -1;
    ssize_t n = read(fd, header, sizeof *header);
    struct stat info;
    int ok = n == (ssize_t)sizeof *header && fstat(fd, &info) == 0 &&
             memcmp(header->magic, TOKEN_FILE_MAGIC, 8) == 0 &&
             (uint64_t)info.st_size == sizeof *header + header->count * sizeof(int32_t);
    close(fd);
    return ok ? 0 : -1;
}

/* Tokenizes corpus_path into out_path, unless out_path already holds this corpus's ids from
 * this tokenizer (then *reused); written atomically. */
int policy_token_file_build(const char *corpus_path, const struct tokenizer *tokenizer, const char *out_path,
                            bool *reused, rlhf_error *error) {
    char *corpus;
    size_t size;
    *reused = false;
    if (rlhf_read_file(corpus_path, &corpus, &size, error) != 0) return -1;
    if (size == 0) {
        rlhf_error_set(error, "%s: the corpus is empty", corpus_path);
        free(corpus);
        return -1;
    }
    uint64_t hash = fnv1a(corpus, size), tokenizer_hash = tokenizer_fingerprint(tokenizer);
    token_file_header existing;
    if (read_header(out_path, &existing) == 0 && existing.corpus_size == size && existing.corpus_hash == hash &&
        existing.tokenizer_hash == tokenizer_hash) {
        free(corpus);
        *reused = true;
        return 0;
    }
    int *ids = NULL;
    size_t count = 0;
    int status = tokenizer_encode(tokenizer, corpus, size, true, &ids, &count, error);
    free(corpus);
    if (status != 0) {
        rlhf_error_prefix(error, "%s", corpus_path);
        return -1;
    }
    token_file_header header = {.count = count, .corpus_size = size, .corpus_hash = hash, .tokenizer_hash = tokenizer_hash};
    memcpy(header.magic, TOKEN_FILE_MAGIC, 8);
    const void *chunks[2] = {&header, ids};
    size_t sizes[2] = {sizeof header, count * sizeof(int32_t)};
    status = rlhf_write_file_atomic_chunks(out_path, chunks, sizes, 2, error);
    free(ids);
    return status;
}

/* Maps a complete token file read-only; file->ids then points into the mapping. */
int policy_token_file_open(policy_token_file *file, const char *path, rlhf_error *error) {
    memset(file, 0, sizeof *file);
    token_file_header header;
    if (read_header(path, &header) != 0) {
        rlhf_error_set(error, "%s: not a complete token file", path);
        return -1;
    }
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        rlhf_error_set(error, "%s: cannot open", path);
        return -1;
    }
    size_t size = sizeof header + header.count * sizeof(int32_t);
    void *mapping = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (mapping == MAP_FAILED) {
        rlhf_error_set(error, "%s: cannot map %zu bytes", path, size);
        return -1;
    }
    file->mapping = mapping;
    file->mapping_size = size;
    file->ids = (const int *)((const char *)mapping + sizeof header);
    file->count = header.count;
    return 0;
}

/* Unmaps the file and zeroes it (a zeroed one is fine). */
void policy_token_file_close(policy_token_file *file) {
    if (file->mapping) munmap(file->mapping, file->mapping_size);
    memset(file, 0, sizeof *file);
}
