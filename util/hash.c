/* FNV-1a, the one non-cryptographic hash of the project (see include/rlhf/util.h). */
#include "rlhf/util.h"

/* See util.h: FNV-1a's step over each byte, continuing from hash. */
uint64_t rlhf_fnv1a(uint64_t hash, const void *data, size_t length) {
    const unsigned char *bytes = data;
    for (size_t i = 0; i < length; i++) hash = (hash ^ bytes[i]) * 0x100000001b3ULL;
    return hash;
}
