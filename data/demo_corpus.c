/* The demo review generator: builds phrase pools from the lexicon, then writes reviews from
 * the templates of demo_topics.c, choosing every sentiment phrase by its gold value.
 *
 * A review gets an intended sentiment s in [-1, 1]. Each sentiment slot gets a target on
 * the lexicon's scale, about 3.5 s plus noise (a mixed review sends some aspects the other
 * way), and takes a random phrase from its pool whose value, as demo_sentiment_raw scores
 * the phrase on its own, lies near the target. Pools hold every allowed combination of
 * negator, intensifier and word ("not very comfortable", "an absolute gem", "would highly
 * recommend"), sorted by value. The templates around the phrases are neutral, so the
 * review's gold sum is the sum of its phrases' values (demo_generator_intended). */
#include "data/demo_corpus.h"

#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "data/demo_lexicon.h"
#include "data/demo_topics.h"

/* ------------------------------------------------------------- text buffer */

typedef struct text {
    char *data;
    size_t length, capacity;
    bool failed;  /* an allocation failed; the content is incomplete */
} text;

/* Makes room for extra more bytes plus a NUL; false (and the text marked failed) when the
 * size overflows or memory runs out. */
static bool text_reserve(text *t, size_t extra) {
    if (t->failed) return false;
    if (extra > SIZE_MAX - 1 - t->length || rlhf_grow(&t->data, &t->capacity, t->length + extra + 1, 1) != 0) {
        t->failed = true;
        return false;
    }
    return true;
}

/* Appends s[0..n), keeping the text NUL-terminated. */
static void text_append(text *t, const char *s, size_t n) {
    if (!text_reserve(t, n)) return;
    memcpy(t->data + t->length, s, n);
    t->length += n;
    t->data[t->length] = '\0';
}

/* Appends the string s. */
static void text_add(text *t, const char *s) { text_append(t, s, strlen(s)); }

/* Empties the text, keeping its memory. */
static void text_clear(text *t) {
    t->length = 0;
    if (t->data) t->data[0] = '\0';
}

/* ------------------------------------------------------------ phrase pools */

/* One phrase: a template (it may hold slots such as {cop}) and its gold value. */
typedef struct candidate {
    const char *text;
    double value;
    int units;
    double weight;
} candidate;

/* Phrases sorted by value; cumulative[i] is the weight of items[0..i). */
typedef struct pool {
    candidate *items;
    double *cumulative;
    int count;
    size_t capacity;
} pool;

/* Strings of all pools, in blocks that never move. */
typedef struct arena_block {
    struct arena_block *next;
    size_t used;
    char data[];
} arena_block;

enum { ARENA_BLOCK_SIZE = 1 << 16, FORMS = 3 /* present singular, present plural, past */ };

/* An aspect of a type after parsing "name*:KINDS@participle". */
typedef struct aspect {
    char name[40];
    bool plural;
    char kinds[12];
    char participle[20];
} aspect;

typedef struct type_info {
    aspect *aspects;  /* the type's own, then the domain's shared ones */
    int own_count, count;
    char plural[48];
} type_info;

typedef struct domain_info {
    type_info *types;
    pool again;
} domain_info;

/* The review being written. */
typedef struct review {
    const demo_domain *domain;
    const domain_info *domain_info;
    const demo_type *type;
    const type_info *type_info;
    bool past, we, plural, introduced;
    char name[128];
    char city[40], city2[40], person[64], platform[24], year[8];
    const aspect *a1, *a2;
    double t1, t2;
    int last_dish;
    double sum;  /* gold values of the phrases written so far */
    int units;
    int depth;   /* template nesting, bounded */
} review;

struct demo_generator {
    rlhf_rng rng;
    arena_block *arena;
    pool adjective_predicate[26], adjective_attributive[26], noun[26];
    pool verb[2];  /* present, past */
    pool adverb_participle, adverb_works;
    pool aspect_predicate[26][FORMS], subject_predicate[26][FORMS];
    pool recommend, comparison, superlative, fragment;
    domain_info *domains;
    double domain_weight_total;
    review r;
    text output, sentence, scratch;
    const char *separator;  /* what goes before the next sentence: " ", or "\n" after a header */
    size_t opening_length;  /* bytes of the last review that are its opening (0: none) */
    bool out_of_memory;
};

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
static const candidate *pool_pick_within(rlhf_rng *rng, const pool *p, double target, double tolerance) {
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
static const candidate *pool_pick(rlhf_rng *rng, const pool *p, double target) {
    if (p->count == 0) return NULL;
    for (double tolerance = 0.5; tolerance <= 4.0; tolerance *= 2) {
        const candidate *c = pool_pick_within(rng, p, target, tolerance);
        if (c) return c;
    }
    return target < p->items[0].value ? &p->items[0] : &p->items[p->count - 1];
}

/* ------------------------------------------------------ pattern expansion */

/* Index of the brace closing the one at s[open], or n if unbalanced. */
static size_t matching_brace(const char *s, size_t open, size_t n) {
    int depth = 0;
    for (size_t i = open; i < n; i++) {
        if (s[i] == '{') depth++;
        else if (s[i] == '}' && --depth == 0) return i;
    }
    return n;
}

/* Whether s[0..n) has a '|' outside nested braces: an alternative rather than a slot. */
static bool has_top_level_bar(const char *s, size_t n) {
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
static int option_of(const char *s, size_t n, int k, const char **start, size_t *length) {
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
        size_t close = matching_brace(pattern, i, n);
        if (close >= n) break;
        const char *inner = pattern + i + 1;
        size_t inner_length = close - i - 1;
        if (!has_top_level_bar(inner, inner_length)) {
            i = close;
            continue;
        }
        int options = option_of(inner, inner_length, -1, NULL, NULL);
        for (int k = 0; k < options; k++) {
            const char *start;
            size_t length;
            option_of(inner, inner_length, k, &start, &length);
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
static int kind_index(char kind) { return kind >= 'A' && kind <= 'Z' ? kind - 'A' : 0; }

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
    pool *predicate = &g->adjective_predicate[kind_index(kind)];
    pool *attributive = &g->adjective_attributive[kind_index(kind)];
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
    pool *p = &g->noun[kind_index(kind)];
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
        for (int form = 0; form < FORMS; form++) pool_add_pattern(g, &pools[kind_index(list[i].family)][form], forms[form], 1.0);
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
        pool_finish(g, &g->adjective_predicate[kind_index(*k)]);
        pool_finish(g, &g->adjective_attributive[kind_index(*k)]);
    }
    for (const char *k = "GMSBRWL"; *k; k++) {
        build_noun_pool(g, *k);
        pool_finish(g, &g->noun[kind_index(*k)]);
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

/* The gold sum and units of the phrases the last review was built from (demo_corpus.h). */
void demo_generator_intended(const demo_generator *g, double *sum, int *units) {
    *sum = g->r.sum;
    *units = g->r.units;
}

/* ------------------------------------------------------------ templates */

/* Uniform in [0, n) (0 when n <= 1). */
static int uniform_int(rlhf_rng *rng, int n) { return n <= 1 ? 0 : (int)(rlhf_rng_next(rng) % (uint64_t)n); }

/* True with probability p. */
static bool chance(rlhf_rng *rng, double p) { return rlhf_rng_uniform(rng) < p; }

/* A random element of a NULL-terminated list. */
static const char *pick_string(rlhf_rng *rng, const char *const *list) {
    int n = 0;
    while (list[n]) n++;
    return list[uniform_int(rng, n)];
}

static void expand(demo_generator *g, const char *template, size_t length, text *out);

/* Appends the expansion of a NUL-terminated template. */
static void expand_string(demo_generator *g, const char *template, text *out) { expand(g, template, strlen(template), out); }

/* Writes a phrase chosen from p for target and books its value. */
static void write_phrase(demo_generator *g, const candidate *c, text *out) {
    if (!c) return;
    g->r.sum += c->value;
    g->r.units += c->units;
    expand_string(g, c->text, out);
}

/* Writes phrase c, or else the fallback template (for targets the pool has no phrase near). */
static void pick_or_else(demo_generator *g, const candidate *c, const char *fallback, text *out) {
    if (c) write_phrase(g, c, out);
    else expand_string(g, fallback, out);
}

/* A kind letter for a sentiment slot: G some of the time, else one of kinds. */
static char choose_kind(demo_generator *g, const char *kinds, double general) {
    size_t n = strlen(kinds);
    if (n == 0 || chance(&g->rng, general)) return 'G';
    return kinds[uniform_int(&g->rng, (int)n)];
}

/* Picks from the pool of kind (within 0.5 of target) or else from the G pool. */
static const candidate *pick_kind(demo_generator *g, pool pools[26], char kind, double target) {
    const candidate *c = NULL;
    if (kind != 'G') c = pool_pick_within(&g->rng, &pools[kind_index(kind)], target, 0.5);
    return c ? c : pool_pick(&g->rng, &pools[kind_index('G')], target);
}

/* The copula for a subject or aspect. */
static const char *copula(const review *r, bool plural) {
    if (r->past) return plural ? "were" : "was";
    return plural ? "are" : "is";
}

/* Picks an aspect verb phrase (family G or one of the aspect's kinds) near target, or NULL. */
static const candidate *pick_predicate(demo_generator *g, pool pools[26][FORMS], const char *families, int form,
                                       double target) {
    char available[16];
    int n = 0;
    available[n++] = 'G';
    for (const char *f = families; *f && n < 15; f++)
        if (*f != 'G' && pools[kind_index(*f)][form].count > 0) available[n++] = *f;
    char family = available[uniform_int(&g->rng, n)];
    const candidate *c = pool_pick_within(&g->rng, &pools[kind_index(family)][form], target, 0.6);
    if (!c && family != 'G') c = pool_pick_within(&g->rng, &pools[kind_index('G')][form], target, 0.6);
    return c;
}

/* Persistent per-review slot value: filled from a template on first use. */
static void persistent(demo_generator *g, char *value, size_t size, const char *template, text *out) {
    if (!value[0]) {
        text t = {0};
        expand_string(g, template, &t);
        snprintf(value, size, "%s", t.data ? t.data : "");
        free(t.data);
    }
    text_add(out, value);
}

/* Fills the slot name[0..n) (lower-case first letter already) into out. */
static void fill_slot(demo_generator *g, const char *name, text *out) {
    review *r = &g->r;
    const int form = r->past ? 2 : (r->plural ? 1 : 0);
#define IS(s) (strcmp(name, s) == 0)
    if (IS("p") || IS("p2")) {
        const aspect *a = IS("p") ? r->a1 : r->a2;
        double t = IS("p") ? r->t1 : r->t2;
        write_phrase(g, pick_kind(g, g->adjective_predicate, choose_kind(g, a ? a->kinds : "G", 0.35), t), out);
    } else if (IS("pa") || IS("pa2")) {
        const aspect *a = IS("pa") ? r->a1 : r->a2;
        double t = IS("pa") ? r->t1 : r->t2;
        write_phrase(g, pick_kind(g, g->adjective_attributive, choose_kind(g, a ? a->kinds : "G", 0.35), t), out);
    } else if (IS("pg")) {
        write_phrase(g, pool_pick(&g->rng, &g->adjective_predicate[kind_index('G')], r->t1), out);
    } else if (IS("rated_type")) {
        /* "a great blender" / "great headphones" */
        if (!r->plural) text_add(out, "a ");
        write_phrase(g, pick_kind(g, g->adjective_attributive, choose_kind(g, r->domain->overall_kinds, 0.5), r->t1), out);
        text_add(out, " ");
        text_add(out, r->type->name);
    } else if (IS("a_")) {
        if (!r->plural) text_add(out, "a ");
    } else if (IS("a_type")) {
        if (!r->plural) text_add(out, "a ");
        text_add(out, r->type->name);
    } else if (IS("this")) {
        text_add(out, r->plural ? "these" : "this");
    } else if (IS("ps")) {
        write_phrase(g, pick_kind(g, g->adjective_predicate, choose_kind(g, r->domain->overall_kinds, 0.5), r->t1), out);
    } else if (IS("psa")) {
        write_phrase(g, pick_kind(g, g->adjective_attributive, choose_kind(g, r->domain->overall_kinds, 0.5), r->t1), out);
    } else if (IS("feel")) {
        write_phrase(g, pool_pick(&g->rng, &g->adjective_predicate[kind_index('E')], r->t1), out);
    } else if (IS("np")) {
        char kind = choose_kind(g, r->domain->noun_kinds, 0.5);
        const candidate *c = pool_pick_within(&g->rng, &g->noun[kind_index(kind)], r->t1, 0.75);
        if (!c) c = pool_pick_within(&g->rng, &g->noun[kind_index('G')], r->t1, 0.75);
        pick_or_else(g, c, "{ps}", out);
    } else if (IS("verb")) {
        pick_or_else(g, pool_pick_within(&g->rng, &g->verb[r->past ? 1 : 0], r->t1, 0.75),
                     r->past ? "{had mixed feelings about|{am} on the fence about|{am} torn about}"
                             : "{have mixed feelings about|{am} on the fence about|{am} torn about}", out);
    } else if (IS("adv")) {
        write_phrase(g, pool_pick(&g->rng, &g->adverb_participle, r->t1), out);
    } else if (IS("advw")) {
        write_phrase(g, pool_pick(&g->rng, &g->adverb_works, r->t1), out);
    } else if (IS("rec")) {
        pick_or_else(g, pool_pick_within(&g->rng, &g->recommend, r->t1, 0.75),
                     r->past ? "{had mixed feelings about|{am} on the fence about|{am} torn about} {them}"
                             : "{have mixed feelings about|{am} on the fence about|{am} torn about} {them}", out);
    } else if (IS("cmp")) {
        write_phrase(g, pool_pick(&g->rng, &g->comparison, r->t1), out);
    } else if (IS("sup")) {
        pick_or_else(g, pool_pick_within(&g->rng, &g->superlative, r->t1, 0.75), "{ps}", out);
    } else if (IS("frag")) {
        pick_or_else(g, pool_pick_within(&g->rng, &g->fragment, r->t1, 0.75), "{ps}", out);
    } else if (IS("again")) {
        pick_or_else(g, pool_pick_within(&g->rng, &r->domain_info->again, r->t1, 0.6), "{rec}", out);
    } else if (IS("vp")) {
        int aspect_form = r->past ? 2 : (r->a1 && r->a1->plural ? 1 : 0);
        const candidate *c = pick_predicate(g, g->aspect_predicate, r->a1 ? r->a1->kinds : "G", aspect_form, r->t1);
        if (c) write_phrase(g, c, out);
        else expand_string(g, "{acop} {p}", out);
    } else if (IS("vps")) {
        const candidate *c = pick_predicate(g, g->subject_predicate, r->domain->predicate_kinds, form, r->t1);
        if (c) write_phrase(g, c, out);
        else expand_string(g, "{cop} {ps}", out);
    } else if (IS("a") || IS("a2")) {
        const aspect *a = IS("a") ? r->a1 : r->a2;
        text_add(out, a ? a->name : "price");
    } else if (IS("acop") || IS("acop2")) {
        const aspect *a = IS("acop") ? r->a1 : r->a2;
        text_add(out, copula(r, a && a->plural));
    } else if (IS("apron")) {
        text_add(out, r->a1 && r->a1->plural ? "they" : "it");
    } else if (IS("aworks")) {
        text_add(out, r->past ? "worked" : (r->a1 && r->a1->plural ? "work" : "works"));
    } else if (IS("partic")) {
        text_add(out, r->a1 && r->a1->participle[0] ? r->a1->participle : "made");
    } else if (IS("spartic")) {
        expand_string(g, r->domain->participle, out);
    } else if (IS("s")) {
        if (!r->introduced) {
            r->introduced = true;
            expand_string(g, r->domain->full, out);
        } else if (chance(&g->rng, 0.25)) {
            text_add(out, r->plural ? "they" : "it");
        } else {
            expand_string(g, r->domain->ref, out);
        }
    } else if (IS("full")) {
        r->introduced = true;
        expand_string(g, r->domain->full, out);
    } else if (IS("ref")) {
        expand_string(g, r->domain->ref, out);
    } else if (IS("name")) {
        r->introduced = true;
        text_add(out, r->name);
    } else if (IS("type")) {
        text_add(out, r->type->name);
    } else if (IS("types")) {
        text_add(out, r->type_info->plural);
    } else if (IS("it")) {
        text_add(out, r->plural ? "they" : "it");
    } else if (IS("them")) {
        text_add(out, r->plural ? "them" : "it");
    } else if (IS("its")) {
        text_add(out, r->plural ? "their" : "its");
    } else if (IS("cop")) {
        text_add(out, copula(r, r->plural));
    } else if (IS("pcop")) {
        text_add(out, r->plural ? "are" : "is");
    } else if (IS("copl")) {
        text_add(out, r->past ? "were" : "are");
    } else if (IS("i")) {
        text_add(out, r->we ? "we" : "I");
    } else if (IS("me")) {
        text_add(out, r->we ? "us" : "me");
    } else if (IS("my")) {
        text_add(out, r->we ? "our" : "my");
    } else if (IS("am")) {
        text_add(out, r->we ? (r->past ? "were" : "are") : (r->past ? "was" : "am"));
    } else if (IS("found")) {
        text_add(out, r->past ? "found" : "find");
    } else if (IS("think")) {
        expand_string(g, r->past ? "{thought|felt}" : "{think|feel}", out);
    } else if (IS("pp")) {
        expand_string(g, r->domain->have_verb, out);
    } else if (IS("experience")) {
        expand_string(g, r->domain->experience, out);
    } else if (IS("other")) {
        expand_string(g, r->domain->other, out);
    } else if (IS("x")) {
        expand_string(g, r->type->extra, out);
    } else if (IS("dish")) {
        int n = r->type_info->own_count, k = uniform_int(&g->rng, n);
        if (n > 1 && k == r->last_dish) k = (k + 1) % n;
        r->last_dish = k;
        text_add(out, n > 0 ? r->type_info->aspects[k].name : "dish");
    } else if (IS("city")) {
        persistent(g, r->city, sizeof r->city, "{city_any}", out);
    } else if (IS("city2")) {
        /* another city than {city} */
        text unused = {0};
        if (!r->city[0]) persistent(g, r->city, sizeof r->city, "{city_any}", &unused);
        for (int tries = 0; !r->city2[0] || (strcmp(r->city, r->city2) == 0 && tries < 8); tries++) {
            r->city2[0] = '\0';
            persistent(g, r->city2, sizeof r->city2, "{city_any}", &unused);
        }
        free(unused.data);
        text_add(out, r->city2);
    } else if (IS("person")) {
        persistent(g, r->person, sizeof r->person, "{first} {last}", out);
    } else if (IS("platform")) {
        persistent(g, r->platform, sizeof r->platform, "{platform_any}", out);
    } else if (IS("year")) {
        persistent(g, r->year, sizeof r->year, "{year_any}", out);
    } else {
        for (int i = 0; i < demo_word_slot_count; i++)
            if (strcmp(demo_word_slots[i].name, name) == 0) {
                const char *alternatives = demo_word_slots[i].alternatives;
                size_t n = strlen(alternatives);
                int options = option_of(alternatives, n, -1, NULL, NULL);
                const char *start;
                size_t length;
                option_of(alternatives, n, uniform_int(&g->rng, options), &start, &length);
                expand(g, start, length, out);
                return;
            }
        text_add(out, "[[");  /* an unknown slot, which the tests look for */
        text_add(out, name);
        text_add(out, "]]");
    }
#undef IS
}

/* Appends the expansion of template[0..length) to out. */
static void expand(demo_generator *g, const char *template, size_t length, text *out) {
    if (++g->r.depth > 40) {
        g->r.depth--;
        return;
    }
    size_t i = 0;
    while (i < length) {
        const char *brace = memchr(template + i, '{', length - i);
        size_t stop = brace ? (size_t)(brace - template) : length;
        if (stop > i) text_append(out, template + i, stop - i);
        if (!brace) break;
        size_t close = matching_brace(template, stop, length);
        if (close >= length) {
            text_append(out, template + stop, length - stop);
            break;
        }
        const char *inner = template + stop + 1;
        size_t inner_length = close - stop - 1;
        if (has_top_level_bar(inner, inner_length)) {
            int options = option_of(inner, inner_length, -1, NULL, NULL);
            const char *start;
            size_t option_length;
            option_of(inner, inner_length, uniform_int(&g->rng, options), &start, &option_length);
            expand(g, start, option_length, out);
        } else {
            char name[32];
            size_t n = inner_length < sizeof name - 1 ? inner_length : sizeof name - 1;
            memcpy(name, inner, n);
            name[n] = '\0';
            bool capital = isupper((unsigned char)name[0]);
            name[0] = (char)tolower((unsigned char)name[0]);
            size_t start = out->length;
            fill_slot(g, name, out);
            if (capital && start < out->length) out->data[start] = (char)toupper((unsigned char)out->data[start]);
        }
        i = close + 1;
    }
    g->r.depth--;
}

/* Whether the word at s starts with a vowel sound (for "a" / "an"). */
static bool vowel_sound(const char *s) {
    char first = (char)tolower((unsigned char)s[0]);
    static const char *const a_words[] = {"uni", "use", "usu", "uti", "eu", "one", "once", "ufo"};
    static const char *const an_words[] = {"hour", "honest", "honor", "heir"};
    char lower[8] = {0};
    for (int i = 0; i < 7 && isalpha((unsigned char)s[i]); i++) lower[i] = (char)tolower((unsigned char)s[i]);
    for (size_t i = 0; i < sizeof an_words / sizeof an_words[0]; i++)
        if (strncmp(lower, an_words[i], strlen(an_words[i])) == 0) return true;
    if (!strchr("aeiou", first) || first == '\0') return false;
    for (size_t i = 0; i < sizeof a_words / sizeof a_words[0]; i++)
        if (strncmp(lower, a_words[i], strlen(a_words[i])) == 0) return false;
    return true;
}

/* Finishes a sentence in place: capital first letter, "a" -> "an" before vowel sounds, and
 * some "is not" -> "isn't" (same negation for the scorer). */
static void polish_sentence(demo_generator *g, text *s) {
    if (s->length > 0) s->data[0] = (char)toupper((unsigned char)s->data[0]);
    text *t = &g->scratch;
    text_clear(t);
    static const char *const long_forms[] = {" is not ", " are not ", " was not ", " were not "};
    static const char *const short_forms[] = {" isn't ", " aren't ", " wasn't ", " weren't "};
    for (size_t i = 0; i < s->length;) {
        bool at_word = i == 0 || s->data[i - 1] == ' ';
        if (at_word && (s->data[i] == 'a' || s->data[i] == 'A') && s->data[i + 1] == ' ' && vowel_sound(s->data + i + 2)) {
            text_append(t, s->data + i, 1);
            text_append(t, "n", 1);
            i++;
            continue;
        }
        bool replaced = false;
        if (s->data[i] == ' ')
            for (int f = 0; f < 4 && !replaced; f++) {
                size_t n = strlen(long_forms[f]);
                if (i + n <= s->length && memcmp(s->data + i, long_forms[f], n) == 0 && chance(&g->rng, 0.4)) {
                    text_add(t, short_forms[f]);
                    i += n;
                    replaced = true;
                }
            }
        if (replaced) continue;
        text_append(t, s->data + i, 1);
        i++;
    }
    text_clear(s);
    text_append(s, t->data ? t->data : "", t->length);
}

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
    int t = uniform_int(&g->rng, r->domain->type_count);
    r->type = &r->domain->types[t];
    r->type_info = &r->domain_info->types[t];
    r->past = chance(&g->rng, r->domain->past_probability);
    r->we = chance(&g->rng, r->domain->we_probability);
    r->plural = r->type->plural_subject;
    r->last_dish = -1;
    text *name = &g->scratch;
    text_clear(name);
    expand_string(g, r->type->subject_name ? r->type->subject_name : r->domain->subject_name, name);
    snprintf(r->name, sizeof r->name, "%s", name->data ? name->data : "");
}

/* Writes one sentence from template into the review, after g->separator. */
static void write_sentence(demo_generator *g, const char *template) {
    text_clear(&g->sentence);
    expand_string(g, template, &g->sentence);
    polish_sentence(g, &g->sentence);
    if (g->output.length > 0) text_add(&g->output, g->separator);
    text_append(&g->output, g->sentence.data ? g->sentence.data : "", g->sentence.length);
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
        int j = uniform_int(&g->rng, i + 1), swap = own[i];
        own[i] = own[j];
        own[j] = swap;
    }
    for (int i = shared_count - 1; i > 0; i--) {
        int j = uniform_int(&g->rng, i + 1), swap = shared[i];
        shared[i] = shared[j];
        shared[j] = swap;
    }
    q->count = q->next = 0;
    int a = 0, b = 0;
    while (a < own_count || b < shared_count) {
        bool take_own = a < own_count && (b >= shared_count || chance(&g->rng, 0.6));
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
    if (p->contrasts > 0 && chance(&g->rng, 0.5)) {
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
    do template = pick_string(&g->rng, demo_overall_sentences);
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
        if (r->a1 && r->a1->participle[0] && chance(&g->rng, 0.35)) template = pick_string(&g->rng, demo_participle_sentences);
        else if (r->a1 && strchr(r->a1->kinds, 'F') && chance(&g->rng, 0.2)) template = pick_string(&g->rng, demo_works_sentences);
        else template = pick_string(&g->rng, demo_aspect_sentences);
        write_sentence(g, template);
    } else if (x < 0.67) {
        bool contrast1, contrast2;
        r->a1 = next_aspect(q);
        r->a2 = next_aspect(q);
        if (r->a2 == r->a1) r->a2 = NULL;
        r->t1 = aspect_target(g, p, &contrast1);
        r->t2 = aspect_target(g, p, &contrast2);
        if (!r->a2) {
            write_sentence(g, pick_string(&g->rng, demo_aspect_sentences));
            return;
        }
        bool opposite = (r->t1 > 0.5 && r->t2 < -0.5) || (r->t1 < -0.5 && r->t2 > 0.5);
        bool same = (r->t1 >= 0) == (r->t2 >= 0);
        const char *const *list = opposite ? demo_contrast_sentences : demo_pair_sentences;
        if (!opposite && !same) list = demo_contrast_sentences;  /* mild ones either side: "but" reads fine */
        const char *template;
        do template = pick_string(&g->rng, list);
        while (strstr(template, "shame") && r->t2 >= 0);  /* "shame about the X" only for a bad X */
        write_sentence(g, template);
    } else if (x < 0.84) {
        r->a1 = next_aspect(q);
        r->t1 = overall_target(g, p);
        write_sentence(g, overall_sentence(g));
    } else if (x < 0.93 && !*context_used && context_allowed) {
        *context_used = true;
        write_sentence(g, pick_string(&g->rng, r->domain->contexts));
    } else if (!*comparison_used) {
        *comparison_used = true;
        r->t1 = overall_target(g, p);
        write_sentence(g, pick_string(&g->rng, demo_comparison_sentences));
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
    write_sentence(g, pick_string(&g->rng, list));
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
    text_clear(&g->output);
    g->separator = " ";
    g->opening_length = 0;
    begin_review(g);
    review *r = &g->r;
    plan p = {.base = 3.5 * s, .sign = chance(&g->rng, 0.5) ? 1 : -1};
    bool mixed = chance(&g->rng, fabs(s) < 0.3 ? 0.6 : 0.25);
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
        text_clear(&g->sentence);
        expand_string(g, pick_string(&g->rng, demo_and_clauses), &g->sentence);
        polish_sentence(g, &g->sentence);  /* the clause starts with a space: nothing is capitalised */
        text_append(&g->output, g->sentence.data, g->sentence.length);
        written++;
    } else if (opening == OPENING_SENTENCE) {
        write_opening(g, OPENING_SENTENCE);
        g->opening_length = g->output.length;
        written++;
    }
    if (written == 0 && sentences == 1) {
        r->a1 = next_aspect(&q);
        r->t1 = overall_target(g, &p);
        write_sentence(g, opening == OPENING_HEADER ? overall_sentence(g) : pick_string(&g->rng, demo_single_sentences));
        return;
    }
    int remaining = sentences - written;
    bool verdict = remaining >= 2 ? chance(&g->rng, 0.6) : (remaining == 1 && written > 0 && chance(&g->rng, 0.5));
    bool context_used = false, comparison_used = false;
    int body = remaining - (verdict ? 1 : 0);
    /* a neutral sentence only where at least one other body sentence or a verdict says something */
    for (int i = 0; i < body; i++) write_body_sentence(g, &p, &q, &context_used, &comparison_used, body + verdict >= 2);
    if (verdict) {
        r->a1 = next_aspect(&q);
        r->t1 = overall_target(g, &p);
        write_sentence(g, pick_string(&g->rng, demo_verdict_sentences));
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
    text_reserve(&corpus, target_bytes + 4096);
    const size_t separator_length = strlen(DEMO_DOCUMENT_SEPARATOR);
    while (corpus.length < target_bytes && !corpus.failed) {
        double sentiment;
        size_t n;
        const char *review = demo_generator_next(g, &sentiment, &n, error);
        if (!review) break;
        text_append(&corpus, review, n);
        text_append(&corpus, DEMO_DOCUMENT_SEPARATOR, separator_length);
    }
    bool failed = corpus.failed || g->output.failed;
    demo_generator_destroy(g);
    if (failed || corpus.length < target_bytes || !text_reserve(&corpus, 0)) {
        free(corpus.data);
        rlhf_error_set(error, "demo corpus: out of memory");
        return -1;
    }
    *text_out = corpus.data;
    *length = corpus.length;
    return 0;
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
    text_reserve(&out, 0);
    for (int i = 0; i < count; i++) {
        json_t *object = json_pack("{s:s}", "prompt", prompts[i]);
        char *line = object ? json_dumps(object, JSON_ENSURE_ASCII) : NULL;
        json_decref(object);
        if (!line) {
            free(out.data);
            rlhf_error_set(error, "demo prompts: prompt %d is not valid UTF-8 or memory ran out", i + 1);
            return -1;
        }
        text_add(&out, line);
        text_add(&out, "\n");
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
