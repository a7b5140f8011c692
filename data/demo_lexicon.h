/* Internal to data/: the demo task's word lists (data/demo_lexicon.c), the raw gold score they
 * define (data/demo_score.c), and the subjects and sentence patterns of the review generator
 * (data/demo_topics.c). The public side is include/rlhf/demo.h; data/README.md explains the
 * lists, the scale and the scoring rules. */
#ifndef RLHF_DATA_DEMO_LEXICON_H
#define RLHF_DATA_DEMO_LEXICON_H

#include <stdbool.h>

#include "rlhf/util.h"

/* Longest multi-word expression in the lexicon, in words. */
#define DEMO_MAX_PHRASE_WORDS 5
/* A negator or intensifier acts on a sentiment word at most this many words after it. */
#define DEMO_MODIFIER_WINDOW 3
/* Factor of a negation written as a contraction the lists do not name ("mightn't"). */
#define DEMO_CONTRACTION_NEGATION (-0.6)
/* score = tanh(sum / (DEMO_SCORE_SCALE * (units + 1))). */
#define DEMO_SCORE_SCALE 1.5
/* Adjectives at or above this strength are "extreme" (excellent, awful): they take
 * "absolutely" but not "very". */
#define DEMO_EXTREME_SCORE 2.7

/* Adjectives. kinds says what they may describe, one letter each:
 *   G anything        T taste (food, drink)      C comfort           S story, writing, acting
 *   J humor
 *   P speed           D punctuality              R responsiveness (screens, software)
 *   K cleanliness, condition
 *   V appearance      I image (screens, light)   L sound             H people, service
 *   M cost of a thing ("overpriced")
 *   O a price itself ("the price is fair")       A amount (portions)
 *   B build, materials F function, reliability   U ease of use       Q noise
 *   E the reviewer's feeling ("pleased") */
typedef struct demo_adjective {
    const char *text;
    double score;
    const char *kinds;
} demo_adjective;

/* Verbs, every form scored alike. first_person: NULL if the generator never writes "I <verb>
 * ..." with it, else the intensifiers that may go before it there, space-separated ("" none). */
typedef struct demo_verb {
    const char *base, *third, *past;
    double score;
    const char *first_person;
} demo_verb;

/* Nouns that judge the whole subject ("a gem", "a waste of money"). kinds: which subjects
 * (G any, M paid-for, S films/books/games, B products, R books, W films, L places to go). */
typedef struct demo_noun {
    const char *text;
    double score;
    const char *kinds;
    const char *tail;  /* written after the noun, "" for none */
} demo_noun;

/* Manner adverbs: after "works" ("works flawlessly") and/or before a participle ("beautifully
 * written"). */
typedef struct demo_adverb {
    const char *text;
    double score;
    bool after_works, before_participle;
} demo_adverb;

/* A word or multi-word expression with a score (other words, phrases). */
typedef struct demo_scored {
    const char *text;
    double score;
} demo_scored;

/* Usage of an intensifier or downtoner in generated text (the scorer ignores it). */
enum {
    DEMO_MOD_GRADABLE = 1u << 0,   /* before adjectives weaker than DEMO_EXTREME_SCORE */
    DEMO_MOD_EXTREME = 1u << 1,    /* before adjectives at least DEMO_EXTREME_SCORE */
    DEMO_MOD_VERB = 1u << 2,       /* before first-person verbs: "really enjoyed" */
    DEMO_MOD_ADVERB = 1u << 3,     /* before manner adverbs: "very well" */
    DEMO_MOD_NOUN = 1u << 4,       /* between article and noun: "an absolute gem" */
    DEMO_MOD_AFTER_NOT = 1u << 5,  /* only after "not": "not particularly" */
    DEMO_MOD_POSITIVE = 1u << 6,   /* only before positive words */
    DEMO_MOD_NEGATIVE = 1u << 7,   /* only before negative words */
    DEMO_MOD_MILD = 1u << 8,       /* only before words of strength <= 2.3 */
    DEMO_MOD_PREDICATIVE = 1u << 9, /* only after a verb: "is so good", never "so good seats" */
};

/* Intensifiers (factor > 1) and downtoners (factor < 1) multiply the next sentiment word.
 * word is what the scorer looks up; written is how the generator writes it ("a bit"). */
typedef struct demo_modifier {
    const char *word;
    const char *written;
    double factor;
    unsigned usage;
    const char *kinds;  /* adjective kinds it suits; "" for any */
} demo_modifier;

/* Negators multiply the next sentiment word by a negative factor. */
typedef struct demo_negator {
    const char *text;
    double factor;
} demo_negator;

extern const demo_adjective demo_adjectives[];
extern const int demo_adjective_count;
extern const demo_verb demo_verbs[];
extern const int demo_verb_count;
extern const demo_noun demo_nouns[];
extern const int demo_noun_count;
extern const demo_adverb demo_adverbs[];
extern const int demo_adverb_count;
extern const demo_scored demo_other_words[];
extern const int demo_other_word_count;
extern const demo_scored demo_phrases[];   /* two to DEMO_MAX_PHRASE_WORDS words */
extern const int demo_phrase_count;
extern const demo_modifier demo_modifiers[];
extern const int demo_modifier_count;
extern const demo_negator demo_negators[];
extern const int demo_negator_count;
extern const char *const demo_clause_words[];  /* end a modifier's reach, like punctuation */
extern const int demo_clause_word_count;

/* The raw gold score of text: the sum of its sentiment units (words and phrases after
 * negation and intensifiers) and how many there were. Any bytes are accepted. */
void demo_sentiment_raw(const char *text, size_t length, double *sum, int *units);

/* Checks that the lists fit together: every entry lower-case and read back by the scorer's
 * tokenizer as written, phrases of 2..DEMO_MAX_PHRASE_WORDS words, no word listed twice with
 * different scores or roles. Returns 0, or -1 with the first problem in error. */
int demo_lexicon_check(rlhf_error *error);

/* Whether word (lower-case) is anything the scorer reacts to: a sentiment word, the first
 * word of a phrase, a negator, an intensifier or a clause word. */
bool demo_lexicon_knows(const char *word);

#endif
