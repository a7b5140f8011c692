/* xoshiro256** (Blackman and Vigna), seeded through splitmix64: fast, and the same stream
 * on every machine, which is what repeatable runs need. */
#include "rlhf/util.h"

#include <math.h>

/* SplitMix64 (Steele, Lea and Flood): advances *x by the golden-ratio step and returns it mixed. */
static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Seeds the four state words from seed through splitmix64, so nearby seeds give unrelated
 * streams and the state is never all zero. */
void rlhf_rng_seed(rlhf_rng *rng, uint64_t seed) {
    for (int i = 0; i < 4; i++) rng->state[i] = splitmix64(&seed);
}

static inline uint64_t rotate_left(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* One step of xoshiro256** (Blackman and Vigna): the scrambled output, then the state advanced. */
uint64_t rlhf_rng_next(rlhf_rng *rng) {
    uint64_t *s = rng->state;
    uint64_t result = rotate_left(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotate_left(s[3], 45);
    return result;
}

/* The top 53 bits of the next number as a double in [0, 1). */
double rlhf_rng_uniform(rlhf_rng *rng) { return (double)(rlhf_rng_next(rng) >> 11) * 0x1.0p-53; }

/* One standard normal draw by Box-Muller (the second value of the pair is dropped). */
double rlhf_rng_normal(rlhf_rng *rng) {
    double u1 = rlhf_rng_uniform(rng), u2 = rlhf_rng_uniform(rng);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}
