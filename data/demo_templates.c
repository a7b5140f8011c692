/* Template expansion for the demo generator (demo_corpus_internal.h): the text buffer, the
 * random choices, and the slots a template may hold ("{p}" a sentiment phrase near the slot's
 * target, "{it}", "{cop}", "{city}", the word slots of demo_topics.c, ...), each filled from
 * the review being written. Every sentiment phrase written books its gold value in g->r. */
#include "data/demo_corpus_internal.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/demo_topics.h"

/* ------------------------------------------------------------- text buffer */

/* Makes room for extra more bytes plus a NUL; false (and the text marked failed) when the
 * size overflows or memory runs out. */
bool demo_text_reserve(text *t, size_t extra) {
    if (t->failed) return false;
    if (extra > SIZE_MAX - 1 - t->length || rlhf_grow(&t->data, &t->capacity, t->length + extra + 1, 1) != 0) {
        t->failed = true;
        return false;
    }
    return true;
}

/* Appends s[0..n), keeping the text NUL-terminated. */
void demo_text_append(text *t, const char *s, size_t n) {
    if (!demo_text_reserve(t, n)) return;
    memcpy(t->data + t->length, s, n);
    t->length += n;
    t->data[t->length] = '\0';
}

/* Appends the string s. */
void demo_text_add(text *t, const char *s) { demo_text_append(t, s, strlen(s)); }

/* Empties the text, keeping its memory. */
void demo_text_clear(text *t) {
    t->length = 0;
    if (t->data) t->data[0] = '\0';
}

/* ------------------------------------------------------------ templates */

/* Uniform in [0, n) (0 when n <= 1). */
int demo_uniform_int(rlhf_rng *rng, int n) { return n <= 1 ? 0 : (int)(rlhf_rng_next(rng) % (uint64_t)n); }

/* True with probability p. */
bool demo_chance(rlhf_rng *rng, double p) { return rlhf_rng_uniform(rng) < p; }

/* A random element of a NULL-terminated list. */
const char *demo_pick_string(rlhf_rng *rng, const char *const *list) {
    int n = 0;
    while (list[n]) n++;
    return list[demo_uniform_int(rng, n)];
}

static void expand(demo_generator *g, const char *template, size_t length, text *out);

/* Appends the expansion of a NUL-terminated template. */
void demo_expand_string(demo_generator *g, const char *template, text *out) { expand(g, template, strlen(template), out); }

/* Writes a phrase chosen from p for target and books its value. */
static void write_phrase(demo_generator *g, const candidate *c, text *out) {
    if (!c) return;
    g->r.sum += c->value;
    g->r.units += c->units;
    demo_expand_string(g, c->text, out);
}

/* Writes phrase c, or else the fallback template (for targets the pool has no phrase near). */
static void pick_or_else(demo_generator *g, const candidate *c, const char *fallback, text *out) {
    if (c) write_phrase(g, c, out);
    else demo_expand_string(g, fallback, out);
}

/* A kind letter for a sentiment slot: G some of the time, else one of kinds. */
static char choose_kind(demo_generator *g, const char *kinds, double general) {
    size_t n = strlen(kinds);
    if (n == 0 || demo_chance(&g->rng, general)) return 'G';
    return kinds[demo_uniform_int(&g->rng, (int)n)];
}

/* Picks from the pool of kind (within 0.5 of target) or else from the G pool. */
static const candidate *pick_kind(demo_generator *g, pool pools[26], char kind, double target) {
    const candidate *c = NULL;
    if (kind != 'G') c = demo_pool_pick_within(&g->rng, &pools[demo_kind_index(kind)], target, 0.5);
    return c ? c : demo_pool_pick(&g->rng, &pools[demo_kind_index('G')], target);
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
        if (*f != 'G' && pools[demo_kind_index(*f)][form].count > 0) available[n++] = *f;
    char family = available[demo_uniform_int(&g->rng, n)];
    const candidate *c = demo_pool_pick_within(&g->rng, &pools[demo_kind_index(family)][form], target, 0.6);
    if (!c && family != 'G') c = demo_pool_pick_within(&g->rng, &pools[demo_kind_index('G')][form], target, 0.6);
    return c;
}

/* Persistent per-review slot value: filled from a template on first use. */
static void persistent(demo_generator *g, char *value, size_t size, const char *template, text *out) {
    if (!value[0]) {
        text t = {0};
        demo_expand_string(g, template, &t);
        snprintf(value, size, "%s", t.data ? t.data : "");
        free(t.data);
    }
    demo_text_add(out, value);
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
        write_phrase(g, demo_pool_pick(&g->rng, &g->adjective_predicate[demo_kind_index('G')], r->t1), out);
    } else if (IS("rated_type")) {
        /* "a great blender" / "great headphones" */
        if (!r->plural) demo_text_add(out, "a ");
        write_phrase(g, pick_kind(g, g->adjective_attributive, choose_kind(g, r->domain->overall_kinds, 0.5), r->t1), out);
        demo_text_add(out, " ");
        demo_text_add(out, r->type->name);
    } else if (IS("a_")) {
        if (!r->plural) demo_text_add(out, "a ");
    } else if (IS("a_type")) {
        if (!r->plural) demo_text_add(out, "a ");
        demo_text_add(out, r->type->name);
    } else if (IS("this")) {
        demo_text_add(out, r->plural ? "these" : "this");
    } else if (IS("ps")) {
        write_phrase(g, pick_kind(g, g->adjective_predicate, choose_kind(g, r->domain->overall_kinds, 0.5), r->t1), out);
    } else if (IS("psa")) {
        write_phrase(g, pick_kind(g, g->adjective_attributive, choose_kind(g, r->domain->overall_kinds, 0.5), r->t1), out);
    } else if (IS("feel")) {
        write_phrase(g, demo_pool_pick(&g->rng, &g->adjective_predicate[demo_kind_index('E')], r->t1), out);
    } else if (IS("np")) {
        char kind = choose_kind(g, r->domain->noun_kinds, 0.5);
        const candidate *c = demo_pool_pick_within(&g->rng, &g->noun[demo_kind_index(kind)], r->t1, 0.75);
        if (!c) c = demo_pool_pick_within(&g->rng, &g->noun[demo_kind_index('G')], r->t1, 0.75);
        pick_or_else(g, c, "{ps}", out);
    } else if (IS("verb")) {
        pick_or_else(g, demo_pool_pick_within(&g->rng, &g->verb[r->past ? 1 : 0], r->t1, 0.75),
                     r->past ? "{had mixed feelings about|{am} on the fence about|{am} torn about}"
                             : "{have mixed feelings about|{am} on the fence about|{am} torn about}", out);
    } else if (IS("adv")) {
        write_phrase(g, demo_pool_pick(&g->rng, &g->adverb_participle, r->t1), out);
    } else if (IS("advw")) {
        write_phrase(g, demo_pool_pick(&g->rng, &g->adverb_works, r->t1), out);
    } else if (IS("rec")) {
        pick_or_else(g, demo_pool_pick_within(&g->rng, &g->recommend, r->t1, 0.75),
                     r->past ? "{had mixed feelings about|{am} on the fence about|{am} torn about} {them}"
                             : "{have mixed feelings about|{am} on the fence about|{am} torn about} {them}", out);
    } else if (IS("cmp")) {
        write_phrase(g, demo_pool_pick(&g->rng, &g->comparison, r->t1), out);
    } else if (IS("sup")) {
        pick_or_else(g, demo_pool_pick_within(&g->rng, &g->superlative, r->t1, 0.75), "{ps}", out);
    } else if (IS("frag")) {
        pick_or_else(g, demo_pool_pick_within(&g->rng, &g->fragment, r->t1, 0.75), "{ps}", out);
    } else if (IS("again")) {
        pick_or_else(g, demo_pool_pick_within(&g->rng, &r->domain_info->again, r->t1, 0.6), "{rec}", out);
    } else if (IS("vp")) {
        int aspect_form = r->past ? 2 : (r->a1 && r->a1->plural ? 1 : 0);
        const candidate *c = pick_predicate(g, g->aspect_predicate, r->a1 ? r->a1->kinds : "G", aspect_form, r->t1);
        if (c) write_phrase(g, c, out);
        else demo_expand_string(g, "{acop} {p}", out);
    } else if (IS("vps")) {
        const candidate *c = pick_predicate(g, g->subject_predicate, r->domain->predicate_kinds, form, r->t1);
        if (c) write_phrase(g, c, out);
        else demo_expand_string(g, "{cop} {ps}", out);
    } else if (IS("a") || IS("a2")) {
        const aspect *a = IS("a") ? r->a1 : r->a2;
        demo_text_add(out, a ? a->name : "price");
    } else if (IS("acop") || IS("acop2")) {
        const aspect *a = IS("acop") ? r->a1 : r->a2;
        demo_text_add(out, copula(r, a && a->plural));
    } else if (IS("apron")) {
        demo_text_add(out, r->a1 && r->a1->plural ? "they" : "it");
    } else if (IS("aworks")) {
        demo_text_add(out, r->past ? "worked" : (r->a1 && r->a1->plural ? "work" : "works"));
    } else if (IS("partic")) {
        demo_text_add(out, r->a1 && r->a1->participle[0] ? r->a1->participle : "made");
    } else if (IS("spartic")) {
        demo_expand_string(g, r->domain->participle, out);
    } else if (IS("s")) {
        if (!r->introduced) {
            r->introduced = true;
            demo_expand_string(g, r->domain->full, out);
        } else if (demo_chance(&g->rng, 0.25)) {
            demo_text_add(out, r->plural ? "they" : "it");
        } else {
            demo_expand_string(g, r->domain->ref, out);
        }
    } else if (IS("full")) {
        r->introduced = true;
        demo_expand_string(g, r->domain->full, out);
    } else if (IS("ref")) {
        demo_expand_string(g, r->domain->ref, out);
    } else if (IS("name")) {
        r->introduced = true;
        demo_text_add(out, r->name);
    } else if (IS("type")) {
        demo_text_add(out, r->type->name);
    } else if (IS("types")) {
        demo_text_add(out, r->type_info->plural);
    } else if (IS("it")) {
        demo_text_add(out, r->plural ? "they" : "it");
    } else if (IS("them")) {
        demo_text_add(out, r->plural ? "them" : "it");
    } else if (IS("its")) {
        demo_text_add(out, r->plural ? "their" : "its");
    } else if (IS("cop")) {
        demo_text_add(out, copula(r, r->plural));
    } else if (IS("pcop")) {
        demo_text_add(out, r->plural ? "are" : "is");
    } else if (IS("copl")) {
        demo_text_add(out, r->past ? "were" : "are");
    } else if (IS("i")) {
        demo_text_add(out, r->we ? "we" : "I");
    } else if (IS("me")) {
        demo_text_add(out, r->we ? "us" : "me");
    } else if (IS("my")) {
        demo_text_add(out, r->we ? "our" : "my");
    } else if (IS("am")) {
        demo_text_add(out, r->we ? (r->past ? "were" : "are") : (r->past ? "was" : "am"));
    } else if (IS("found")) {
        demo_text_add(out, r->past ? "found" : "find");
    } else if (IS("think")) {
        demo_expand_string(g, r->past ? "{thought|felt}" : "{think|feel}", out);
    } else if (IS("pp")) {
        demo_expand_string(g, r->domain->have_verb, out);
    } else if (IS("experience")) {
        demo_expand_string(g, r->domain->experience, out);
    } else if (IS("other")) {
        demo_expand_string(g, r->domain->other, out);
    } else if (IS("x")) {
        demo_expand_string(g, r->type->extra, out);
    } else if (IS("dish")) {
        int n = r->type_info->own_count, k = demo_uniform_int(&g->rng, n);
        if (n > 1 && k == r->last_dish) k = (k + 1) % n;
        r->last_dish = k;
        demo_text_add(out, n > 0 ? r->type_info->aspects[k].name : "dish");
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
        demo_text_add(out, r->city2);
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
                int options = demo_option_of(alternatives, n, -1, NULL, NULL);
                const char *start;
                size_t length;
                demo_option_of(alternatives, n, demo_uniform_int(&g->rng, options), &start, &length);
                expand(g, start, length, out);
                return;
            }
        demo_text_add(out, "[[");  /* an unknown slot, which the tests look for */
        demo_text_add(out, name);
        demo_text_add(out, "]]");
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
        if (stop > i) demo_text_append(out, template + i, stop - i);
        if (!brace) break;
        size_t close = demo_matching_brace(template, stop, length);
        if (close >= length) {
            demo_text_append(out, template + stop, length - stop);
            break;
        }
        const char *inner = template + stop + 1;
        size_t inner_length = close - stop - 1;
        if (demo_has_top_level_bar(inner, inner_length)) {
            int options = demo_option_of(inner, inner_length, -1, NULL, NULL);
            const char *start;
            size_t option_length;
            demo_option_of(inner, inner_length, demo_uniform_int(&g->rng, options), &start, &option_length);
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
void demo_polish_sentence(demo_generator *g, text *s) {
    if (s->length > 0) s->data[0] = (char)toupper((unsigned char)s->data[0]);
    text *t = &g->scratch;
    demo_text_clear(t);
    static const char *const long_forms[] = {" is not ", " are not ", " was not ", " were not "};
    static const char *const short_forms[] = {" isn't ", " aren't ", " wasn't ", " weren't "};
    for (size_t i = 0; i < s->length;) {
        bool at_word = i == 0 || s->data[i - 1] == ' ';
        if (at_word && (s->data[i] == 'a' || s->data[i] == 'A') && s->data[i + 1] == ' ' && vowel_sound(s->data + i + 2)) {
            demo_text_append(t, s->data + i, 1);
            demo_text_append(t, "n", 1);
            i++;
            continue;
        }
        bool replaced = false;
        if (s->data[i] == ' ')
            for (int f = 0; f < 4 && !replaced; f++) {
                size_t n = strlen(long_forms[f]);
                if (i + n <= s->length && memcmp(s->data + i, long_forms[f], n) == 0 && demo_chance(&g->rng, 0.4)) {
                    demo_text_add(t, short_forms[f]);
                    i += n;
                    replaced = true;
                }
            }
        if (replaced) continue;
        demo_text_append(t, s->data + i, 1);
        i++;
    }
    demo_text_clear(s);
    demo_text_append(s, t->data ? t->data : "", t->length);
}
