/* Preference pairs with their texts: listing for training, TRL JSONL export and import
 * (including Anthropic HH transcripts). */
#include "store/store_internal.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* One comparison row as a store_preference, its texts put chosen first; a row whose choice
 * is not in the mask at user (an unsigned) is left out (store_read_rows reader). */
static int read_preference(sqlite3_stmt *statement, void *item, size_t index, void *user) {
    (void)index;
    store_choice choice;
    const char *choice_text = (const char *)sqlite3_column_text(statement, 6);
    if (!choice_text) return -1; /* choice is NOT NULL: no text means SQLite ran out of memory */
    if (store_choice_parse(choice_text, &choice) != 0) return 0;
    if (!(*(const unsigned *)user & (1u << choice))) return 0;
    store_preference *p = item;
    bool b_won = choice == STORE_CHOICE_B;
    p->comparison_id = sqlite3_column_int64(statement, 0);
    p->annotator_id = sqlite3_column_int64(statement, 1);
    p->choice = choice;
    p->strength = sqlite3_column_int(statement, 7);
    p->pair_id = sqlite3_column_type(statement, 8) == SQLITE_NULL ? 0 : sqlite3_column_int64(statement, 8);
    if (store_column_copy(statement, 2, &p->annotator) != 0 || store_column_copy(statement, 3, &p->prompt) != 0 ||
        store_column_copy(statement, b_won ? 5 : 4, &p->chosen) != 0 ||
        store_column_copy(statement, b_won ? 4 : 5, &p->rejected) != 0)
        return -1;
    return 1;
}

/* Frees what one store_preference owns. */
static void release_preference(void *item) {
    store_preference *p = item;
    free(p->annotator);
    free(p->prompt);
    free(p->chosen);
    free(p->rejected);
}

static const store_row_reader preference_rows = {sizeof(store_preference), read_preference, release_preference};

/* Every comparison whose choice is in choices (a mask of 1 << store_choice), with its
 * texts, in id order. */
int store_list_preferences(store *db, unsigned choices, store_preference **preferences, long *count,
                           rlhf_error *error) {
    size_t read;
    int status = store_select_rows(db,
                                   "SELECT c.id, c.annotator_id, an.name, p.text, ca.text, cb.text, c.choice, "
                                   "c.strength, c.pair_id FROM comparisons c JOIN annotators an ON an.id = "
                                   "c.annotator_id JOIN completions ca ON ca.id = c.completion_a JOIN completions cb "
                                   "ON cb.id = c.completion_b JOIN prompts p ON p.id = ca.prompt_id ORDER BY c.id",
                                   INT64_MIN, &preference_rows, &choices, preferences, &read, "listing preferences",
                                   error);
    *count = (long)read;
    return status;
}

void store_preferences_free(store_preference *preferences, long count) {
    for (long i = 0; i < count; i++) release_preference(&preferences[i]);
    free(preferences);
}

/* Whether path names the store's own file or one of SQLite's companion files beside it
 * (-wal, -shm, -journal), by device and inode, so a link or another spelling of the name
 * is caught too: replacing any of them would destroy the labels. -1 when out of memory. */
static int is_store_file(const store *db, const char *path, bool *same) {
    *same = false;
    struct stat target;
    if (stat(path, &target) != 0) return 0; /* a new file cannot be the store */
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    size_t name_size = strlen(db->path) + sizeof "-journal";
    char *name = malloc(name_size);
    if (!name) return -1;
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0] && !*same; i++) {
        struct stat info;
        snprintf(name, name_size, "%s%s", db->path, suffixes[i]);
        *same = stat(name, &info) == 0 && info.st_dev == target.st_dev && info.st_ino == target.st_ino;
    }
    free(name);
    return 0;
}

/* Appends line and a newline to the growing text[0 .. *length) of *capacity bytes; -1 when
 * out of memory, text unchanged. */
static int append_line(char **text, size_t *length, size_t *capacity, const char *line) {
    size_t n = strlen(line);
    if (rlhf_grow(text, capacity, *length + n + 1, 1) != 0) return -1;
    memcpy(*text + *length, line, n);
    *length += n;
    (*text)[(*length)++] = '\n';
    return 0;
}

/* Writes the a/b comparisons to path as TRL JSONL, atomically, counting what is left out. */
int store_export_preferences(store *db, const char *path, store_export_result *result, rlhf_error *error) {
    memset(result, 0, sizeof *result);
    bool is_store;
    if (is_store_file(db, path, &is_store) != 0) {
        rlhf_error_set(error, "%s: out of memory", path);
        return -1;
    }
    if (is_store) {
        rlhf_error_set(error, "%s: is the store itself (or its journal); export to another file", path);
        return -1;
    }
    store_preference *all;
    long count;
    if (store_list_preferences(db, 0x1f, &all, &count, error) != 0) return -1;
    size_t capacity = 0, length = 0;
    char *text = NULL;
    for (long i = 0; i < count; i++) {
        switch (all[i].choice) {
        case STORE_CHOICE_TIE: result->ties++; continue;
        case STORE_CHOICE_BOTH_BAD: result->both_bad++; continue;
        case STORE_CHOICE_SKIP: result->skips++; continue;
        default: break;
        }
        /* Completions may hold invalid UTF-8 (a byte-level model can stop inside a character):
         * each ill-formed sequence becomes U+FFFD, so every line has all three keys. */
        json_t *prompt = rlhf_json_text(all[i].prompt), *chosen = rlhf_json_text(all[i].chosen);
        json_t *rejected = rlhf_json_text(all[i].rejected);
        if (!prompt || !chosen || !rejected) {
            json_decref(prompt);
            json_decref(chosen);
            json_decref(rejected);
            store_preferences_free(all, count);
            free(text);
            rlhf_error_set(error, "%s: out of memory", path);
            return -1;
        }
        /* Two completions with the same text (after that repair) say nothing about which is
         * better, and import refuses such a line: leave them out, counted. */
        if (json_equal(chosen, rejected)) {
            json_decref(prompt);
            json_decref(chosen);
            json_decref(rejected);
            result->identical++;
            continue;
        }
        json_t *line = json_object();
        json_object_set_new(line, "prompt", prompt);
        json_object_set_new(line, "chosen", chosen);
        json_object_set_new(line, "rejected", rejected);
        char *encoded = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(line);
        if (!encoded || append_line(&text, &length, &capacity, encoded) != 0) {
            free(encoded);
            store_preferences_free(all, count);
            free(text);
            rlhf_error_set(error, "%s: out of memory", path);
            return -1;
        }
        free(encoded);
        result->written++;
    }
    store_preferences_free(all, count);
    int status = rlhf_write_file_atomic(path, text ? text : "", length, error);
    free(text);
    return status;
}

/* The preferences an annotator already has, as a multiset: an open-addressing table from
 * the FNV-1a hash of (prompt id, chosen, rejected) to how many comparisons with those texts
 * were stored before the import, how many lines of the file have matched them so far, and
 * one of those comparisons (key 0 marks an empty slot). A line is a duplicate while the
 * file has not yet matched every stored copy, so importing a file twice adds nothing and a
 * file that holds one preference twice (two annotators who agreed, exported together)
 * keeps both. A second hash of the texts, and an exact comparison of the texts of the
 * comparison the slot names (a lookup by primary key), make a hash collision able only to
 * let a duplicate in, never to keep a new preference out. */
typedef struct preference_slot {
    uint64_t key, check;
    int64_t comparison_id;
    long stored, matched;
} preference_slot;
typedef struct preference_hashes {
    preference_slot *slots;
    size_t capacity, count; /* capacity a power of two, at most half full */
} preference_hashes;

/* The set's key for one preference (never 0). */
static uint64_t preference_hash(int64_t prompt_id, const char *chosen, const char *rejected) {
    static const unsigned char separator = 0xff; /* never inside UTF-8 text */
    uint64_t hash = rlhf_fnv1a(RLHF_FNV1A_START, &prompt_id, sizeof prompt_id);
    hash = rlhf_fnv1a(rlhf_fnv1a(hash, chosen, strlen(chosen)), &separator, 1);
    hash = rlhf_fnv1a(hash, rejected, strlen(rejected));
    return hash ? hash : 1;
}

/* A second, independent hash of the texts (rejected first, another start). */
static uint64_t preference_check(const char *chosen, const char *rejected) {
    static const unsigned char separator = 0xfe;
    uint64_t hash = rlhf_fnv1a(RLHF_FNV1A_START ^ 0x9e3779b97f4a7c15ULL, rejected, strlen(rejected));
    return rlhf_fnv1a(rlhf_fnv1a(hash, &separator, 1), chosen, strlen(chosen));
}

/* The slot holding key, or the empty slot where it would go (capacity > 0). */
static preference_slot *preference_find(const preference_hashes *set, uint64_t key) {
    size_t i = (size_t)key & (set->capacity - 1);
    while (set->slots[i].key && set->slots[i].key != key) i = (i + 1) & (set->capacity - 1);
    return &set->slots[i];
}

/* The slot for key, or NULL when the set has none. */
static preference_slot *preference_lookup(const preference_hashes *set, uint64_t key) {
    if (!set->capacity) return NULL;
    preference_slot *slot = preference_find(set, key);
    return slot->key ? slot : NULL;
}

/* Counts one stored comparison under key (the first one's id stays), doubling the table
 * when it would pass half full. A comparison whose check differs from the slot's is a
 * collision and is not counted. Returns -1 out of memory. */
static int preference_count_stored(preference_hashes *set, uint64_t key, uint64_t check, int64_t comparison_id) {
    if (2 * (set->count + 1) > set->capacity) {
        size_t capacity = set->capacity ? 2 * set->capacity : 1024;
        preference_hashes grown = {calloc(capacity, sizeof(preference_slot)), capacity, set->count};
        if (!grown.slots) return -1;
        for (size_t i = 0; i < set->capacity; i++)
            if (set->slots[i].key) *preference_find(&grown, set->slots[i].key) = set->slots[i];
        free(set->slots);
        *set = grown;
    }
    preference_slot *slot = preference_find(set, key);
    if (!slot->key) {
        *slot = (preference_slot){key, check, comparison_id, 0, 0};
        set->count++;
    }
    if (slot->check == check) slot->stored++;
    return 0;
}

/* What store_import_preferences passes to each line. */
typedef struct preference_import {
    store *db;
    const char *path;
    int64_t model_id, annotator_id;
    store_import_result *result;
    preference_hashes stored; /* this annotator's preferences, before and during the import */
} preference_import;

/* Fills import->stored with the annotator's preferences already in the store. */
static int load_stored_preferences(preference_import *import, rlhf_error *error) {
    sqlite3_stmt *statement;
    if (store_prepare(import->db, &statement,
                      "SELECT ca.prompt_id, ca.text, cb.text, c.id FROM comparisons c JOIN completions ca ON ca.id = "
                      "c.completion_a JOIN completions cb ON cb.id = c.completion_b WHERE c.annotator_id = ?1 AND "
                      "c.choice = 'a'",
                      error))
        return -1;
    sqlite3_bind_int64(statement, 1, import->annotator_id);
    int rc;
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
        const char *chosen = (const char *)sqlite3_column_text(statement, 1);
        const char *rejected = (const char *)sqlite3_column_text(statement, 2);
        if (!chosen || !rejected) { /* completion texts are NOT NULL: SQLite ran out of memory */
            sqlite3_finalize(statement);
            rlhf_error_set(error, "out of memory reading the annotator's preferences");
            return -1;
        }
        uint64_t key = preference_hash(sqlite3_column_int64(statement, 0), chosen, rejected);
        if (preference_count_stored(&import->stored, key, preference_check(chosen, rejected),
                                    sqlite3_column_int64(statement, 3)) != 0) {
            sqlite3_finalize(statement);
            rlhf_error_set(error, "out of memory reading the annotator's preferences");
            return -1;
        }
    }
    sqlite3_finalize(statement);
    return rc == SQLITE_DONE ? 0 : store_fail(import->db, error, "reading the annotator's preferences");
}

/* Where an HH transcript pair splits: *prompt_length covers chosen up to and including its
 * last "\n\nAssistant:", which rejected must share. false when they do not split so. */
static bool split_transcripts(const char *chosen, const char *rejected, size_t *prompt_length) {
    const char *marker = "\n\nAssistant:";
    const char *last = NULL;
    for (const char *at = strstr(chosen, marker); at; at = strstr(at + 1, marker)) last = at;
    if (!last) return false;
    *prompt_length = (size_t)(last - chosen) + strlen(marker);
    return strncmp(chosen, rejected, *prompt_length) == 0;
}

/* Inserts one imported completion and returns its id. */
static int insert_completion(store *db, int64_t prompt_id, int64_t model_id, const char *text, int64_t *id,
                             rlhf_error *error) {
    sqlite3_stmt *statement;
    if (store_prepare(db, &statement,
                      "INSERT INTO completions (prompt_id, model_id, text, token_count) VALUES (?1, ?2, ?3, 0)", error))
        return -1;
    sqlite3_bind_int64(statement, 1, prompt_id);
    sqlite3_bind_int64(statement, 2, model_id);
    sqlite3_bind_text(statement, 3, text, -1, SQLITE_STATIC);
    int rc = sqlite3_step(statement);
    sqlite3_finalize(statement);
    if (rc != SQLITE_DONE) return store_fail(db, error, "inserting an imported completion");
    *id = sqlite3_last_insert_rowid(db->db);
    return 0;
}

/* Imports one line of a preferences file as a comparison, or counts it as a duplicate
 * (rlhf_read_jsonl visitor; user is a preference_import). */
static int import_preference_line(long line, json_t *object, void *user, rlhf_error *error) {
    preference_import *import = user;
    json_t *prompt = json_object_get(object, "prompt"), *chosen = json_object_get(object, "chosen");
    json_t *rejected = json_object_get(object, "rejected");
    if (!json_is_string(chosen) || !json_is_string(rejected) || (prompt && !json_is_string(prompt))) {
        rlhf_error_set(error, "%s: line %ld: need string fields \"chosen\" and \"rejected\" (and \"prompt\", unless "
                              "they are whole Human/Assistant transcripts)", import->path, line);
        return -1;
    }
    char *prompt_text;
    const char *chosen_text = json_string_value(chosen), *rejected_text = json_string_value(rejected);
    size_t prompt_length;
    if (prompt) {
        prompt_text = strdup(json_string_value(prompt));
    } else if (split_transcripts(chosen_text, rejected_text, &prompt_length)) {
        prompt_text = strndup(chosen_text, prompt_length);
        chosen_text += prompt_length;
        rejected_text += prompt_length;
    } else {
        rlhf_error_set(error, "%s: line %ld: no \"prompt\", and chosen/rejected are not transcripts sharing "
                              "everything up to the last \"\\n\\nAssistant:\"", import->path, line);
        return -1;
    }
    if (!prompt_text) {
        rlhf_error_set(error, "%s: line %ld: out of memory", import->path, line);
        return -1;
    }
    if (strcmp(chosen_text, rejected_text) == 0) {
        rlhf_error_set(error, "%s: line %ld: \"chosen\" and \"rejected\" are the same text; a preference needs two "
                              "different responses", import->path, line);
        free(prompt_text);
        return -1;
    }
    /* prompts are shared with store_import_prompts's duplicate rule (by text) */
    int64_t prompt_id, a, b;
    int status = store_find_or_add_prompt(import->db, prompt_text, &prompt_id, error);
    free(prompt_text);
    if (status) return -1;
    /* The same preference by the same annotator is already stored (a file imported twice):
     * count it and add no copy, so no pair weighs double in training. The table names one
     * comparison that can match; its texts are checked exactly. */
    uint64_t key = preference_hash(prompt_id, chosen_text, rejected_text);
    preference_slot *slot = preference_lookup(&import->stored, key);
    int found = SQLITE_DONE;
    sqlite3_stmt *statement;
    if (slot && slot->matched < slot->stored && slot->check == preference_check(chosen_text, rejected_text)) {
        if (store_prepare(import->db, &statement,
                          "SELECT 1 FROM comparisons c JOIN completions ca ON ca.id = c.completion_a "
                          "JOIN completions cb ON cb.id = c.completion_b WHERE c.id = ?1 "
                          "AND ca.prompt_id = ?2 AND ca.text = ?3 AND cb.text = ?4", error))
            return -1;
        sqlite3_bind_int64(statement, 1, slot->comparison_id);
        sqlite3_bind_int64(statement, 2, prompt_id);
        sqlite3_bind_text(statement, 3, chosen_text, -1, SQLITE_STATIC);
        sqlite3_bind_text(statement, 4, rejected_text, -1, SQLITE_STATIC);
        found = sqlite3_step(statement);
        sqlite3_finalize(statement);
    }
    if (found == SQLITE_ROW) {
        slot->matched++;
        import->result->duplicates++;
        return 0;
    }
    if (found != SQLITE_DONE) return store_fail(import->db, error, "looking for a duplicate preference");
    if (insert_completion(import->db, prompt_id, import->model_id, chosen_text, &a, error) ||
        insert_completion(import->db, prompt_id, import->model_id, rejected_text, &b, error))
        return -1;
    if (store_prepare(import->db, &statement,
                      "INSERT INTO comparisons (completion_a, completion_b, annotator_id, choice) VALUES (?1, ?2, ?3, 'a')",
                      error))
        return -1;
    sqlite3_bind_int64(statement, 1, a);
    sqlite3_bind_int64(statement, 2, b);
    sqlite3_bind_int64(statement, 3, import->annotator_id);
    int rc = sqlite3_step(statement);
    sqlite3_finalize(statement);
    if (rc != SQLITE_DONE) return store_fail(import->db, error, "inserting an imported comparison");
    import->result->imported++;
    return 0;
}

/* Imports a TRL (or HH transcript) JSONL file as annotator_name's comparisons, in one
 * transaction; a bad line fails the whole file. */
int store_import_preferences(store *db, const char *path, const char *annotator_name, store_import_result *result,
                             rlhf_error *error) {
    memset(result, 0, sizeof *result);
    preference_import import = {db, path, 0, 0, result, {NULL, 0, 0}};
    /* the imported texts' "model" is the file they came from */
    size_t model_path_size = strlen(path) + sizeof "import:";
    char *model_path = malloc(model_path_size);
    if (!model_path) return store_out_of_memory(db, error, "importing preferences");
    snprintf(model_path, model_path_size, "import:%s", path);
    /* one transaction: a failed import leaves no annotator, model or row behind */
    if (store_begin(db, error) != 0) {
        free(model_path);
        return -1;
    }
    int status = store_annotator(db, annotator_name, STORE_ANNOTATOR_IMPORT, &import.annotator_id, error) != 0 ||
                 store_add_model(db, model_path, model_path, &import.model_id, error) != 0 ||
                 load_stored_preferences(&import, error) != 0 ||
                 rlhf_read_jsonl(path, import_preference_line, &import, error) != 0;
    free(import.stored.slots);
    free(model_path);
    if (status) {
        store_rollback(db);
        memset(result, 0, sizeof *result);
        return -1;
    }
    return store_commit(db, error);
}
