/* Internal to data/: what the demo reviews are about and the sentence patterns they are
 * written with (data/demo_topics.c), read by the generator (data/demo_corpus.c and the
 * files beside it).
 *
 * Every text here is a template: "{a|b|c}" picks one alternative (an alternative may be
 * empty, and may hold further braces), "{name}" fills a slot (fill_slot in
 * demo_templates.c lists the slots; a capitalised name, "{It}", capitalises what it
 * writes). Outside the sentiment slots a template must say nothing the scorer reacts to:
 * the test that the generator's intended sum equals the scorer's sum on every review
 * enforces it. */
#ifndef RLHF_DATA_DEMO_TOPICS_H
#define RLHF_DATA_DEMO_TOPICS_H

#include <stdbool.h>

/* A kind of thing reviewed: "blender", "ramen bar", "thriller". */
typedef struct demo_type {
    const char *name;
    const char *plural;        /* NULL: made from name ("blenders", "ferries") */
    bool plural_subject;       /* the subject is "they" ("the Lumen X2 headphones are ...") */
    /* "name:KINDS" items separated by commas: what a review may talk about. A '*' after the
     * name makes it plural ("fries*:T"), KINDS are adjective kinds (demo_lexicon.h), and
     * "@participle" lets the review say "the {a} was beautifully cooked" ("food:T@cooked"). */
    const char *aspects;
    const char *subject_name;  /* the {name} template for this type; NULL: the domain's */
    const char *extra;         /* the {x} slot, "" if unused */
} demo_type;

/* One family of subjects with its own wording (products, restaurants, ...). */
typedef struct demo_domain {
    const char *name;
    double weight;                 /* share of the corpus */
    const demo_type *types;
    int type_count;
    const char *shared_aspects;    /* aspects every type of the domain has, same syntax */
    const char *subject_name;      /* template for {name}: "{brand} {model}" */
    const char *full;              /* first mention: "the {name} {type}" */
    const char *ref;               /* later mentions: "{the|this} {type}" */
    const char *overall_kinds;     /* adjective kinds that suit the subject as a whole */
    const char *noun_kinds;        /* demo_noun kinds that suit it ("a bargain": M) */
    const char *predicate_kinds;   /* which subject verb-phrase families suit (demo_subject_predicates) */
    const char *again;             /* return intent ("{be back|come back}"), "" if none */
    const char *participle;        /* "{made|built}": "the {type} is beautifully made" */
    const char *have_verb;         /* "{owned|used}": "the best {type} I have ever owned" */
    const char *experience;        /* "I was pleased with {experience}" */
    const char *other;             /* something to compare with: "my old one" */
    double past_probability;       /* share of reviews told in the past tense */
    double we_probability;         /* share told as "we" rather than "I" */
    const char *const *headers;            /* header lines (the body follows after "\n") */
    const char *const *and_openings;       /* first sentences cut before their verdict */
    const char *const *sentence_openings;  /* neutral first sentences */
    const char *const *contexts;           /* neutral sentences for the body */
} demo_domain;

extern const demo_domain demo_domains[];
extern const int demo_domain_count;

/* Slots filled by picking one alternative of a fixed list: {"city_any", "Lisbon|Porto|..."}. */
typedef struct demo_word_slot {
    const char *name;
    const char *alternatives;  /* '|'-separated, may hold templates */
} demo_word_slot;
extern const demo_word_slot demo_word_slots[];
extern const int demo_word_slot_count;

/* A verb phrase in the three forms a review needs. */
typedef struct demo_verb_phrase {
    const char *present_singular, *present_plural, *past;
} demo_verb_phrase;

/* Verb phrases said of an aspect ("the battery could be better") by family: 'G' any aspect,
 * 'B' built things, 'F' things that work or fail, 'T' food. */
typedef struct demo_predicate {
    char family;
    demo_verb_phrase forms;
} demo_predicate;
extern const demo_predicate demo_aspect_predicates[];
extern const int demo_aspect_predicate_count;
/* Verb phrases said of the subject ("it was worth every penny"): 'G' any subject, 'B'
 * products, 'A' software, 'L' places one goes to. */
extern const demo_predicate demo_subject_predicates[];
extern const int demo_subject_predicate_count;

/* Patterns of the small phrase pools (alternatives are expanded into separate phrases,
 * each scored on its own). */
extern const char *const demo_recommend_patterns[];   /* "would highly recommend" */
extern const char *const demo_again_auxiliaries[];    /* "will definitely ", then the domain's again */
extern const char *const demo_comparison_patterns[];  /* "much better than" */
extern const char *const demo_superlative_patterns[]; /* "the best {type} {i} have ever {pp}" */
extern const char *const demo_fragment_patterns[];    /* whole short sentences: "Never again" */

/* Sentence templates (NULL-terminated). Slots with a sentiment take the sentence's
 * target(s): the first for p, pa, ps, psa, verb, feel, np, ..., the second for p2, pa2. */
extern const char *const demo_aspect_sentences[];       /* one aspect */
extern const char *const demo_participle_sentences[];   /* one aspect with a participle */
extern const char *const demo_works_sentences[];        /* one aspect of kind F */
extern const char *const demo_pair_sentences[];         /* two aspects, same direction */
extern const char *const demo_contrast_sentences[];     /* two aspects, opposite directions */
extern const char *const demo_overall_sentences[];      /* the subject as a whole */
extern const char *const demo_verdict_sentences[];      /* a closing verdict */
extern const char *const demo_and_clauses[];            /* continue an and-opening */
extern const char *const demo_comparison_sentences[];   /* {cmp} and {sup} */
extern const char *const demo_single_sentences[];       /* a whole one-sentence review */

#endif
