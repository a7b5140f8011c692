/* The demo generator's phrase pools (demo_corpus_internal.h): every allowed combination of
 * negator, intensifier and lexicon word, each with its gold value as demo_sentiment_raw scores
 * it alone, sorted by value so that a review can pick a phrase near a target. Also the brace
 * syntax the pools and the templates share ("{a|b}" alternatives, "{name}" slots), and
 * demo_generator_create / demo_generator_destroy, which build and free the pools. */
#include "data/demo_corpus_internal.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/demo_lexicon.h"
#include "data/demo_topics.h"

/* ------------------------------------------------------------ phrase pools */

/* Strings of all pools, in blocks that never move. */
typedef struct arena_block {
    struct arena_block *next;
    size_t used;
    char data[];
} arena_block;

enum { ARENA_BLOCK_SIZE = 1 << 16 };

/* A copy of s[0..n) in the arena, NUL-terminated; NULL when memory runs out. */
static const char *arena_copy(demo_generator *g, const char *s, size_t n) {
    if (!g->arena || g->arena->used + n + 1 > ARENA_BLOCK_SIZE - sizeof(arena_block)) {
        size_t size = n + 1 > ARENA_BLOCK_SIZE / 2 ? sizeof(arena_block) + n + 1 : ARENA_BLOCK_SIZE;
        arena_block *block = malloc(size);
        if (!block) {
            g->out_of_memory = true;
            return NULL;
        }
        block->next = g->arena;
        block->used = 0;
        g->arena = block;
    }
    char *copy = g->arena->data + g->arena->used;
    memcpy(copy, s, n);
    copy[n] = '\0';
    g->arena->used += n + 1;
    return copy;
}

/* The gold value of a phrase template, its slots read as typical fillers ({it} as "it",
 * {cop} as "is", anything else as a neutral word). */
static void phrase_value(const char *phrase, double *value, int *units) {
    char buffer[512];
    size_t used = 0;
    for (const char *p = phrase; *p && used + 8 < sizeof buffer;) {
        if (*p != '{') {
            buffer[used++] = *p++;
            continue;
        }
        const char *close = strchr(p, '}');
        if (!close) break;
        size_t n = (size_t)(close - p - 1);
        const char *filler = "x";
        if ((n == 2 && memcmp(p + 1, "it", 2) == 0) || (n == 4 && memcmp(p + 1, "them", 4) == 0)) filler = "it";
        else if (n == 2 && memcmp(p + 1, "me", 2) == 0) filler = "me";
        else if ((n == 3 && memcmp(p + 1, "cop", 3) == 0) || (n == 4 && memcmp(p + 1, "acop", 4) == 0)) filler = "is";
        size_t f = strlen(filler);
        memcpy(buffer + used, filler, f);
        used += f;
        p = close + 1;
    }
    demo_sentiment_raw(buffer, used, value, units);
}

/* Adds a phrase (copied) with its weight. */
static void pool_add(demo_generator *g, pool *p, const char *phrase, double weight) {
    if (g->out_of_memory) return;
    if (p->count == INT32_MAX || rlhf_grow(&p->items, &p->capacity, (size_t)p->count + 1, sizeof *p->items) != 0) {
        g->out_of_memory = true;
        return;
    }
    const char *copy = arena_copy(g, phrase, strlen(phrase));
    if (!copy) return;
    candidate *c = &p->items[p->count++];
    c->text = copy;
    c->weight = weight;
    phrase_value(copy, &c->value, &c->units);
}

/* qsort order of phrases: by value, then by text. */
static int compare_candidates(const void *a, const void *b) {
    const candidate *x = a, *y = b;
    if (x->value != y->value) return x->value < y->value ? -1 : 1;
    return strcmp(x->text, y->text);  /* a total order: qsort gives the same pool everywhere */
}

/* Sorts by value and builds the cumulative weights. */
static void pool_finish(demo_generator *g, pool *p) {
    if (g->out_of_memory || p->count == 0) return;
    qsort(p->items, (size_t)p->count, sizeof(candidate), compare_candidates);
    p->cumulative = malloc(sizeof(double) * (size_t)(p->count + 1));
    if (!p->cumulative) {
        g->out_of_memory = true;
        return;
    }
    p->cumulative[0] = 0.0;
    for (int i = 0; i < p->count; i++) p->cumulative[i + 1] = p->cumulative[i] + p->items[i].weight;
}

/* Frees a pool's arrays (its strings live in the arena). */
static void pool_free(pool *p) {
    free(p->items);
    free(p->cumulative);
}

/* First index whose value is >= x. */
static int lower_bound(const pool *p, double x) {
    int lo = 0, hi = p->count;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (p->items[mid].value < x) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* A random phrase (by weight) whose value is within tolerance of target; NULL if none. */
const candidate *demo_pool_pick_within(rlhf_rng *rng, const pool *p, double target, double tolerance) {
    if (p->count == 0) return NULL;
    int lo = lower_bound(p, target - tolerance), hi = lower_bound(p, target + tolerance + 1e-12);
    if (hi <= lo) return NULL;
    double total = p->cumulative[hi] - p->cumulative[lo];
    double x = p->cumulative[lo] + rlhf_rng_uniform(rng) * total;
    int a = lo, b = hi - 1;
    while (a < b) {
        int mid = (a + b) / 2;
        if (p->cumulative[mid + 1] <= x) a = mid + 1;
        else b = mid;
    }
    return &p->items[a];
}

/* A phrase near target: within 0.5, else within a widening margin, else the nearest. */
const candidate *demo_pool_pick(rlhf_rng *rng, const pool *p, double target) {
    if (p->count == 0) return NULL;
    for (double tolerance = 0.5; tolerance <= 4.0; tolerance *= 2) {
        const candidate *c = demo_pool_pick_within(rng, p, target, tolerance);
        if (c) return c;
    }
    return target < p->items[0].value ? &p->items[0] : &p->items[p->count - 1];
}

/* ------------------------------------------------------ pattern expansion */

/* Index of the brace closing the one at s[open], or n if unbalanced. */
size_t demo_matching_brace(const char *s, size_t open, size_t n) {
    int depth = 0;
    for (size_t i = open; i < n; i++) {
        if (s[i] == '{') depth++;
        else if (s[i] == '}' && --depth == 0) return i;
    }
    return n;
}

/* Whether s[0..n) has a '|' outside nested braces: an alternative rather than a slot. */
bool demo_has_top_level_bar(const char *s, size_t n) {
    int depth = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '{') depth++;
        else if (s[i] == '}') depth--;
        else if (s[i] == '|' && depth == 0) return true;
    }
    return false;
}

/* The k-th '|'-separated option of s[0..n) (top level) in *start, *length (empty if there
 * is no such option); returns the number of options when k < 0. */
int demo_option_of(const char *s, size_t n, int k, const char **start, size_t *length) {
    if (start) {
        *start = s + n;
        *length = 0;
    }
    int depth = 0, index = 0;
    size_t begin = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] == '{') depth++;
        else if (i < n && s[i] == '}') depth--;
        else if (i == n || (s[i] == '|' && depth == 0)) {
            if (index == k) {
                *start = s + begin;
                *length = i - begin;
                return index + 1;
            }
            index++;
            begin = i + 1;
        }
    }
    return index;
}

typedef void (*phrase_sink)(demo_generator *g, const char *phrase, void *context);

/* Calls sink with every expansion of the alternatives in pattern (slots stay as they are). */
static void for_each_expansion(demo_generator *g, const char *pattern, phrase_sink sink, void *context) {
    size_t n = strlen(pattern);
    for (size_t i = 0; i < n; i++) {
        if (pattern[i] != '{') continue;
        size_t close = demo_matching_brace(pattern, i, n);
        if (close >= n) break;
        const char *inner = pattern + i + 1;
        size_t inner_length = close - i - 1;
        if (!demo_has_top_level_bar(inner, inner_length)) {
            i = close;
            continue;
        }
        int options = demo_option_of(inner, inner_length, -1, NULL, NULL);
        for (int k = 0; k < options; k++) {
            const char *start;
            size_t length;
            demo_option_of(inner, inner_length, k, &start, &length);
            size_t total = i + length + (n - close - 1);
            char *expanded = malloc(total + 1);
            if (!expanded) {
                g->out_of_memory = true;
                return;
            }
            memcpy(expanded, pattern, i);
            memcpy(expanded + i, start, length);
            memcpy(expanded + i + length, pattern + close + 1, n - close - 1);
            expanded[total] = '\0';
            for_each_expansion(g, expanded, sink, context);
            free(expanded);
        }
        return;
    }
    sink(g, pattern, context);
}

/* How many expansions pattern has. */
static void count_sink(demo_generator *g, const char *phrase, void *context) {
    (void)g;
    (void)phrase;
    (*(int *)context)++;
}

typedef struct add_context {
    pool *target;
    double weight;
} add_context;

/* Adds one expansion to the pool in context (an add_context). */
static void add_sink(demo_generator *g, const char *phrase, void *context) {
    add_context *a = context;
    pool_add(g, a->target, phrase, a->weight);
}

/* Adds every expansion of pattern, sharing weight among them. */
static void pool_add_pattern(demo_generator *g, pool *p, const char *pattern, double weight) {
    int expansions = 0;
    for_each_expansion(g, pattern, count_sink, &expansions);
    if (expansions == 0) return;
    add_context a = {p, weight / expansions};
    for_each_expansion(g, pattern, add_sink, &a);
}

/* ------------------------------------------------------------ pool building */

/* The pool index of a kind letter A..Z. */
int demo_kind_index(char kind) { return kind >= 'A' && kind <= 'Z' ? kind - 'A' : 0; }

/* Whether intensifier or downtoner m may go before adjective w when it describes kind. */
static bool modifier_suits(const demo_modifier *m, double score, char kind, unsigned needed) {
    double strength = fabs(score);
    if (!(m->usage & needed)) return false;
    if ((m->usage & DEMO_MOD_AFTER_NOT) || (m->usage & DEMO_MOD_NOUN)) return false;
    if ((m->usage & DEMO_MOD_POSITIVE) && score <= 0) return false;
    if ((m->usage & DEMO_MOD_NEGATIVE) && score >= 0) return false;
    if ((m->usage & DEMO_MOD_MILD) && strength > 2.3) return false;
    if (m->kinds[0] && kind && !strchr(m->kinds, kind)) return false;
    if (strength < 1.5 && m->factor > 1.25) return false;  /* "very okay", "incredibly decent" */
    return true;
}

/* The adjective pools of one kind: predicative ("is not very comfortable") and
 * attributive ("very comfortable seats"). */
static void build_adjective_pools(demo_generator *g, char kind) {
    pool *predicate = &g->adjective_predicate[demo_kind_index(kind)];
    pool *attributive = &g->adjective_attributive[demo_kind_index(kind)];
    char phrase[128];
    for (int i = 0; i < demo_adjective_count; i++) {
        const demo_adjective *w = &demo_adjectives[i];
        if (!strchr(w->kinds, kind)) continue;
        double v = w->score, strength = fabs(v);
        unsigned needed = strength >= DEMO_EXTREME_SCORE ? DEMO_MOD_EXTREME : DEMO_MOD_GRADABLE;
        pool_add(g, predicate, w->text, 6.0);
        if (kind != 'E') pool_add(g, attributive, w->text, 6.0);
        int amplifiers = 0, downtoners = 0;
        for (int j = 0; j < demo_modifier_count; j++) {
            const demo_modifier *m = &demo_modifiers[j];
            if (!modifier_suits(m, v, kind, needed)) continue;
            if (m->factor > 1) amplifiers++;
            else downtoners++;
        }
        for (int j = 0; j < demo_modifier_count; j++) {
            const demo_modifier *m = &demo_modifiers[j];
            if (!modifier_suits(m, v, kind, needed)) continue;
            double weight = m->factor > 1 ? 4.0 / amplifiers : 1.2 / downtoners;
            snprintf(phrase, sizeof phrase, "%s %s", m->written, w->text);
            pool_add(g, predicate, phrase, weight);
            /* attributive: never "so good seats" or "a a bit slow one" */
            if (kind != 'E' && !(m->usage & DEMO_MOD_PREDICATIVE) && !strchr(m->written, ' '))
                pool_add(g, attributive, phrase, weight);
        }
        /* "not good", "not bad"; never "not fine", "not terrible" or "not unpleasant" */
        bool negatable = v > 0 ? strength >= 1.5 && strength <= 2.5
                               : strength >= 1.0 && strength <= 2.0 && strncmp(w->text, "un", 2) != 0 &&
                                     strncmp(w->text, "in", 2) != 0 && strncmp(w->text, "dis", 3) != 0;
        if (negatable) {
            snprintf(phrase, sizeof phrase, "not %s", w->text);
            pool_add(g, predicate, phrase, 1.2);
        }
        if (negatable && v > 0) {
            snprintf(phrase, sizeof phrase, "not {very|particularly|especially|that|exactly} %s", w->text);
            pool_add_pattern(g, predicate, phrase, 1.0);
        }
    }
}

/* Nouns of one kind: "a gem", "an absolute gem", "a bit of a letdown", "no bargain". */
static void build_noun_pool(demo_generator *g, char kind) {
    pool *p = &g->noun[demo_kind_index(kind)];
    char phrase[128];
    for (int i = 0; i < demo_noun_count; i++) {
        const demo_noun *n = &demo_nouns[i];
        if (!strchr(n->kinds, kind)) continue;
        snprintf(phrase, sizeof phrase, "a %s%s", n->text, n->tail);
        pool_add(g, p, phrase, 4.0);
        int suitable = 0;
        for (int pass = 0; pass < 2; pass++) {
            for (int j = 0; j < demo_modifier_count; j++) {
                const demo_modifier *m = &demo_modifiers[j];
                if (!(m->usage & DEMO_MOD_NOUN)) continue;
                if ((m->usage & DEMO_MOD_POSITIVE) && n->score <= 0) continue;
                if ((m->usage & DEMO_MOD_NEGATIVE) && n->score >= 0) continue;
                if (pass == 0) {
                    suitable++;
                    continue;
                }
                bool of = strlen(m->written) > 3 && strcmp(m->written + strlen(m->written) - 3, " of") == 0;
                snprintf(phrase, sizeof phrase, "a %s %s%s%s", m->written, of ? "a " : "", n->text, n->tail);
                pool_add(g, p, phrase, 3.0 / suitable);
            }
        }
        if (n->score > 0) {
            snprintf(phrase, sizeof phrase, "no %s", n->text);
            pool_add(g, p, phrase, 0.8);
        }
    }
}

/* First-person verbs: "really loved", "didn't enjoy", "can't stand". */
static void build_verb_pools(demo_generator *g) {
    char phrase[128];
    for (int tense = 0; tense < 2; tense++) {
        pool *p = &g->verb[tense];
        for (int i = 0; i < demo_verb_count; i++) {
            const demo_verb *v = &demo_verbs[i];
            if (!v->first_person) continue;
            const char *form = tense ? v->past : v->base;
            pool_add(g, p, form, 4.0);
            int modifiers = 0;
            for (const char *m = v->first_person; *m; m++) modifiers += (*m != ' ' && (m == v->first_person || m[-1] == ' '));
            const char *m = v->first_person;
            while (*m) {
                while (*m == ' ') m++;
                const char *end = m;
                while (*end && *end != ' ') end++;
                if (end > m) {
                    snprintf(phrase, sizeof phrase, "%.*s %s", (int)(end - m), m, form);
                    pool_add(g, p, phrase, 3.0 / modifiers);
                }
                m = end;
            }
            snprintf(phrase, sizeof phrase, tense ? "{didn't|did not} %s" : "{don't|do not} %s", v->base);
            pool_add_pattern(g, p, phrase, v->score > 0 ? 1.2 : 0.4);
        }
        pool_add_pattern(g, p, tense ? "{couldn't|could not} stand" : "{can't|cannot} stand", 1.0);
    }
}

/* Manner adverbs before a participle ("very well made") or after "works". */
static void build_adverb_pool(demo_generator *g, pool *p, bool works) {
    char phrase[128];
    for (int i = 0; i < demo_adverb_count; i++) {
        const demo_adverb *a = &demo_adverbs[i];
        if (works ? !a->after_works : !a->before_participle) continue;
        pool_add(g, p, a->text, 4.0);
        int suitable = 0;
        for (int pass = 0; pass < 2; pass++) {
            for (int j = 0; j < demo_modifier_count; j++) {
                const demo_modifier *m = &demo_modifiers[j];
                /* "very well", "pretty badly"; never "very perfectly" or "fairly sloppily" */
                bool gradable = strcmp(a->text, "well") == 0 || strcmp(a->text, "nicely") == 0 ||
                                strcmp(a->text, "poorly") == 0 || strcmp(a->text, "badly") == 0;
                if (!gradable || !modifier_suits(m, a->score, 0, DEMO_MOD_ADVERB)) continue;
                if (pass == 0) {
                    suitable++;
                    continue;
                }
                snprintf(phrase, sizeof phrase, "%s %s", m->written, a->text);
                pool_add(g, p, phrase, 2.0 / suitable);
            }
        }
        if (!works && a->score > 0 && a->score <= 1.5) {
            snprintf(phrase, sizeof phrase, "not {|very |particularly }%s", a->text);
            pool_add_pattern(g, p, phrase, 1.2);
        }
    }
}

/* Verb phrases of the given families, one pool per family and form. */
static void build_predicate_pools(demo_generator *g, pool pools[26][FORMS], const demo_predicate *list, int count) {
    for (int i = 0; i < count; i++) {
        const demo_verb_phrase *f = &list[i].forms;
        const char *forms[FORMS] = {f->present_singular, f->present_plural, f->past};
        for (int form = 0; form < FORMS; form++) pool_add_pattern(g, &pools[demo_kind_index(list[i].family)][form], forms[form], 1.0);
    }
}

/* Adds every pattern of a NULL-terminated list to p, each with weight 1. */
static void build_pattern_pool(demo_generator *g, pool *p, const char *const *patterns) {
    for (int i = 0; patterns[i]; i++) pool_add_pattern(g, p, patterns[i], 1.0);
}

/* Copies "name*:KINDS@participle" items separated by commas into aspects; returns how many. */
static int parse_aspects(const char *spec, aspect *aspects, int capacity) {
    int count = 0;
    const char *p = spec;
    while (*p && count < capacity) {
        while (*p == ' ' || *p == ',') p++;
        if (!*p) break;
        const char *end = p;
        while (*end && *end != ',') end++;
        aspect *a = &aspects[count];
        memset(a, 0, sizeof *a);
        const char *colon = memchr(p, ':', (size_t)(end - p));
        const char *at = memchr(p, '@', (size_t)(end - p));
        const char *name_end = colon ? colon : (at ? at : end);
        if (name_end > p && name_end[-1] == '*') {
            a->plural = true;
            name_end--;
        }
        snprintf(a->name, sizeof a->name, "%.*s", (int)(name_end - p), p);
        if (colon) {
            const char *kinds_end = at && at > colon ? at : end;
            snprintf(a->kinds, sizeof a->kinds, "%.*s", (int)(kinds_end - colon - 1), colon + 1);
        }
        if (!a->kinds[0]) strcpy(a->kinds, "G");
        if (at) snprintf(a->participle, sizeof a->participle, "%.*s", (int)(end - at - 1), at + 1);
        count++;
        p = end;
    }
    return count;
}

/* English plural of a type name (its last word). */
static void make_plural(const char *name, char *out, size_t size) {
    size_t n = strlen(name);
    if (n >= 2 && name[n - 1] == 'y' && !strchr("aeiou", name[n - 2])) snprintf(out, size, "%.*sies", (int)(n - 1), name);
    else if ((n >= 1 && (name[n - 1] == 's' || name[n - 1] == 'x')) || (n >= 2 && (strcmp(name + n - 2, "ch") == 0 || strcmp(name + n - 2, "sh") == 0)))
        snprintf(out, size, "%ses", name);
    else snprintf(out, size, "%ss", name);
}

/* Parses every type's aspects and builds each domain's return-intent pool; -1 when
 * memory runs out. */
static int build_domains(demo_generator *g) {
    g->domains = calloc((size_t)demo_domain_count, sizeof(domain_info));
    if (!g->domains) return -1;
    for (int d = 0; d < demo_domain_count; d++) {
        const demo_domain *domain = &demo_domains[d];
        domain_info *info = &g->domains[d];
        g->domain_weight_total += domain->weight;
        info->types = calloc((size_t)domain->type_count, sizeof(type_info));
        if (!info->types) return -1;
        for (int t = 0; t < domain->type_count; t++) {
            const demo_type *type = &domain->types[t];
            type_info *ti = &info->types[t];
            ti->aspects = malloc(sizeof(aspect) * 48);
            if (!ti->aspects) return -1;
            ti->own_count = parse_aspects(type->aspects, ti->aspects, 48);
            ti->count = ti->own_count + parse_aspects(domain->shared_aspects, ti->aspects + ti->own_count, 48 - ti->own_count);
            if (type->plural) snprintf(ti->plural, sizeof ti->plural, "%s", type->plural);
            else make_plural(type->name, ti->plural, sizeof ti->plural);
        }
        if (domain->again[0]) {
            for (int i = 0; demo_again_auxiliaries[i]; i++) {
                char pattern[256];
                snprintf(pattern, sizeof pattern, "%s%s", demo_again_auxiliaries[i], domain->again);
                pool_add_pattern(g, &info->again, pattern, 1.0);
            }
            pool_finish(g, &info->again);
        }
    }
    return 0;
}

/* A generator seeded with seed, its phrase pools built from the lexicon; NULL (error set) when memory
 * runs out. */
demo_generator *demo_generator_create(uint64_t seed, rlhf_error *error) {
    demo_generator *g = calloc(1, sizeof *g);
    if (!g) {
        rlhf_error_set(error, "demo generator: out of memory");
        return NULL;
    }
    rlhf_rng_seed(&g->rng, seed);
    const char *kinds = "GTCSJPDRKVILHMOABFUQE";
    for (const char *k = kinds; *k; k++) {
        build_adjective_pools(g, *k);
        pool_finish(g, &g->adjective_predicate[demo_kind_index(*k)]);
        pool_finish(g, &g->adjective_attributive[demo_kind_index(*k)]);
    }
    for (const char *k = "GMSBRWL"; *k; k++) {
        build_noun_pool(g, *k);
        pool_finish(g, &g->noun[demo_kind_index(*k)]);
    }
    build_verb_pools(g);
    build_adverb_pool(g, &g->adverb_participle, false);
    build_adverb_pool(g, &g->adverb_works, true);
    build_predicate_pools(g, g->aspect_predicate, demo_aspect_predicates, demo_aspect_predicate_count);
    build_predicate_pools(g, g->subject_predicate, demo_subject_predicates, demo_subject_predicate_count);
    build_pattern_pool(g, &g->recommend, demo_recommend_patterns);
    build_pattern_pool(g, &g->comparison, demo_comparison_patterns);
    build_pattern_pool(g, &g->superlative, demo_superlative_patterns);
    build_pattern_pool(g, &g->fragment, demo_fragment_patterns);
    for (int tense = 0; tense < 2; tense++) pool_finish(g, &g->verb[tense]);
    pool_finish(g, &g->adverb_participle);
    pool_finish(g, &g->adverb_works);
    for (int k = 0; k < 26; k++)
        for (int form = 0; form < FORMS; form++) {
            pool_finish(g, &g->aspect_predicate[k][form]);
            pool_finish(g, &g->subject_predicate[k][form]);
        }
    pool_finish(g, &g->recommend);
    pool_finish(g, &g->comparison);
    pool_finish(g, &g->superlative);
    pool_finish(g, &g->fragment);
    if (build_domains(g) != 0 || g->out_of_memory) {
        demo_generator_destroy(g);
        rlhf_error_set(error, "demo generator: out of memory");
        return NULL;
    }
    return g;
}

/* Frees the pools, the arena and the buffers (g may be NULL). */
void demo_generator_destroy(demo_generator *g) {
    if (!g) return;
    for (int k = 0; k < 26; k++) {
        pool_free(&g->adjective_predicate[k]);
        pool_free(&g->adjective_attributive[k]);
        pool_free(&g->noun[k]);
        for (int form = 0; form < FORMS; form++) {
            pool_free(&g->aspect_predicate[k][form]);
            pool_free(&g->subject_predicate[k][form]);
        }
    }
    for (int tense = 0; tense < 2; tense++) pool_free(&g->verb[tense]);
    pool_free(&g->adverb_participle);
    pool_free(&g->adverb_works);
    pool_free(&g->recommend);
    pool_free(&g->comparison);
    pool_free(&g->superlative);
    pool_free(&g->fragment);
    if (g->domains) {
        for (int d = 0; d < demo_domain_count; d++) {
            if (g->domains[d].types)
                for (int t = 0; t < demo_domains[d].type_count; t++) free(g->domains[d].types[t].aspects);
            free(g->domains[d].types);
            pool_free(&g->domains[d].again);
        }
        free(g->domains);
    }
    while (g->arena) {
        arena_block *next = g->arena->next;
        free(g->arena);
        g->arena = next;
    }
    free(g->output.data);
    free(g->sentence.data);
    free(g->scratch.data);
    free(g);
}
