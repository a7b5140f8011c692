/* The demo task (include/rlhf/demo.h): the corpus is deterministic, reaches its size, is valid
 * UTF-8 and varied; the gold score ranks reviews by their intended sentiment, agrees with the
 * generator phrase by phrase, orders worked examples as a reader would and survives garbage;
 * prompts are neutral openings of the corpus's own reviews and the committed file is exactly
 * what the generator makes.
 *
 * Bounds (measured when they were set, with room to spare): Spearman correlation of score and
 * intended sentiment over 1000 reviews > 0.9 (0.941 here, 0.937..0.943 over seeds 1..5);
 * over 2 MB of seed 1, distinct sentences / sentences > 0.7 (0.83), distinct word 4-grams /
 * 4-grams > 0.6 (0.74), distinct words > 3000 (4046), no review more than 3 times (none
 * twice in 10 MB). */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/demo_corpus.h"
#include "data/demo_lexicon.h"
#include "rlhf/demo.h"
#include "tests/test_support.h"

#define MB 1000000
#define SPEARMAN_BOUND 0.9
#define SENTENCE_RATIO_BOUND 0.7
#define FOURGRAM_RATIO_BOUND 0.6
#define DISTINCT_WORDS_BOUND 3000
#define MAX_REVIEW_REPEATS 3

static double score(const char *text) { return demo_sentiment_score(text, strlen(text)); }

/* ------------------------------------------------------------ helpers */

/* A set of 64-bit hashes (open addressing, 0 means empty). */
typedef struct hash_set {
    uint64_t *slots;
    size_t capacity, count;
} hash_set;

static void set_init(hash_set *s, size_t expected) {
    s->capacity = 16;
    while (s->capacity < expected * 2) s->capacity *= 2;
    s->slots = calloc(s->capacity, sizeof(uint64_t));
    s->count = 0;
    ck_assert_ptr_nonnull(s->slots);
}

/* Adds h; returns how many times it was there before (0 or 1). */
static int set_add(hash_set *s, uint64_t h) {
    if (h == 0) h = 1;
    size_t i = h & (s->capacity - 1);
    while (s->slots[i]) {
        if (s->slots[i] == h) return 1;
        i = (i + 1) & (s->capacity - 1);
    }
    s->slots[i] = h;
    s->count++;
    return 0;
}

static uint64_t hash_bytes(const char *p, size_t n, uint64_t h) {
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
    return h;
}

/* Whether text[0..n) is well-formed UTF-8 without NUL bytes. */
static bool valid_utf8(const char *text, size_t n) {
    const unsigned char *s = (const unsigned char *)text;
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        int extra = c == 0 ? -1 : c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : -1;
        if (extra < 0 || i + (size_t)extra >= n + (extra == 0)) return false;
        for (int k = 1; k <= extra; k++)
            if ((s[i + k] & 0xC0) != 0x80) return false;
        i += (size_t)extra + 1;
    }
    return true;
}

/* Ranks of v (ties get their mean rank). */
static void ranks(const double *v, double *rank, int n) {
    int *order = malloc(sizeof(int) * (size_t)n);
    for (int i = 0; i < n; i++) order[i] = i;
    for (int i = 1; i < n; i++) {
        int key = order[i], j = i - 1;
        while (j >= 0 && v[order[j]] > v[key]) {
            order[j + 1] = order[j];
            j--;
        }
        order[j + 1] = key;
    }
    for (int i = 0; i < n;) {
        int j = i;
        while (j + 1 < n && v[order[j + 1]] == v[order[i]]) j++;
        for (int k = i; k <= j; k++) rank[order[k]] = (i + j) / 2.0;
        i = j + 1;
    }
    free(order);
}

static double spearman(const double *a, const double *b, int n) {
    double *ra = malloc(sizeof(double) * (size_t)n), *rb = malloc(sizeof(double) * (size_t)n);
    ranks(a, ra, n);
    ranks(b, rb, n);
    double ma = 0, mb = 0;
    for (int i = 0; i < n; i++) {
        ma += ra[i];
        mb += rb[i];
    }
    ma /= n;
    mb /= n;
    double ab = 0, aa = 0, bb = 0;
    for (int i = 0; i < n; i++) {
        ab += (ra[i] - ma) * (rb[i] - mb);
        aa += (ra[i] - ma) * (ra[i] - ma);
        bb += (rb[i] - mb) * (rb[i] - mb);
    }
    free(ra);
    free(rb);
    return ab / sqrt(aa * bb);
}

static char *corpus(uint64_t seed, size_t bytes, size_t *length) {
    rlhf_error error;
    char *text = NULL;
    ck_assert_msg(demo_corpus_generate(seed, bytes, &text, length, &error) == 0, "%s", error.message);
    return text;
}

/* ------------------------------------------------------------ corpus */

START_TEST(test_lexicon_is_consistent) {
    rlhf_error error;
    ck_assert_msg(demo_lexicon_check(&error) == 0, "%s", error.message);
}
END_TEST

START_TEST(test_corpus_is_deterministic_by_seed) {
    size_t n1, n2, n3;
    char *a = corpus(1, MB, &n1), *b = corpus(1, MB, &n2), *c = corpus(2, MB, &n3);
    ck_assert_uint_eq(n1, n2);
    ck_assert(memcmp(a, b, n1) == 0);
    ck_assert(n1 != n3 || memcmp(a, c, n1) != 0);
    /* the first review differs too, not just the tail */
    ck_assert(strncmp(a, c, 40) != 0);
    free(a);
    free(b);
    free(c);
}
END_TEST

START_TEST(test_corpus_reaches_its_size_in_whole_reviews) {
    const size_t sizes[] = {1, 1000, 123457, 3 * MB};
    const size_t separator = strlen(DEMO_DOCUMENT_SEPARATOR);
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t n;
        char *text = corpus(7, sizes[k], &n);
        ck_assert_uint_ge(n, sizes[k]);
        ck_assert_uint_lt(n, sizes[k] + 2000);  /* at most one review more */
        ck_assert_uint_eq(strlen(text), n);
        ck_assert(n >= separator && memcmp(text + n - separator, DEMO_DOCUMENT_SEPARATOR, separator) == 0);
        free(text);
    }
}
END_TEST

/* The corpus is the generator's reviews, each followed by the separator, and every review is
 * clean text: valid UTF-8, capitalised, no template left-overs, no stray whitespace. */
START_TEST(test_corpus_is_clean_text) {
    size_t n;
    char *text = corpus(3, 2 * MB, &n);
    ck_assert(valid_utf8(text, n));
    rlhf_error error;
    demo_generator *g = demo_generator_create(3, &error);
    ck_assert_ptr_nonnull(g);
    const size_t separator = strlen(DEMO_DOCUMENT_SEPARATOR);
    size_t position = 0;
    int reviews = 0;
    while (position < n) {
        double sentiment;
        size_t length;
        const char *review = demo_generator_next(g, &sentiment, &length, &error);
        ck_assert_ptr_nonnull(review);
        ck_assert_uint_le(position + length + separator, n);
        ck_assert(memcmp(text + position, review, length) == 0);
        ck_assert(memcmp(text + position + length, DEMO_DOCUMENT_SEPARATOR, separator) == 0);
        ck_assert_msg(length > 0 && review[0] >= 'A' && review[0] <= 'Z', "review %d: %s", reviews, review);
        ck_assert_msg(strchr(".!?", review[length - 1]) != NULL, "review %d does not end a sentence: %s", reviews, review);
        ck_assert_msg(!strstr(review, "[[") && !strchr(review, '{') && !strchr(review, '}'), "left-over slot: %s", review);
        ck_assert_msg(!strstr(review, "  ") && !strstr(review, " ." ) && !strstr(review, " ,"), "spacing: %s", review);
        ck_assert_msg(!strstr(review, DEMO_END_OF_TEXT), "%s", review);
        ck_assert_msg(!strstr(review, " a a") && !strstr(review, " a e") && !strstr(review, " a o"), "article: %s", review);
        position += length + separator;
        reviews++;
    }
    ck_assert_uint_eq(position, n);
    ck_assert_int_gt(reviews, 5000);
    demo_generator_destroy(g);
    free(text);
}
END_TEST

START_TEST(test_corpus_is_varied) {
    size_t n;
    char *text = corpus(1, 2 * MB, &n);
    hash_set sentences, fourgrams, words;
    set_init(&sentences, 100000);
    set_init(&fourgrams, 600000);
    set_init(&words, 20000);
    long sentence_count = 0, fourgram_count = 0;
    /* reviews, and how often each occurs (a second table counts repeats by hash) */
    const size_t separator = strlen(DEMO_DOCUMENT_SEPARATOR);
    int max_repeats = 1;
    {
        typedef struct repeat { uint64_t hash; int count; } repeat;
        size_t capacity = 1 << 16;
        repeat *table = calloc(capacity, sizeof(repeat));
        for (char *p = text; p < text + n;) {
            char *end = strstr(p, DEMO_DOCUMENT_SEPARATOR);
            ck_assert_ptr_nonnull(end);
            uint64_t h = hash_bytes(p, (size_t)(end - p), 1469598103934665603ULL) | 1;
            size_t i = h & (capacity - 1);
            while (table[i].hash && table[i].hash != h) i = (i + 1) & (capacity - 1);
            table[i].hash = h;
            if (++table[i].count > max_repeats) max_repeats = table[i].count;
            p = end + separator;
        }
        free(table);
    }
    /* sentences: split after . ! ? followed by a space, and at newlines */
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        bool end = text[i] == '\n' || ((text[i] == '.' || text[i] == '!' || text[i] == '?') && (i + 1 == n || text[i + 1] == ' '));
        if (!end) continue;
        size_t stop = text[i] == '\n' ? i : i + 1;
        if (stop > start && strncmp(text + start, DEMO_END_OF_TEXT, strlen(DEMO_END_OF_TEXT)) != 0) {
            set_add(&sentences, hash_bytes(text + start, stop - start, 1469598103934665603ULL));
            sentence_count++;
        }
        start = i + 1;
        while (start < n && text[start] == ' ') start++;
    }
    /* words (letters, lower-cased) and 4-grams of whitespace-separated tokens */
    uint64_t window[4] = {0};
    int filled = 0;
    for (size_t i = 0; i < n;) {
        while (i < n && (text[i] == ' ' || text[i] == '\n')) i++;
        size_t j = i;
        while (j < n && text[j] != ' ' && text[j] != '\n') j++;
        if (j == i) break;
        uint64_t token = hash_bytes(text + i, j - i, 1469598103934665603ULL);
        char word[64];
        size_t w = 0;
        for (size_t k = i; k < j && w < sizeof word - 1; k++)
            if ((text[k] >= 'a' && text[k] <= 'z') || (text[k] >= 'A' && text[k] <= 'Z')) word[w++] = (char)(text[k] | 0x20);
        if (w > 0) set_add(&words, hash_bytes(word, w, 1469598103934665603ULL));
        window[0] = window[1];
        window[1] = window[2];
        window[2] = window[3];
        window[3] = token;
        if (++filled >= 4) {
            set_add(&fourgrams, hash_bytes((const char *)window, sizeof window, 1469598103934665603ULL));
            fourgram_count++;
        }
        i = j;
    }
    double sentence_ratio = (double)sentences.count / (double)sentence_count;
    double fourgram_ratio = (double)fourgrams.count / (double)fourgram_count;
    ck_assert_msg(sentence_ratio > SENTENCE_RATIO_BOUND, "distinct sentences %.3f", sentence_ratio);
    ck_assert_msg(fourgram_ratio > FOURGRAM_RATIO_BOUND, "distinct 4-grams %.3f", fourgram_ratio);
    ck_assert_msg(words.count > DISTINCT_WORDS_BOUND, "distinct words %zu", words.count);
    ck_assert_msg(max_repeats <= MAX_REVIEW_REPEATS, "a review occurs %d times", max_repeats);
    free(sentences.slots);
    free(fourgrams.slots);
    free(words.slots);
    free(text);
}
END_TEST

/* ------------------------------------------------------------ gold score */

START_TEST(test_score_ranks_reviews_by_intended_sentiment) {
    enum { N = 1000 };
    rlhf_error error;
    demo_generator *g = demo_generator_create(11, &error);
    ck_assert_ptr_nonnull(g);
    double intended[N], scored[N];
    double sum_positive = 0, sum_negative = 0;
    int positive = 0, negative = 0;
    for (int i = 0; i < N; i++) {
        size_t length;
        const char *review = demo_generator_next(g, &intended[i], &length, &error);
        ck_assert_ptr_nonnull(review);
        ck_assert(intended[i] >= -1 && intended[i] <= 1);
        scored[i] = demo_sentiment_score(review, length);
        if (intended[i] > 0.5) sum_positive += scored[i], positive++;
        if (intended[i] < -0.5) sum_negative += scored[i], negative++;
    }
    double rho = spearman(intended, scored, N);
    ck_assert_msg(rho > SPEARMAN_BOUND, "Spearman %.4f", rho);
    ck_assert_double_gt(sum_positive / positive, 0.6);
    ck_assert_double_lt(sum_negative / negative, -0.6);
    demo_generator_destroy(g);
}
END_TEST

/* The scorer's sum over a whole review equals the sum of the values the generator chose its
 * phrases by: the templates around them are neutral and never reach into them. */
START_TEST(test_score_agrees_with_generator_phrase_by_phrase) {
    rlhf_error error;
    demo_generator *g = demo_generator_create(5, &error);
    ck_assert_ptr_nonnull(g);
    for (int i = 0; i < 5000; i++) {
        double sentiment, intended_sum, scored_sum;
        int intended_units, scored_units;
        size_t length;
        const char *review = demo_generator_next(g, &sentiment, &length, &error);
        ck_assert_ptr_nonnull(review);
        demo_generator_intended(g, &intended_sum, &intended_units);
        demo_sentiment_raw(review, length, &scored_sum, &scored_units);
        ck_assert_msg(fabs(intended_sum - scored_sum) < 1e-9 && intended_units == scored_units,
                      "intended %.3f in %d units, scored %.3f in %d: %s", intended_sum, intended_units, scored_sum,
                      scored_units, review);
    }
    demo_generator_destroy(g);
}
END_TEST

START_TEST(test_chosen_sentiment_orders_reviews) {
    rlhf_error error;
    demo_generator *g = demo_generator_create(9, &error);
    ck_assert_ptr_nonnull(g);
    const double levels[] = {-1.0, -0.5, 0.0, 0.5, 1.0};
    double previous = -2;
    for (int l = 0; l < 5; l++) {
        double mean = 0;
        for (int i = 0; i < 200; i++) {
            size_t length;
            const char *review = demo_generator_next_with_sentiment(g, levels[l], &length, &error);
            ck_assert_ptr_nonnull(review);
            mean += demo_sentiment_score(review, length) / 200;
        }
        ck_assert_msg(mean > previous + 0.2, "level %.1f: mean score %.3f after %.3f", levels[l], mean, previous);
        previous = mean;
    }
    ck_assert_double_gt(previous, 0.7);
    demo_generator_destroy(g);
}
END_TEST

START_TEST(test_score_worked_examples) {
    /* the brief's order */
    ck_assert_double_gt(score("This blender is excellent."), score("This blender is fine."));
    ck_assert_double_gt(score("This blender is fine."), score("This blender is not good."));
    ck_assert_double_gt(score("This blender is not good."), score("This blender is awful."));
    ck_assert_double_gt(score("This blender is fine."), 0);
    ck_assert_double_lt(score("This blender is not good."), 0);
    /* intensifiers and downtoners scale, negation flips */
    ck_assert_double_gt(score("The hotel was very good."), score("The hotel was good."));
    ck_assert_double_gt(score("The hotel was good."), score("The hotel was fairly good."));
    ck_assert_double_gt(score("Not bad at all."), 0);
    ck_assert_double_lt(score("Hardly worth it."), 0);
    ck_assert_double_gt(score("Worth it."), 0);
    ck_assert_double_lt(score("I would not recommend it."), 0);
    ck_assert_double_lt(score("I would never recommend it."), score("I would not recommend it."));
    ck_assert_double_gt(score("No complaints."), 0);
    ck_assert_double_lt(score("Nothing special."), 0);
    ck_assert_double_gt(score("The staff never disappoint."), 0);
    /* phrases */
    ck_assert_double_lt(score("The battery could be better."), 0);
    ck_assert_double_gt(score("It could not be better."), 0.5);
    ck_assert_double_gt(score("Worth every penny."), score("Worth it."));
    ck_assert_double_lt(score("It fell apart after a week."), -0.5);
    ck_assert_double_gt(score("Five stars."), score("Three stars."));
    ck_assert_double_gt(score("Three stars."), score("One star."));
    /* mixed reviews land between */
    double mixed = score("The screen is great, but the battery is awful.");
    ck_assert_double_lt(fabs(mixed), 0.2);
    /* contractions, typographic apostrophes and case */
    ck_assert_double_eq(score("It isn't good."), score("it is not good"));
    ck_assert_double_eq(score("It isn\xE2\x80\x99t good."), score("It isn't good."));
    ck_assert_double_eq(score("EXCELLENT"), score("excellent"));
    ck_assert_double_eq(score("It mightn't be good."), score("It isn't good."));
    /* the window: a negator more than three words back, or behind punctuation, does nothing */
    ck_assert_double_gt(score("Not that I think the blender is good."), 0);
    ck_assert_double_gt(score("Not. Good."), 0);
    ck_assert_double_gt(score("Not bad, but the lid is good"), score("Not bad, but the lid is not good"));
    /* more evidence, more confidence; never 1 */
    ck_assert_double_gt(score("Excellent. Superb. Wonderful."), score("Excellent."));
    ck_assert_double_lt(score("Excellent. Superb. Wonderful."), 1.0);
    /* neutral text and nothing */
    ck_assert_double_eq(score("I bought it last week for my sister."), 0);
    ck_assert_double_eq(score(""), 0);
    ck_assert_double_eq(demo_sentiment_score(NULL, 0), 0);
    /* the hyphenated words are single words */
    ck_assert_double_gt(score("It is well-made."), 0);
    ck_assert_double_eq(score("It is tender-hearted."), 0);
}
END_TEST

START_TEST(test_score_survives_garbage) {
    rlhf_rng rng;
    rlhf_rng_seed(&rng, 99);
    char *buffer = malloc(1 << 20);
    for (int trial = 0; trial < 200; trial++) {
        size_t n = (size_t)(rlhf_rng_next(&rng) % (trial < 190 ? 4096 : (1 << 20)));
        int mode = trial % 4;
        for (size_t i = 0; i < n; i++) {
            uint64_t r = rlhf_rng_next(&rng);
            if (mode == 0) buffer[i] = (char)(r & 0xFF);                 /* any byte, NULs included */
            else if (mode == 1) buffer[i] = "not very good bad'-. \n\xE2\x80\x99"[r % 21];
            else if (mode == 2) buffer[i] = (char)(0x80 | (r & 0x7F));   /* broken UTF-8 */
            else buffer[i] = (char)('a' + r % 26);                       /* one long word */
        }
        double s = demo_sentiment_score(buffer, n);
        ck_assert_msg(isfinite(s) && s > -1.0 && s < 1.0, "trial %d: %f", trial, s);
    }
    /* a word cut at the end of the buffer, and a typographic quote cut in half */
    ck_assert_double_eq(demo_sentiment_score("good", 3), 0);
    ck_assert_double_eq(demo_sentiment_score("isn\xE2\x80", 5), 0);
    /* a megabyte of praise saturates (at tanh(3 / 1.5) for a plain 3) and stays below 1 */
    size_t n = 0;
    while (n + 10 < (1 << 20)) {
        memcpy(buffer + n, "excellent ", 10);
        n += 10;
    }
    double s = demo_sentiment_score(buffer, n);
    ck_assert(s > 0.95 && s < 1.0);
    free(buffer);
}
END_TEST

/* ------------------------------------------------------------ prompts */

START_TEST(test_prompts_file_matches_generator) {
    rlhf_error error;
    char *committed;
    size_t committed_length;
    ck_assert_msg(rlhf_read_file(DEMO_PROMPTS_FILE, &committed, &committed_length, &error) == 0, "%s", error.message);
    char **prompts;
    ck_assert_msg(demo_prompts(DEMO_PROMPTS_SEED, DEMO_PROMPTS_COUNT, &prompts, &error) == 0, "%s", error.message);
    char *jsonl;
    size_t length;
    ck_assert_msg(demo_prompts_jsonl(prompts, DEMO_PROMPTS_COUNT, &jsonl, &length, &error) == 0, "%s", error.message);
    ck_assert_msg(length == committed_length && memcmp(jsonl, committed, length) == 0,
                  "data/demo_prompts.jsonl differs from `rlhf demo prompts`; regenerate it");
    int lines = 0;
    for (size_t i = 0; i < length; i++) lines += jsonl[i] == '\n';
    ck_assert_int_eq(lines, DEMO_PROMPTS_COUNT);
    ck_assert_int_ge(DEMO_PROMPTS_COUNT, 200);
    ck_assert(strncmp(jsonl, "{\"prompt\": \"", 12) == 0);
    demo_prompts_free(prompts, DEMO_PROMPTS_COUNT);
    free(jsonl);
    free(committed);
}
END_TEST

/* Prompts are the openings of the generator's own reviews, so a model trained on the corpus
 * has seen how they go on; they are distinct and say nothing about the sentiment. */
START_TEST(test_prompts_are_neutral_openings_of_reviews) {
    enum { COUNT = 2000 };
    rlhf_error error;
    char **prompts;
    ck_assert_msg(demo_prompts(21, COUNT, &prompts, &error) == 0, "%s", error.message);
    demo_generator *g = demo_generator_create(21, &error);
    ck_assert_ptr_nonnull(g);
    hash_set seen;
    set_init(&seen, COUNT);
    int found = 0, headers = 0, cut = 0;
    for (int i = 0; i < COUNT; i++) {
        const char *p = prompts[i];
        size_t n = strlen(p);
        ck_assert(n > 10 && valid_utf8(p, n));
        ck_assert_msg(set_add(&seen, hash_bytes(p, n, 1469598103934665603ULL)) == 0, "repeated prompt %s", p);
        double sum;
        int units;
        demo_sentiment_raw(p, n, &sum, &units);
        ck_assert_msg(units == 0, "prompt has sentiment: %s", p);
        /* nothing at its end reaches into the continuation ("not", "very") */
        char continued[1024];
        snprintf(continued, sizeof continued, "%s good", p);
        ck_assert_msg(score(continued) == score("good"), "prompt modifies what follows: %s", p);
        headers += p[n - 1] == '\n';
        cut += n > 4 && strcmp(p + n - 4, " and") == 0;
        /* each is the start of one of the generator's reviews, in order */
        while (found <= i) {
            double sentiment;
            size_t length;
            const char *review = demo_generator_next(g, &sentiment, &length, &error);
            ck_assert_ptr_nonnull(review);
            if (length > n && strncmp(review, p, n) == 0) found = i + 1;
        }
    }
    ck_assert_int_gt(headers, COUNT / 5);  /* about a third each */
    ck_assert_int_gt(cut, COUNT / 5);
    free(seen.slots);
    demo_generator_destroy(g);
    demo_prompts_free(prompts, COUNT);
    ck_assert_int_eq(demo_prompts(1, 0, &prompts, &error), -1);
    ck_assert_ptr_nonnull(strstr(error.message, "count"));
}
END_TEST

START_TEST(test_prompts_jsonl_escapes) {
    char *prompts[] = {"Review of the \"Lumen\" X2:\n", "caf\xC3\xA9 \\ tab\t"};
    char *jsonl;
    size_t length;
    rlhf_error error;
    ck_assert_int_eq(demo_prompts_jsonl(prompts, 2, &jsonl, &length, &error), 0);
    ck_assert_str_eq(jsonl, "{\"prompt\": \"Review of the \\\"Lumen\\\" X2:\\n\"}\n"
                            "{\"prompt\": \"caf\\u00E9 \\\\ tab\\t\"}\n");
    free(jsonl);
    char *bad[] = {"\xFF"};
    ck_assert_int_eq(demo_prompts_jsonl(bad, 1, &jsonl, &length, &error), -1);
}
END_TEST

int main(void) {
    Suite *suite = suite_create("demo");
    TCase *tc = tcase_create("demo");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_lexicon_is_consistent);
    tcase_add_test(tc, test_corpus_is_deterministic_by_seed);
    tcase_add_test(tc, test_corpus_reaches_its_size_in_whole_reviews);
    tcase_add_test(tc, test_corpus_is_clean_text);
    tcase_add_test(tc, test_corpus_is_varied);
    tcase_add_test(tc, test_score_ranks_reviews_by_intended_sentiment);
    tcase_add_test(tc, test_score_agrees_with_generator_phrase_by_phrase);
    tcase_add_test(tc, test_chosen_sentiment_orders_reviews);
    tcase_add_test(tc, test_score_worked_examples);
    tcase_add_test(tc, test_score_survives_garbage);
    tcase_add_test(tc, test_prompts_file_matches_generator);
    tcase_add_test(tc, test_prompts_are_neutral_openings_of_reviews);
    tcase_add_test(tc, test_prompts_jsonl_escapes);
    suite_add_tcase(suite, tc);
    return tests_run_suite(suite);
}
