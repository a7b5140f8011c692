/* The demo's gold sentiment score: a lexicon scorer over the word lists in demo_lexicon.c.
 *
 * Text is cut into words (ASCII letters and digits, lower-cased, with inner apostrophes and
 * hyphens: "isn't", "well-made"; other bytes of 0x80 and above are word bytes too, so
 * accented words stay whole and simply unknown) and clause marks (. , ; : ! ? brackets,
 * double quotes, newlines, a lone hyphen or a dash, and the words in demo_clause_words).
 * Reading left to right, the longest listed phrase starting at a word wins, else the word
 * itself; a sentiment unit's score is multiplied by the factor of every negator and
 * intensifier among the DEMO_MODIFIER_WINDOW words before it, back to the previous clause
 * mark or sentiment unit. The units' sum and count give the score (demo_sentiment_score).
 * Nothing is allocated: the lexicon table is filled once, on first use, under pthread_once. */
#include "rlhf/demo.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "data/demo_lexicon.h"

/* --------------------------------------------------------------- the table */

enum { TABLE_SIZE = 4096, MAX_WORD = 48 };

typedef enum { ROLE_NONE, ROLE_MODIFIER, ROLE_CLAUSE } entry_role;

/* One key of the table: a word or a whole phrase (words joined by single spaces). */
typedef struct lexicon_entry {
    const char *key;
    bool has_sentiment;
    double sentiment;
    entry_role role;
    double factor;       /* ROLE_MODIFIER: negative for negators */
    int phrase_words;    /* longest phrase starting with this word (0: none) */
} lexicon_entry;

static lexicon_entry table[TABLE_SIZE];
static int table_used;
static char table_problem[256];  /* the first inconsistency met while filling, "" if none */
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

/* FNV-1a of the key's bytes. */
static uint32_t hash_bytes(const char *key, size_t length) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < length; i++) h = (h ^ (unsigned char)key[i]) * 16777619u;
    return h;
}

/* The entry for key[0..length), or NULL. */
static const lexicon_entry *lookup(const char *key, size_t length) {
    uint32_t slot = hash_bytes(key, length) & (TABLE_SIZE - 1);
    while (table[slot].key) {
        if (strlen(table[slot].key) == length && memcmp(table[slot].key, key, length) == 0) return &table[slot];
        slot = (slot + 1) & (TABLE_SIZE - 1);
    }
    return NULL;
}

/* The entry for key, created empty if new; NULL (and a problem noted) if the table is full. */
static lexicon_entry *entry_for(const char *key, size_t length, const char *stored_key) {
    uint32_t slot = hash_bytes(key, length) & (TABLE_SIZE - 1);
    while (table[slot].key) {
        if (strlen(table[slot].key) == length && memcmp(table[slot].key, key, length) == 0) return &table[slot];
        slot = (slot + 1) & (TABLE_SIZE - 1);
    }
    if (table_used >= TABLE_SIZE * 3 / 4) {
        if (!table_problem[0]) snprintf(table_problem, sizeof table_problem, "lexicon table is full (%d keys)", table_used);
        return NULL;
    }
    table[slot].key = stored_key;
    table_used++;
    return &table[slot];
}

/* Notes the first problem found while filling the table. */
static void note_problem(const char *key, const char *what) {
    if (!table_problem[0]) snprintf(table_problem, sizeof table_problem, "'%s' %s", key, what);
}

/* Adds a sentiment word or phrase; a phrase also marks its first word as a phrase start. */
static void add_sentiment(const char *text, double score) {
    lexicon_entry *e = entry_for(text, strlen(text), text);
    if (!e) return;
    if (e->role != ROLE_NONE) note_problem(text, "is both a sentiment word and a modifier or clause word");
    if (e->has_sentiment && e->sentiment != score) note_problem(text, "is listed twice with different scores");
    e->has_sentiment = true;
    e->sentiment = score;
    const char *space = strchr(text, ' ');
    if (!space) return;
    int words = 1;
    for (const char *p = text; *p; p++) words += *p == ' ';
    /* The first word's entry keys on a prefix of the phrase's own (static) text, so it
     * needs storage of its own: the phrase's first word is also a listed word or it is
     * stored as a copy in a small pool. */
    static char first_words[512][MAX_WORD];
    static int first_word_count;
    size_t first_length = (size_t)(space - text);
    const lexicon_entry *existing = lookup(text, first_length);
    lexicon_entry *first;
    if (existing) {
        first = (lexicon_entry *)existing;  /* the table itself is writable; lookup just returns const */
    } else {
        if (first_word_count == 512 || first_length >= MAX_WORD) {
            note_problem(text, "has a first word that does not fit the phrase pool");
            return;
        }
        char *copy = first_words[first_word_count++];
        memcpy(copy, text, first_length);
        copy[first_length] = '\0';
        first = entry_for(copy, first_length, copy);
        if (!first) return;
    }
    if (words > first->phrase_words) first->phrase_words = words;
}

/* Adds a negator (factor < 0), intensifier (> 0) or clause word (ROLE_CLAUSE). */
static void add_role(const char *text, entry_role role, double factor) {
    lexicon_entry *e = entry_for(text, strlen(text), text);
    if (!e) return;
    if (e->has_sentiment) note_problem(text, "is both a sentiment word and a modifier or clause word");
    if (e->role != ROLE_NONE && (e->role != role || e->factor != factor))
        note_problem(text, "is listed twice with different roles or factors");
    e->role = role;
    e->factor = factor;
}

/* Fills the table from every list. Words first, then phrases, so a phrase's first word
 * shares the word's entry when there is one. */
static void fill_table(void) {
    for (int i = 0; i < demo_adjective_count; i++) add_sentiment(demo_adjectives[i].text, demo_adjectives[i].score);
    for (int i = 0; i < demo_verb_count; i++) {
        add_sentiment(demo_verbs[i].base, demo_verbs[i].score);
        add_sentiment(demo_verbs[i].third, demo_verbs[i].score);
        add_sentiment(demo_verbs[i].past, demo_verbs[i].score);
    }
    for (int i = 0; i < demo_noun_count; i++) add_sentiment(demo_nouns[i].text, demo_nouns[i].score);
    for (int i = 0; i < demo_adverb_count; i++) add_sentiment(demo_adverbs[i].text, demo_adverbs[i].score);
    for (int i = 0; i < demo_other_word_count; i++) add_sentiment(demo_other_words[i].text, demo_other_words[i].score);
    for (int i = 0; i < demo_modifier_count; i++) add_role(demo_modifiers[i].word, ROLE_MODIFIER, demo_modifiers[i].factor);
    for (int i = 0; i < demo_negator_count; i++) add_role(demo_negators[i].text, ROLE_MODIFIER, demo_negators[i].factor);
    for (int i = 0; i < demo_clause_word_count; i++) add_role(demo_clause_words[i], ROLE_CLAUSE, 0.0);
    for (int i = 0; i < demo_phrase_count; i++) add_sentiment(demo_phrases[i].text, demo_phrases[i].score);
}

/* Fills the table on first use, once, whichever thread gets there first. */
static void ensure_table(void) { pthread_once(&table_once, fill_table); }

/* ------------------------------------------------------------- tokenizer */

typedef enum { TOKEN_END, TOKEN_WORD, TOKEN_CLAUSE } token_kind;

typedef struct token {
    token_kind kind;
    bool too_long;       /* longer than MAX_WORD - 1 bytes: never a lexicon word */
    size_t length;
    char text[MAX_WORD];
} token;

/* ASCII letter or digit. */
static bool is_ascii_alnum(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Length of the UTF-8 punctuation at text[i] that is not part of a word (curly quotes and
 * dashes: E2 80 93/94/98/99/9C/9D), or 0. dash is set for the dashes. */
static int punctuation_at(const char *text, size_t length, size_t i, bool *dash) {
    if (i + 2 >= length || (unsigned char)text[i] != 0xE2 || (unsigned char)text[i + 1] != 0x80) return 0;
    unsigned char c = (unsigned char)text[i + 2];
    *dash = c == 0x93 || c == 0x94;
    return (*dash || c == 0x98 || c == 0x99 || c == 0x9C || c == 0x9D) ? 3 : 0;
}

/* Whether the byte at text[i] can continue a word after an apostrophe or hyphen. */
static bool word_byte_at(const char *text, size_t length, size_t i) {
    if (i >= length) return false;
    unsigned char c = (unsigned char)text[i];
    bool dash;
    return is_ascii_alnum(c) || (c >= 0x80 && punctuation_at(text, length, i, &dash) == 0);
}

/* Appends a byte to the token; past MAX_WORD - 1 bytes it only counts and marks it too long. */
static void token_append(token *t, char c) {
    if (t->length + 1 < MAX_WORD) t->text[t->length] = c;
    else t->too_long = true;
    t->length++;
}

/* Reads the token at text[*position..length) into t and moves *position past it. */
static void read_token(const char *text, size_t length, size_t *position, token *t) {
    size_t i = *position;
    t->kind = TOKEN_END;
    t->too_long = false;
    t->length = 0;
    while (i < length) {
        unsigned char c = (unsigned char)text[i];
        bool dash = false;
        int skip = punctuation_at(text, length, i, &dash);
        if (skip) {
            i += (size_t)skip;
            if (dash) {
                t->kind = TOKEN_CLAUSE;
                *position = i;
                return;
            }
            continue;
        }
        if (is_ascii_alnum(c) || c >= 0x80) break;
        i++;
        if (c != 0 && strchr(".,;:!?()[]{}\"\n\r-", c)) {
            t->kind = TOKEN_CLAUSE;
            *position = i;
            return;
        }
    }
    if (i >= length) {
        *position = i;
        return;
    }
    t->kind = TOKEN_WORD;
    while (i < length) {
        unsigned char c = (unsigned char)text[i];
        bool dash = false;
        if (is_ascii_alnum(c)) {
            token_append(t, (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c));
            i++;
        } else if (c >= 0x80) {
            int punctuation = punctuation_at(text, length, i, &dash);
            if (punctuation == 0) {
                token_append(t, (char)c);
                i++;
            } else if ((unsigned char)text[i + 2] == 0x99 && word_byte_at(text, length, i + 3)) {
                token_append(t, '\'');  /* a typographic apostrophe inside a word */
                i += 3;
            } else {
                break;
            }
        } else if ((c == '\'' || c == '-') && word_byte_at(text, length, i + 1)) {
            token_append(t, (char)c);
            i++;
        } else {
            break;
        }
    }
    if (!t->too_long) t->text[t->length] = '\0';
    *position = i;
}

/* Up to DEMO_MAX_PHRASE_WORDS tokens of look-ahead over the text. */
typedef struct scanner {
    const char *text;
    size_t length, position;
    token queue[DEMO_MAX_PHRASE_WORDS];
    int count;
} scanner;

/* Token k ahead (0: the current one); past the end every token is TOKEN_END. */
static const token *peek(scanner *s, int k) {
    while (s->count <= k) {
        read_token(s->text, s->length, &s->position, &s->queue[s->count]);
        s->count++;
    }
    return &s->queue[k];
}

/* Consumes the first n tokens of the look-ahead (n <= s->count). */
static void drop(scanner *s, int n) {
    memmove(s->queue, s->queue + n, sizeof(token) * (size_t)(s->count - n));
    s->count -= n;
}

/* Whether the word is a negation written as a contraction ("isn't"). */
static bool is_contraction_negation(const token *t) {
    return !t->too_long && t->length >= 4 && memcmp(t->text + t->length - 3, "n't", 3) == 0;
}

/* The sentiment of the longest listed phrase of 2..max_words words starting at the current
 * token: returns its length in words (0: none) and its score in *score. */
static int match_phrase(scanner *s, int max_words, double *score) {
    if (max_words > DEMO_MAX_PHRASE_WORDS) max_words = DEMO_MAX_PHRASE_WORDS;
    for (int n = max_words; n >= 2; n--) {
        char key[DEMO_MAX_PHRASE_WORDS * MAX_WORD];
        size_t used = 0;
        bool ok = true;
        for (int k = 0; k < n && ok; k++) {
            const token *t = peek(s, k);
            if (t->kind != TOKEN_WORD || t->too_long) {
                ok = false;
                break;
            }
            if (k > 0) key[used++] = ' ';
            memcpy(key + used, t->text, t->length);
            used += t->length;
        }
        if (!ok) continue;
        const lexicon_entry *e = lookup(key, used);
        if (e && e->has_sentiment) {
            *score = e->sentiment;
            return n;
        }
    }
    return 0;
}

/* The sum of text's sentiment units after negation and intensifiers, and their count (any bytes
 * accepted). */
void demo_sentiment_raw(const char *text, size_t length, double *sum, int *units) {
    ensure_table();
    double total = 0.0;
    int count = 0;
    double window[DEMO_MODIFIER_WINDOW];  /* factors of the words since the last mark, newest last */
    int window_count = 0;
    scanner s = {.text = text ? text : "", .length = text ? length : 0};
    for (;;) {
        const token *t = peek(&s, 0);
        if (t->kind == TOKEN_END) break;
        if (t->kind == TOKEN_CLAUSE) {
            window_count = 0;
            drop(&s, 1);
            continue;
        }
        const lexicon_entry *e = t->too_long ? NULL : lookup(t->text, t->length);
        double value = 0.0;
        int matched = 0;
        if (e && e->phrase_words > 1) matched = match_phrase(&s, e->phrase_words, &value);
        if (!matched && e && e->has_sentiment) {
            matched = 1;
            value = e->sentiment;
        }
        if (matched) {
            for (int k = window_count - 1; k >= 0; k--) value *= window[k];
            total += value;
            count++;
            window_count = 0;
            drop(&s, matched);
            continue;
        }
        if (e && e->role == ROLE_CLAUSE) {
            window_count = 0;
        } else {
            double factor = 1.0;
            if (e && e->role == ROLE_MODIFIER) factor = e->factor;
            else if (!e && is_contraction_negation(t)) factor = DEMO_CONTRACTION_NEGATION;
            if (window_count == DEMO_MODIFIER_WINDOW) {
                memmove(window, window + 1, sizeof(double) * (DEMO_MODIFIER_WINDOW - 1));
                window_count--;
            }
            window[window_count++] = factor;
        }
        drop(&s, 1);
    }
    *sum = total;
    *units = count;
}

/* The gold score in (-1, 1): tanh(sum / (DEMO_SCORE_SCALE * (units + 1))) of demo_sentiment_raw. */
double demo_sentiment_score(const char *text, size_t length) {
    double sum;
    int units;
    demo_sentiment_raw(text, length, &sum, &units);
    return tanh(sum / (DEMO_SCORE_SCALE * (units + 1)));
}

/* Whether the scorer reacts to word: a sentiment word, a phrase's first word, a negator, an
 * intensifier or a clause word. */
bool demo_lexicon_knows(const char *word) {
    ensure_table();
    const lexicon_entry *e = lookup(word, strlen(word));
    return e && (e->has_sentiment || e->role != ROLE_NONE || e->phrase_words > 0);
}

/* Checks that text is lower-case and that the tokenizer reads it back as exactly words
 * words spelled as written. */
static int check_spelling(const char *text, int words, rlhf_error *error) {
    for (const char *p = text; *p; p++)
        if (*p >= 'A' && *p <= 'Z') {
            rlhf_error_set(error, "lexicon: '%s' is not lower-case", text);
            return -1;
        }
    size_t length = strlen(text), position = 0;
    char rebuilt[DEMO_MAX_PHRASE_WORDS * MAX_WORD];
    size_t used = 0;
    int read = 0;
    for (;;) {
        token t;
        read_token(text, length, &position, &t);
        if (t.kind == TOKEN_END) break;
        if (t.kind != TOKEN_WORD || t.too_long || used + t.length + 2 > sizeof rebuilt) {
            rlhf_error_set(error, "lexicon: '%s' does not read back as words", text);
            return -1;
        }
        if (read++ > 0) rebuilt[used++] = ' ';
        memcpy(rebuilt + used, t.text, t.length);
        used += t.length;
    }
    rebuilt[used] = '\0';
    if (read != words || strcmp(rebuilt, text) != 0) {
        rlhf_error_set(error, "lexicon: '%s' reads back as %d word(s) '%s', expected %d", text, read, rebuilt, words);
        return -1;
    }
    return 0;
}

/* Checks that the word lists fit together (demo_lexicon.h); -1 with the first problem in error. */
int demo_lexicon_check(rlhf_error *error) {
    ensure_table();
    if (table_problem[0]) {
        rlhf_error_set(error, "lexicon: %s", table_problem);
        return -1;
    }
    int status = 0;
    for (int i = 0; i < demo_adjective_count && status == 0; i++) status = check_spelling(demo_adjectives[i].text, 1, error);
    for (int i = 0; i < demo_verb_count && status == 0; i++)
        status = check_spelling(demo_verbs[i].base, 1, error) || check_spelling(demo_verbs[i].third, 1, error) ||
                 check_spelling(demo_verbs[i].past, 1, error) ? -1 : 0;
    for (int i = 0; i < demo_noun_count && status == 0; i++) status = check_spelling(demo_nouns[i].text, 1, error);
    for (int i = 0; i < demo_adverb_count && status == 0; i++) status = check_spelling(demo_adverbs[i].text, 1, error);
    for (int i = 0; i < demo_other_word_count && status == 0; i++) status = check_spelling(demo_other_words[i].text, 1, error);
    for (int i = 0; i < demo_modifier_count && status == 0; i++) status = check_spelling(demo_modifiers[i].word, 1, error);
    for (int i = 0; i < demo_negator_count && status == 0; i++) status = check_spelling(demo_negators[i].text, 1, error);
    for (int i = 0; i < demo_clause_word_count && status == 0; i++) status = check_spelling(demo_clause_words[i], 1, error);
    for (int i = 0; i < demo_phrase_count && status == 0; i++) {
        int words = 1;
        for (const char *p = demo_phrases[i].text; *p; p++) words += *p == ' ';
        if (words < 2 || words > DEMO_MAX_PHRASE_WORDS) {
            rlhf_error_set(error, "lexicon: phrase '%s' has %d words (2..%d allowed)", demo_phrases[i].text, words,
                           DEMO_MAX_PHRASE_WORDS);
            return -1;
        }
        status = check_spelling(demo_phrases[i].text, words, error);
    }
    return status;
}
