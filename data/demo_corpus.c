/* The demo review generator: builds phrase pools from the lexicon, then writes reviews from
 * the templates of demo_topics.c, choosing every sentiment phrase by its gold value.
 *
 * A review gets an intended sentiment s in [-1, 1]. Each sentiment slot gets a target on
 * the lexicon's scale, about 3.5 s plus noise (a mixed review sends some aspects the other
 * way), and takes a random phrase from its pool whose value, as demo_sentiment_raw scores
 * the phrase on its own, lies near the target. Pools hold every allowed combination of
 * negator, intensifier and word ("not very comfortable", "an absolute gem", "would highly
 * recommend"), sorted by value. The templates around the phrases are neutral, so the
 * review's gold sum is the sum of its phrases' values (demo_generator_intended).
 *
 * This file writes the reviews, the corpus and the prompts; demo_pools.c builds the pools and
 * demo_templates.c expands the templates (demo_corpus_internal.h holds what they share). */
#include "data/demo_corpus_internal.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "data/demo_topics.h"

/* ------------------------------------------------------------ reviews */

/* Picks the domain, type and subject name of a fresh review. */
static void begin_review(demo_generator *g) {
    review *r = &g->r;
    memset(r, 0, sizeof *r);
    double x = rlhf_rng_uniform(&g->rng) * g->domain_weight_total;
    int d = 0;
    while (d + 1 < demo_domain_count && x >= demo_domains[d].weight) x -= demo_domains[d++].weight;
    r->domain = &demo_domains[d];
    r->domain_info = &g->domains[d];
    int t = demo_uniform_int(&g->rng, r->domain->type_count);
    r->type = &r->domain->types[t];
    r->type_info = &r->domain_info->types[t];
    r->past = demo_chance(&g->rng, r->domain->past_probability);
    r->we = demo_chance(&g->rng, r->domain->we_probability);
    r->plural = r->type->plural_subject;
    r->last_dish = -1;
    text *name = &g->scratch;
    demo_text_clear(name);
    demo_expand_string(g, r->type->subject_name ? r->type->subject_name : r->domain->subject_name, name);
    snprintf(r->name, sizeof r->name, "%s", name->data ? name->data : "");
}

/* Writes one sentence from template into the review, after g->separator. */
static void write_sentence(demo_generator *g, const char *template) {
    demo_text_clear(&g->sentence);
    demo_expand_string(g, template, &g->sentence);
    demo_polish_sentence(g, &g->sentence);
    if (g->output.length > 0) demo_text_add(&g->output, g->separator);
    demo_text_append(&g->output, g->sentence.data ? g->sentence.data : "", g->sentence.length);
    g->separator = " ";
}

/* Aspect order for a review: the type's own aspects come up more often than shared ones. */
typedef struct aspect_queue {
    const aspect *items[48];
    int count, next;
} aspect_queue;

/* Fills q with the type's aspects in random order, its own ones earlier on the whole. */
static void shuffle_aspects(demo_generator *g, aspect_queue *q) {
    const type_info *ti = g->r.type_info;
    int own[48], shared[48], own_count = 0, shared_count = 0;
    for (int i = 0; i < ti->count; i++) {
        if (i < ti->own_count) own[own_count++] = i;
        else shared[shared_count++] = i;
    }
    for (int i = own_count - 1; i > 0; i--) {
        int j = demo_uniform_int(&g->rng, i + 1), swap = own[i];
        own[i] = own[j];
        own[j] = swap;
    }
    for (int i = shared_count - 1; i > 0; i--) {
        int j = demo_uniform_int(&g->rng, i + 1), swap = shared[i];
        shared[i] = shared[j];
        shared[j] = swap;
    }
    q->count = q->next = 0;
    int a = 0, b = 0;
    while (a < own_count || b < shared_count) {
        bool take_own = a < own_count && (b >= shared_count || demo_chance(&g->rng, 0.6));
        q->items[q->count++] = &ti->aspects[take_own ? own[a++] : shared[b++]];
    }
}

/* The next aspect, starting over when all have been used. */
static const aspect *next_aspect(aspect_queue *q) {
    if (q->count == 0) return NULL;
    const aspect *a = q->items[q->next % q->count];
    q->next++;
    return a;
}

/* x limited to [lo, hi]. */
static double clamp(double x, double lo, double hi) { return x < lo ? lo : (x > hi ? hi : x); }

/* How a review is mixed: contrasts left to place and the sign of the next one. */
typedef struct plan {
    double base;       /* 3.5 s */
    int contrasts;     /* aspects still to send against the overall sentiment */
    bool balanced;     /* a lukewarm review: aspects alternate between good and bad */
    int sign;          /* next sign of a balanced review */
} plan;

/* Target of an aspect slot; *contrast says whether it went against the review. */
static double aspect_target(demo_generator *g, plan *p, bool *contrast) {
    *contrast = false;
    if (p->balanced) {
        p->sign = -p->sign;
        *contrast = true;
        return clamp(p->base + p->sign * (1.2 + 1.8 * rlhf_rng_uniform(&g->rng)), -5, 5);
    }
    if (p->contrasts > 0 && demo_chance(&g->rng, 0.5)) {
        p->contrasts--;
        *contrast = true;
        double sign = p->base >= 0 ? -1 : 1;
        return sign * (0.8 + 1.7 * rlhf_rng_uniform(&g->rng));
    }
    return clamp(p->base + 0.8 * rlhf_rng_normal(&g->rng), -5, 5);
}

/* Target of a slot about the subject as a whole or a verdict. */
static double overall_target(demo_generator *g, const plan *p) { return clamp(p->base + 0.5 * rlhf_rng_normal(&g->rng), -5, 5); }

/* A sentence about the subject as a whole; exclamations ("What a ...!") only for strong
 * targets. */
static const char *overall_sentence(demo_generator *g) {
    const char *template;
    do template = demo_pick_string(&g->rng, demo_overall_sentences);
    while (template[0] == 'W' && fabs(g->r.t1) < 2.5);
    return template;
}

/* A body sentence about one or two aspects, the subject, a comparison or (at most once, when
 * context_allowed) a neutral one. */
static void write_body_sentence(demo_generator *g, plan *p, aspect_queue *q, bool *context_used, bool *comparison_used,
                                bool context_allowed) {
    review *r = &g->r;
    double x = rlhf_rng_uniform(&g->rng);
    if (x < 0.45) {
        bool contrast;
        r->a1 = next_aspect(q);
        r->t1 = aspect_target(g, p, &contrast);
        const char *template;
        if (r->a1 && r->a1->participle[0] && demo_chance(&g->rng, 0.35)) template = demo_pick_string(&g->rng, demo_participle_sentences);
        else if (r->a1 && strchr(r->a1->kinds, 'F') && demo_chance(&g->rng, 0.2)) template = demo_pick_string(&g->rng, demo_works_sentences);
        else template = demo_pick_string(&g->rng, demo_aspect_sentences);
        write_sentence(g, template);
    } else if (x < 0.67) {
        bool contrast1, contrast2;
        r->a1 = next_aspect(q);
        r->a2 = next_aspect(q);
        if (r->a2 == r->a1) r->a2 = NULL;
        r->t1 = aspect_target(g, p, &contrast1);
        r->t2 = aspect_target(g, p, &contrast2);
        if (!r->a2) {
            write_sentence(g, demo_pick_string(&g->rng, demo_aspect_sentences));
            return;
        }
        bool opposite = (r->t1 > 0.5 && r->t2 < -0.5) || (r->t1 < -0.5 && r->t2 > 0.5);
        bool same = (r->t1 >= 0) == (r->t2 >= 0);
        const char *const *list = opposite ? demo_contrast_sentences : demo_pair_sentences;
        if (!opposite && !same) list = demo_contrast_sentences;  /* mild ones either side: "but" reads fine */
        const char *template;
        do template = demo_pick_string(&g->rng, list);
        while (strstr(template, "shame") && r->t2 >= 0);  /* "shame about the X" only for a bad X */
        write_sentence(g, template);
    } else if (x < 0.84) {
        r->a1 = next_aspect(q);
        r->t1 = overall_target(g, p);
        write_sentence(g, overall_sentence(g));
    } else if (x < 0.93 && !*context_used && context_allowed) {
        *context_used = true;
        write_sentence(g, demo_pick_string(&g->rng, r->domain->contexts));
    } else if (!*comparison_used) {
        *comparison_used = true;
        r->t1 = overall_target(g, p);
        write_sentence(g, demo_pick_string(&g->rng, demo_comparison_sentences));
    } else {
        r->a1 = next_aspect(q);
        r->t1 = overall_target(g, p);
        write_sentence(g, overall_sentence(g));
    }
}

/* How a review opens. */
typedef enum { OPENING_NONE, OPENING_HEADER, OPENING_AND, OPENING_SENTENCE } opening_kind;

/* Writes the opening text itself (a header without its newline, an and-opening without
 * the clause, or a neutral sentence). */
static void write_opening(demo_generator *g, opening_kind kind) {
    const demo_domain *d = g->r.domain;
    const char *const *list = kind == OPENING_HEADER ? d->headers : (kind == OPENING_AND ? d->and_openings : d->sentence_openings);
    write_sentence(g, demo_pick_string(&g->rng, list));
    g->r.introduced = true;
    if (kind == OPENING_HEADER) g->separator = "\n";
}

/* Number of sentences of a review: 1..6, most often 3. */
static int sentence_count(demo_generator *g) {
    static const double cumulative[6] = {0.12, 0.32, 0.56, 0.76, 0.90, 1.0};
    double x = rlhf_rng_uniform(&g->rng);
    for (int i = 0; i < 6; i++)
        if (x < cumulative[i]) return i + 1;
    return 6;
}

/* Writes a whole review for intended sentiment s into g->output. */
static void write_review(demo_generator *g, double s) {
    demo_text_clear(&g->output);
    g->separator = " ";
    g->opening_length = 0;
    begin_review(g);
    review *r = &g->r;
    plan p = {.base = 3.5 * s, .sign = demo_chance(&g->rng, 0.5) ? 1 : -1};
    bool mixed = demo_chance(&g->rng, fabs(s) < 0.3 ? 0.6 : 0.25);
    if (mixed && fabs(s) < 0.3) p.balanced = true;
    else if (mixed) p.contrasts = 1;
    aspect_queue q;
    shuffle_aspects(g, &q);
    int sentences = sentence_count(g), written = 0;
    double x = rlhf_rng_uniform(&g->rng);
    opening_kind opening = x < 0.35 ? OPENING_NONE : x < 0.55 ? OPENING_HEADER : x < 0.8 ? OPENING_AND : OPENING_SENTENCE;
    if (sentences == 1 && opening == OPENING_SENTENCE) opening = OPENING_AND;
    if (opening == OPENING_HEADER) {
        write_opening(g, OPENING_HEADER);
        g->opening_length = g->output.length + 1;  /* with the newline the body starts after */
    } else if (opening == OPENING_AND) {
        write_opening(g, OPENING_AND);
        g->opening_length = g->output.length;
        r->a1 = next_aspect(&q);
        r->t1 = overall_target(g, &p);
        demo_text_clear(&g->sentence);
        demo_expand_string(g, demo_pick_string(&g->rng, demo_and_clauses), &g->sentence);
        demo_polish_sentence(g, &g->sentence);  /* the clause starts with a space: nothing is capitalised */
        demo_text_append(&g->output, g->sentence.data, g->sentence.length);
        written++;
    } else if (opening == OPENING_SENTENCE) {
        write_opening(g, OPENING_SENTENCE);
        g->opening_length = g->output.length;
        written++;
    }
    if (written == 0 && sentences == 1) {
        r->a1 = next_aspect(&q);
        r->t1 = overall_target(g, &p);
        write_sentence(g, opening == OPENING_HEADER ? overall_sentence(g) : demo_pick_string(&g->rng, demo_single_sentences));
        return;
    }
    int remaining = sentences - written;
    bool verdict = remaining >= 2 ? demo_chance(&g->rng, 0.6) : (remaining == 1 && written > 0 && demo_chance(&g->rng, 0.5));
    bool context_used = false, comparison_used = false;
    int body = remaining - (verdict ? 1 : 0);
    /* a neutral sentence only where at least one other body sentence or a verdict says something */
    for (int i = 0; i < body; i++) write_body_sentence(g, &p, &q, &context_used, &comparison_used, body + verdict >= 2);
    if (verdict) {
        r->a1 = next_aspect(&q);
        r->t1 = overall_target(g, &p);
        write_sentence(g, demo_pick_string(&g->rng, demo_verdict_sentences));
    }
}

/* The review just written, or NULL with an error if memory ran out on the way. */
static const char *finish_review(demo_generator *g, size_t *length, rlhf_error *error) {
    if (g->output.failed || g->sentence.failed || g->scratch.failed || !g->output.data) {
        rlhf_error_set(error, "demo generator: out of memory");
        return NULL;
    }
    *length = g->output.length;
    return g->output.data;
}

/* The next review at a sentiment s drawn uniformly from [-1, 1]; the text is the generator's, valid
 * until the next call. */
const char *demo_generator_next(demo_generator *g, double *sentiment, size_t *length, rlhf_error *error) {
    double s = 2.0 * rlhf_rng_uniform(&g->rng) - 1.0;
    *sentiment = s;
    write_review(g, s);
    return finish_review(g, length, error);
}

/* The next review at the given sentiment, clamped to [-1, 1] (NaN: 0). */
const char *demo_generator_next_with_sentiment(demo_generator *g, double sentiment, size_t *length, rlhf_error *error) {
    write_review(g, clamp(isnan(sentiment) ? 0.0 : sentiment, -1.0, 1.0));
    return finish_review(g, length, error);
}

/* Reviews of one seed, each followed by DEMO_DOCUMENT_SEPARATOR, until target_bytes are reached;
 * *text_out malloc'd. */
int demo_corpus_generate(uint64_t seed, size_t target_bytes, char **text_out, size_t *length, rlhf_error *error) {
    demo_generator *g = demo_generator_create(seed, error);
    if (!g) return -1;
    text corpus = {0};
    demo_text_reserve(&corpus, target_bytes + 4096);
    const size_t separator_length = strlen(DEMO_DOCUMENT_SEPARATOR);
    while (corpus.length < target_bytes && !corpus.failed) {
        double sentiment;
        size_t n;
        const char *review = demo_generator_next(g, &sentiment, &n, error);
        if (!review) break;
        demo_text_append(&corpus, review, n);
        demo_text_append(&corpus, DEMO_DOCUMENT_SEPARATOR, separator_length);
    }
    bool failed = corpus.failed || g->output.failed;
    demo_generator_destroy(g);
    if (failed || corpus.length < target_bytes || !demo_text_reserve(&corpus, 0)) {
        free(corpus.data);
        rlhf_error_set(error, "demo corpus: out of memory");
        return -1;
    }
    *text_out = corpus.data;
    *length = corpus.length;
    return 0;
}

/* The gold sum and units of the phrases the last review was built from (demo_corpus.h). */
void demo_generator_intended(const demo_generator *g, double *sum, int *units) {
    *sum = g->r.sum;
    *units = g->r.units;
}

/* ------------------------------------------------------------ prompts */

/* FNV-1a, for the set of prompts already made. */
static uint64_t hash_string(const char *s) {
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* count distinct review openings of one seed (at most 50 tries a prompt), as malloc'd strings; -1 when
 * too few come or memory runs out. */
int demo_prompts(uint64_t seed, int count, char ***prompts_out, rlhf_error *error) {
    if (count < 1 || count > 100000) {
        rlhf_error_set(error, "demo prompts: count must be in [1, 100000], got %d", count);
        return -1;
    }
    demo_generator *g = demo_generator_create(seed, error);
    if (!g) return -1;
    char **prompts = calloc((size_t)count, sizeof(char *));
    size_t buckets = 1;
    while (buckets < (size_t)count * 4) buckets *= 2;
    int *set = malloc(sizeof(int) * buckets);  /* index of a prompt, -1 empty */
    if (!prompts || !set) {
        free(prompts);
        free(set);
        demo_generator_destroy(g);
        rlhf_error_set(error, "demo prompts: out of memory");
        return -1;
    }
    for (size_t i = 0; i < buckets; i++) set[i] = -1;
    int made = 0;
    for (long attempt = 0; made < count && attempt < (long)count * 50; attempt++) {
        double sentiment;
        size_t length;
        const char *review = demo_generator_next(g, &sentiment, &length, error);
        if (!review) break;
        if (g->opening_length == 0) continue;
        char *prompt = strndup(review, g->opening_length);
        if (!prompt) break;
        size_t slot = hash_string(prompt) & (buckets - 1);
        bool seen = false;
        while (set[slot] >= 0 && !seen) {
            seen = strcmp(prompts[set[slot]], prompt) == 0;
            slot = (slot + 1) & (buckets - 1);
        }
        if (seen) {
            free(prompt);
            continue;
        }
        prompts[made] = prompt;
        set[slot] = made++;
    }
    bool failed = g->output.failed || made < count;
    demo_generator_destroy(g);
    free(set);
    if (failed) {
        demo_prompts_free(prompts, made);
        rlhf_error_set(error, "demo prompts: could not make %d distinct prompts (out of memory?)", count);
        return -1;
    }
    *prompts_out = prompts;
    return 0;
}

/* Frees the first count prompts and the array (prompts may be NULL). */
void demo_prompts_free(char **prompts, int count) {
    if (!prompts) return;
    for (int i = 0; i < count; i++) free(prompts[i]);
    free(prompts);
}

/* The prompts as {"prompt": ...} lines, non-ASCII escaped, into a malloc'd text. */
int demo_prompts_jsonl(char *const *prompts, int count, char **text_out, size_t *length, rlhf_error *error) {
    text out = {0};
    demo_text_reserve(&out, 0);
    for (int i = 0; i < count; i++) {
        json_t *object = json_pack("{s:s}", "prompt", prompts[i]);
        char *line = object ? json_dumps(object, JSON_ENSURE_ASCII) : NULL;
        json_decref(object);
        if (!line) {
            free(out.data);
            rlhf_error_set(error, "demo prompts: prompt %d is not valid UTF-8 or memory ran out", i + 1);
            return -1;
        }
        demo_text_add(&out, line);
        demo_text_add(&out, "\n");
        free(line);
    }
    if (out.failed) {
        free(out.data);
        rlhf_error_set(error, "demo prompts: out of memory");
        return -1;
    }
    *text_out = out.data;
    *length = out.length;
    return 0;
}
