/* The tokenizer's files: vocab.json + merges.txt (GPT-2's and transformers 4's), or
 * tokenizer.json (the `tokenizers` format transformers 5 saves) checked to tokenize as GPT-2
 * does; and writing vocab.json + merges.txt byte for byte as transformers does. */
#include "tokenizer_internal.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------ loading */

/* Reads the JSON file at path (duplicate keys refused; flags adds jansson's decoding flags);
 * errors name the file and line. */
static json_t *read_json_file(const char *path, size_t flags, rlhf_error *error) {
    char *text = NULL;
    size_t size = 0;
    if (rlhf_read_file(path, &text, &size, error) != 0) return NULL;
    json_error_t json_error;
    json_t *root = json_loadb(text, size, JSON_REJECT_DUPLICATES | flags, &json_error);
    free(text);
    if (!root) rlhf_error_set(error, "%s: line %d: not valid JSON: %s", path, json_error.line, json_error.text);
    return root;
}

/* Turns a vocabulary object (token spelling -> id, ids exactly 0..n-1: vocab.json, or
 * tokenizer.json's model.vocab) into token bytes by id (ownership to the caller). Errors
 * begin with path, which names where the object was read. */
static int vocab_from_object(json_t *root, const char *path, int *vocab_size, char **bytes_out, size_t **starts_out,
                             rlhf_error *error) {
    if (!json_is_object(root) || json_object_size(root) == 0 || json_object_size(root) > INT_MAX / 2) {
        rlhf_error_set(error, "%s: not a JSON object of token -> id", path);
        return -1;
    }
    size_t count = json_object_size(root);
    const char **names = calloc(count, sizeof *names);
    size_t *name_lengths = calloc(count, sizeof *name_lengths);
    size_t total = 0;
    int status = -1;
    char *bytes = NULL;
    size_t *starts = NULL;
    if (!names || !name_lengths) {
        rlhf_error_set(error, "%s: out of memory", path);
        goto done;
    }
    const char *key;
    json_t *value;
    json_object_foreach(root, key, value) {
        if (!json_is_integer(value)) {
            rlhf_error_set(error, "%s: token \"%s\": the id is not an integer (a vocabulary maps tokens to ids)", path, key);
            goto done;
        }
        json_int_t id = json_integer_value(value);
        if (id < 0 || (size_t)id >= count) {
            rlhf_error_set(error, "%s: token \"%s\": id %lld is outside [0, %zu) (ids must be 0..n-1)", path, key,
                           (long long)id, count);
            goto done;
        }
        if (names[id]) {
            rlhf_error_set(error, "%s: id %lld is given to both \"%s\" and \"%s\" (ids must be unique)", path,
                           (long long)id, names[id], key);
            goto done;
        }
        names[id] = key;
        name_lengths[id] = strlen(key);
        total += name_lengths[id];
    }
    bytes = malloc(total + 1);
    starts = malloc((count + 1) * sizeof *starts);
    if (!bytes || !starts) {
        rlhf_error_set(error, "%s: out of memory", path);
        goto done;
    }
    size_t used = 0;
    for (size_t id = 0; id < count; id++) {
        starts[id] = used;
        long length = tokenizer_name_to_bytes(names[id], name_lengths[id], bytes + used);
        if (length < 0) {
            rlhf_error_set(error, "%s: token \"%s\" (id %zu) has a character outside GPT-2's byte alphabet", path,
                           names[id], id);
            goto done;
        }
        used += (size_t)length;
    }
    starts[count] = used;
    *vocab_size = (int)count;
    *bytes_out = bytes;
    *starts_out = starts;
    bytes = NULL;
    starts = NULL;
    status = 0;
done:
    free(bytes);
    free(starts);
    free(names);
    free(name_lengths);
    return status;
}

/* Parses vocab.json into token bytes by id (ownership to the caller). */
static int read_vocab(const char *path, int *vocab_size, char **bytes_out, size_t **starts_out, rlhf_error *error) {
    json_t *root = read_json_file(path, 0, error);
    if (!root) return -1;
    int status = vocab_from_object(root, path, vocab_size, bytes_out, starts_out, error);
    json_decref(root);
    return status;
}

/* Where a merge was read: merges.txt's line `number`, or tokenizer.json's model.merges[number]. */
typedef struct merge_origin {
    const char *path;
    bool in_tokenizer_json;
    long number;
} merge_origin;

/* Sets error to detail, prefixed with the merge's origin ("FILE: line N: " or
 * "FILE: model.merges[N]: "). */
static int merge_failed(const merge_origin *origin, const char *detail, rlhf_error *error) {
    if (origin->in_tokenizer_json)
        rlhf_error_set(error, "%s: model.merges[%ld]: %s", origin->path, origin->number, detail);
    else
        rlhf_error_set(error, "%s: line %ld: %s", origin->path, origin->number, detail);
    return -1;
}

/* Adds the merge of two tokens given by their spellings (vocab.json's alphabet) at the next
 * rank. scratch holds at least 2 x (both lengths) bytes. Fails, naming the merge's origin,
 * when either token or the merged one is not in the vocabulary, or memory runs out. */
static int add_named_merge(tokenizer *t, const char *left, size_t left_length, const char *right, size_t right_length,
                           char *scratch, const merge_origin *origin, rlhf_error *error) {
    const char *vocabulary = origin->in_tokenizer_json ? "model.vocab" : "vocab.json";
    char detail[1024];
    const char *names[2] = {left, right};
    size_t name_lengths[2] = {left_length, right_length};
    int ids[2];
    long joined_length = 0;
    for (int side = 0; side < 2; side++) {
        long length_bytes = tokenizer_name_to_bytes(names[side], name_lengths[side], scratch + joined_length);
        ids[side] = length_bytes < 0 ? -1 : tokenizer_token_id(t, scratch + joined_length, (size_t)length_bytes);
        if (ids[side] < 0) {
            snprintf(detail, sizeof detail, "token \"%.*s\" is not in %s", (int)name_lengths[side], names[side],
                     vocabulary);
            return merge_failed(origin, detail, error);
        }
        joined_length += length_bytes;
    }
    int result = tokenizer_token_id(t, scratch, (size_t)joined_length);
    if (result < 0) {
        snprintf(detail, sizeof detail, "merging \"%.*s\" and \"%.*s\" makes \"%.*s%.*s\", which is not in %s",
                 (int)left_length, left, (int)right_length, right, (int)left_length, left, (int)right_length, right,
                 vocabulary);
        return merge_failed(origin, detail, error);
    }
    if (tokenizer_add_merge(t, ids[0], ids[1], result) != 0) {
        rlhf_error_set(error, "%s: out of memory", origin->path);
        return -1;
    }
    return 0;
}

/* Reads merges.txt into t's merge table; errors name the file and line. */
static int read_merges(tokenizer *t, const char *path, rlhf_error *error) {
    char *text = NULL;
    size_t size = 0;
    if (rlhf_read_file(path, &text, &size, error) != 0) return -1;
    int status = -1;
    char *scratch = malloc(2 * size + 2); /* a line's two spellings as bytes, and joined */
    if (!scratch) {
        rlhf_error_set(error, "%s: out of memory", path);
        goto done;
    }
    int line_number = 0;
    for (char *line = text; line < text + size;) {
        char *newline = memchr(line, '\n', (size_t)(text + size - line));
        char *line_end = newline ? newline : text + size;
        char *next = newline ? newline + 1 : text + size;
        line_number++;
        if (line_end > line && line_end[-1] == '\r') line_end--;
        size_t length = (size_t)(line_end - line);
        *line_end = '\0';
        if (length >= 8 && memcmp(line, "#version", 8) == 0) {
            line = next;
            continue;
        }
        char *space = memchr(line, ' ', length);
        if (!space || space == line || space + 1 == line_end || memchr(space + 1, ' ', (size_t)(line_end - space - 1))) {
            rlhf_error_set(error, "%s: line %d: expected two tokens separated by one space, got \"%s\"", path,
                           line_number, line);
            goto done;
        }
        *space = '\0';
        merge_origin origin = {path, false, line_number};
        if (add_named_merge(t, line, (size_t)(space - line), space + 1, (size_t)(line_end - space - 1), scratch,
                            &origin, error) != 0)
            goto done;
        line = next;
    }
    tokenizer_compact_merges(t);
    status = 0;
done:
    free(scratch);
    free(text);
    return status;
}

/* Whether member key of object is absent, null, false or "" (a setting left at GPT-2's value). */
static bool json_member_unset(json_t *object, const char *key) {
    json_t *value = json_object_get(object, key);
    return !value || json_is_null(value) || json_is_false(value) ||
           (json_is_string(value) && json_string_length(value) == 0);
}

/* Whether member key of object is a string equal to text. */
static bool json_member_is(json_t *object, const char *key, const char *text) {
    json_t *value = json_object_get(object, key);
    return json_is_string(value) && strcmp(json_string_value(value), text) == 0;
}

/* GPT-2's pre-tokenizing regular expression as `tokenizers` spells it in a Split
 * pre-tokenizer (the form transformers' TikTokenConverter writes). */
#define GPT2_SPLIT_PATTERN "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"

/* What in tokenizer.json's model would make `tokenizers` tokenize otherwise than this file,
 * or NULL. The type may be missing (files from before `tokenizers` wrote it, such as the
 * original GPT-2's). unk_token and byte_fallback are accepted: they act only on a character
 * without a token, and every byte has one here (tokenizer_create checks). ignore_merges is
 * refused: it takes a word found whole in the vocabulary as one token even where the merges
 * would split it otherwise. */
static const char *model_problem(json_t *model) {
    json_t *type = json_object_get(model, "type"), *dropout = json_object_get(model, "dropout");
    if (!json_is_object(model)) return "model: missing (a tokenizer.json has a model object)";
    if (type && !json_member_is(model, "type", "BPE")) return "model.type: only BPE is supported";
    if (dropout && !json_is_null(dropout) && !(json_is_number(dropout) && json_number_value(dropout) == 0.0))
        return "model.dropout: BPE dropout is not supported";
    if (!json_member_unset(model, "continuing_subword_prefix"))
        return "model.continuing_subword_prefix: subword prefixes are not supported";
    if (!json_member_unset(model, "end_of_word_suffix")) return "model.end_of_word_suffix: not supported";
    if (!json_member_unset(model, "ignore_merges")) return "model.ignore_merges: not supported";
    return NULL;
}

/* Whether a ByteLevel pre-tokenizer adds no prefix space and applies GPT-2's expression
 * itself (use_regex true or absent) or not (use_regex false, after a Split that did). */
static bool byte_level_is(json_t *pre, bool use_regex) {
    json_t *regex = json_object_get(pre, "use_regex");
    return json_is_object(pre) && json_member_is(pre, "type", "ByteLevel") && json_member_unset(pre, "add_prefix_space") &&
           (use_regex ? !regex || json_is_true(regex) : json_is_false(regex));
}

/* What in the pre-tokenizer differs from GPT-2's, or NULL: ByteLevel with the expression, or
 * a Sequence of a Split on GPT-2's expression (Isolated) and ByteLevel without it. */
static const char *pre_tokenizer_problem(json_t *pre) {
    if (json_is_object(pre) && json_member_is(pre, "type", "ByteLevel")) {
        if (!json_member_unset(pre, "add_prefix_space")) return "pre_tokenizer.add_prefix_space: must be false, as in GPT-2";
        if (!byte_level_is(pre, true)) return "pre_tokenizer.use_regex: must be true (GPT-2's regular expression)";
        return NULL;
    }
    json_t *parts = json_object_get(pre, "pretokenizers"), *split = json_array_get(parts, 0);
    json_t *pattern = json_object_get(json_object_get(split, "pattern"), "Regex");
    if (json_is_object(pre) && json_member_is(pre, "type", "Sequence") && json_array_size(parts) == 2 &&
        json_member_is(split, "type", "Split") && json_is_string(pattern) &&
        strcmp(json_string_value(pattern), GPT2_SPLIT_PATTERN) == 0 && json_member_is(split, "behavior", "Isolated") &&
        json_member_unset(split, "invert") && byte_level_is(json_array_get(parts, 1), false))
        return NULL;
    return "pre_tokenizer: only GPT-2's (ByteLevel with its regular expression, or a Split on that expression "
           "then ByteLevel) is supported";
}

/* What in the post-processor would add tokens around an encoded text, or NULL. transformers
 * encodes with it (add_special_tokens), so a model trained with, say, a BOS it adds expects
 * that BOS, which rlhf's encoding would not give. ByteLevel (offsets only) and a
 * TemplateProcessing that adds nothing are fine, as is a Sequence of such. */
static const char *post_processor_problem(json_t *post) {
    if (!post || json_is_null(post) || json_member_is(post, "type", "ByteLevel")) return NULL;
    if (json_member_is(post, "type", "TemplateProcessing")) {
        json_t *specials = json_object_get(post, "special_tokens"), *single = json_object_get(post, "single"), *piece;
        size_t index;
        bool adds = json_object_size(specials) > 0 || !json_is_array(single);
        json_array_foreach(single, index, piece) adds |= json_object_get(piece, "Sequence") == NULL;
        return adds ? "post_processor: adds special tokens to every encoded text (TemplateProcessing); rlhf's "
                      "encoding does not"
                    : NULL;
    }
    if (json_member_is(post, "type", "Sequence")) {
        json_t *processors = json_object_get(post, "processors"), *member;
        size_t index;
        if (!json_is_array(processors)) return "post_processor.processors: not an array";
        json_array_foreach(processors, index, member) {
            const char *problem = post_processor_problem(member);
            if (problem) return problem;
        }
        return NULL;
    }
    return "post_processor: only ByteLevel, or a TemplateProcessing that adds no tokens, is supported";
}

/* Checks that a tokenizer.json (the `tokenizers` library's one-file format, which
 * transformers 5 writes instead of vocab.json + merges.txt) describes GPT-2's tokenizer as
 * this file implements it: a BPE model as model_problem accepts, no normalizer (or an empty
 * Sequence of them), GPT-2's pre-tokenizer, a ByteLevel decoder (or none) and a
 * post-processor that adds no tokens. Anything else would tokenize differently, so it is
 * refused by name. */
static int check_tokenizer_json(json_t *root, const char *path, rlhf_error *error) {
    if (!json_is_object(root)) {
        rlhf_error_set(error, "%s: not a JSON object", path);
        return -1;
    }
    json_t *normalizer = json_object_get(root, "normalizer"), *decoder = json_object_get(root, "decoder");
    bool no_normalizer = !normalizer || json_is_null(normalizer) ||
                         (json_member_is(normalizer, "type", "Sequence") &&
                          json_is_array(json_object_get(normalizer, "normalizers")) &&
                          json_array_size(json_object_get(normalizer, "normalizers")) == 0);
    const char *problem = model_problem(json_object_get(root, "model"));
    if (!problem && !no_normalizer) problem = "normalizer: GPT-2's tokenizer has none";
    if (!problem) problem = pre_tokenizer_problem(json_object_get(root, "pre_tokenizer"));
    if (!problem && decoder && !json_is_null(decoder) && !json_member_is(decoder, "type", "ByteLevel"))
        problem = "decoder: only the ByteLevel decoder (or none) is supported";
    if (!problem) problem = post_processor_problem(json_object_get(root, "post_processor"));
    if (problem) {
        rlhf_error_set(error, "%s: %s", path, problem);
        return -1;
    }
    return 0;
}

/* transformers 5 builds a GPT-2 tokenizer's pre-tokenizer from tokenizer_config.json's
 * add_prefix_space, whatever tokenizer.json says: refuses dir's config (if there is one)
 * when it asks for a prefix space. */
static int check_tokenizer_config(const char *dir, rlhf_error *error) {
    char path[PATH_MAX];
    /* (joined only here: a folder whose tokenizer.json path fits loads even if this one's
     * does not, which then cannot be there to read) */
    if (rlhf_path_join(path, sizeof path, dir, "tokenizer_config.json", NULL) != 0 || access(path, F_OK) != 0) return 0;
    /* as reals: model_max_length is often 1e30 written out, beyond a 64-bit integer */
    json_t *root = read_json_file(path, JSON_DECODE_INT_AS_REAL, error);
    if (!root) return -1;
    int status = 0;
    if (json_is_true(json_object_get(root, "add_prefix_space"))) {
        rlhf_error_set(error, "%s: add_prefix_space: must be false, as in GPT-2", path);
        status = -1;
    }
    json_decref(root);
    return status;
}

/* Reads tokenizer.json's model.merges into t's merge table: each merge is "left right" (one
 * space; older `tokenizers`) or ["left", "right"] (newer). Errors name the merge's index. */
static int merges_from_array(tokenizer *t, json_t *merges, const char *path, rlhf_error *error) {
    if (!json_is_array(merges)) {
        rlhf_error_set(error, "%s: model.merges: not an array", path);
        return -1;
    }
    int status = -1;
    char *scratch = NULL;
    size_t scratch_size = 0, index;
    json_t *merge;
    json_array_foreach(merges, index, merge) {
        const char *left = NULL, *right = NULL;
        size_t left_length = 0, right_length = 0;
        const char *text = json_string_value(merge);
        const char *space = text ? strchr(text, ' ') : NULL;
        if (space && space != text && space[1] != '\0' && !strchr(space + 1, ' ')) {
            left = text, left_length = (size_t)(space - text);
            right = space + 1, right_length = strlen(right);
        } else if (json_is_array(merge) && json_array_size(merge) == 2 && json_is_string(json_array_get(merge, 0)) &&
                   json_is_string(json_array_get(merge, 1))) {
            left = json_string_value(json_array_get(merge, 0)), left_length = json_string_length(json_array_get(merge, 0));
            right = json_string_value(json_array_get(merge, 1)), right_length = json_string_length(json_array_get(merge, 1));
        }
        if (!left || left_length == 0 || right_length == 0) {
            rlhf_error_set(error, "%s: model.merges[%zu]: expected \"left right\" or [\"left\", \"right\"]", path, index);
            goto done;
        }
        size_t needed = 2 * (left_length + right_length) + 2;
        if (rlhf_grow(&scratch, &scratch_size, needed, 1) != 0) {
            rlhf_error_set(error, "%s: out of memory", path);
            goto done;
        }
        merge_origin origin = {path, true, (long)index};
        if (add_named_merge(t, left, left_length, right, right_length, scratch, &origin, error) != 0)
            goto done;
    }
    tokenizer_compact_merges(t);
    status = 0;
done:
    free(scratch);
    return status;
}

/* Checks tokenizer.json's added_tokens: each must already be in model.vocab with the same id,
 * and the only one supported is <|endoftext|> (encoding splits the text at it). Others, such
 * as a "[PAD]" added for a reward model, are refused by name: rlhf would encode their text as
 * ordinary characters. */
static int check_added_tokens(const tokenizer *t, json_t *added, const char *path, rlhf_error *error) {
    if (!added || json_is_null(added)) return 0;
    if (!json_is_array(added)) {
        rlhf_error_set(error, "%s: added_tokens: not an array", path);
        return -1;
    }
    size_t index;
    json_t *entry;
    json_array_foreach(added, index, entry) {
        json_t *id = json_object_get(entry, "id");
        const char *content = json_string_value(json_object_get(entry, "content"));
        if (!json_is_integer(id) || !content) {
            rlhf_error_set(error, "%s: added_tokens[%zu]: expected an object with an integer id and a content", path,
                           index);
            return -1;
        }
        if (strcmp(content, TOKENIZER_END_OF_TEXT) != 0) {
            rlhf_error_set(error,
                           "%s: added_tokens[%zu]: \"%s\" (id %lld): added tokens other than %s are not supported",
                           path, index, content, (long long)json_integer_value(id), TOKENIZER_END_OF_TEXT);
            return -1;
        }
        if (!json_member_unset(entry, "lstrip") || !json_member_unset(entry, "rstrip") ||
            !json_member_unset(entry, "single_word")) {
            rlhf_error_set(error, "%s: added_tokens[%zu]: %s with lstrip, rstrip or single_word set: transformers "
                                  "would then split text around it otherwise than GPT-2", path, index,
                           TOKENIZER_END_OF_TEXT);
            return -1;
        }
        if (t->eos_id < 0) {
            rlhf_error_set(error, "%s: added_tokens[%zu]: %s is not in model.vocab", path, index, TOKENIZER_END_OF_TEXT);
            return -1;
        }
        if (json_integer_value(id) != t->eos_id) {
            rlhf_error_set(error, "%s: added_tokens[%zu]: %s has id %lld, but model.vocab gives it %d", path, index,
                           TOKENIZER_END_OF_TEXT, (long long)json_integer_value(id), t->eos_id);
            return -1;
        }
    }
    return 0;
}

/* Loads a tokenizer from tokenizer.json (see check_tokenizer_json for what is accepted). */
static int read_tokenizer_json(tokenizer **out, const char *path, rlhf_error *error) {
    json_t *root = read_json_file(path, 0, error);
    if (!root) return -1;
    int status = -1, vocab_size;
    char *bytes, where[4200];
    size_t *starts;
    tokenizer *t = NULL;
    if (check_tokenizer_json(root, path, error) != 0) goto done;
    json_t *model = json_object_get(root, "model");
    snprintf(where, sizeof where, "%s: model.vocab", path);
    if (vocab_from_object(json_object_get(model, "vocab"), where, &vocab_size, &bytes, &starts, error) != 0) goto done;
    t = tokenizer_create(vocab_size, bytes, starts, error);
    if (!t) {
        rlhf_error_prefix(error, "%s", where);
        goto done;
    }
    if (check_added_tokens(t, json_object_get(root, "added_tokens"), path, error) != 0 ||
        merges_from_array(t, json_object_get(model, "merges"), path, error) != 0)
        goto done;
    *out = t;
    t = NULL;
    status = 0;
done:
    tokenizer_free(t);
    json_decref(root);
    return status;
}

/* Loads dir's vocab.json + merges.txt, or its tokenizer.json when there is no vocab.json
 * (rlhf/tokenizer.h says what is accepted). */
int tokenizer_load(tokenizer **out, const char *dir, rlhf_error *error) {
    *out = NULL;
    char vocab_path[PATH_MAX], merges_path[PATH_MAX];
    if (rlhf_path_join(vocab_path, sizeof vocab_path, dir, "vocab.json", error) != 0 ||
        rlhf_path_join(merges_path, sizeof merges_path, dir, "merges.txt", error) != 0)
        return -1;
    struct stat info;
    if (lstat(vocab_path, &info) != 0 && errno == ENOENT) { /* a dangling link is a vocab.json that fails */
        /* transformers 5 saves a GPT-2 tokenizer as tokenizer.json (+ tokenizer_config.json) only */
        char json_path[PATH_MAX];
        if (rlhf_path_join(json_path, sizeof json_path, dir, "tokenizer.json", error) != 0) return -1;
        if (lstat(json_path, &info) != 0 && errno == ENOENT) {
            rlhf_error_set(error, "%s: no tokenizer there (neither vocab.json + merges.txt nor tokenizer.json)", dir);
            return -1;
        }
        if (check_tokenizer_config(dir, error) != 0) return -1;
        return read_tokenizer_json(out, json_path, error);
    }
    int vocab_size;
    char *bytes;
    size_t *starts;
    if (read_vocab(vocab_path, &vocab_size, &bytes, &starts, error) != 0) return -1;
    tokenizer *t = tokenizer_create(vocab_size, bytes, starts, error);
    if (!t) {
        rlhf_error_prefix(error, "%s", vocab_path);
        return -1;
    }
    if (read_merges(t, merges_path, error) != 0) {
        tokenizer_free(t);
        return -1;
    }
    *out = t;
    return 0;
}

/* ------------------------------------------------------------------ saving */

/* A growable byte buffer. */
typedef struct text_buffer {
    char *data;
    size_t length, capacity;
    bool failed;
} text_buffer;

/* Appends length bytes; on failure marks the buffer failed and ignores later appends. */
static void buffer_append(text_buffer *buffer, const char *data, size_t length) {
    if (buffer->failed) return;
    if (length > SIZE_MAX - buffer->length ||
        rlhf_grow(&buffer->data, &buffer->capacity, buffer->length + length, 1) != 0) {
        buffer->failed = true;
        return;
    }
    memcpy(buffer->data + buffer->length, data, length);
    buffer->length += length;
}

/* Appends a NUL-terminated string. */
static void buffer_append_string(text_buffer *buffer, const char *text) { buffer_append(buffer, text, strlen(text)); }

/* Appends text as a JSON string the way Python's json.dumps(ensure_ascii=False) writes it:
 * quotes, backslashes and control characters escaped, everything else as is. */
static void buffer_append_json_string(text_buffer *buffer, const char *text) {
    buffer_append(buffer, "\"", 1);
    for (const char *p = text; *p; p++) {
        unsigned char c = (unsigned char)*p;
        char escaped[8];
        switch (c) {
        case '"': buffer_append(buffer, "\\\"", 2); break;
        case '\\': buffer_append(buffer, "\\\\", 2); break;
        case '\n': buffer_append(buffer, "\\n", 2); break;
        case '\r': buffer_append(buffer, "\\r", 2); break;
        case '\t': buffer_append(buffer, "\\t", 2); break;
        case '\b': buffer_append(buffer, "\\b", 2); break;
        case '\f': buffer_append(buffer, "\\f", 2); break;
        default:
            if (c < 0x20) {
                snprintf(escaped, sizeof escaped, "\\u%04x", c);
                buffer_append(buffer, escaped, 6);
            } else {
                buffer_append(buffer, p, 1);
            }
        }
    }
    buffer_append(buffer, "\"", 1);
}

/* A token's spelling and id, for sorting vocab.json's keys. */
typedef struct named_id {
    const char *name;
    int id;
} named_id;

/* Orders by spelling: strcmp on UTF-8 is code point order, the order Python sorts keys in. */
static int compare_names(const void *a, const void *b) {
    return strcmp(((const named_id *)a)->name, ((const named_id *)b)->name);
}

/* vocab.json (keys sorted, as json.dumps(sort_keys=True, indent=2)) and merges.txt in memory. */
int tokenizer_render(const tokenizer *t, char **vocab_json, size_t *vocab_length, char **merges_txt,
                     size_t *merges_length, rlhf_error *error) {
    *vocab_json = *merges_txt = NULL;
    *vocab_length = *merges_length = 0;
    named_id *order = malloc((size_t)t->vocab_size * sizeof *order);
    if (!order) {
        rlhf_error_set(error, "out of memory");
        return -1;
    }
    for (int id = 0; id < t->vocab_size; id++) order[id] = (named_id){t->names + t->name_starts[id], id};
    qsort(order, (size_t)t->vocab_size, sizeof *order, compare_names);
    text_buffer vocab = {0}, merges = {0};
    buffer_append_string(&vocab, "{\n");
    for (int i = 0; i < t->vocab_size; i++) {
        char number[32];
        buffer_append_string(&vocab, "  ");
        buffer_append_json_string(&vocab, order[i].name);
        snprintf(number, sizeof number, ": %d%s\n", order[i].id, i + 1 < t->vocab_size ? "," : "");
        buffer_append_string(&vocab, number);
    }
    buffer_append_string(&vocab, "}\n");
    free(order);
    buffer_append_string(&merges, "#version: 0.2\n");
    for (int rank = 0; rank < t->merge_count; rank++) {
        buffer_append_string(&merges, t->names + t->name_starts[t->merge_by_rank[rank].left]);
        buffer_append(&merges, " ", 1);
        buffer_append_string(&merges, t->names + t->name_starts[t->merge_by_rank[rank].right]);
        buffer_append(&merges, "\n", 1);
    }
    if (vocab.failed || merges.failed) {
        free(vocab.data);
        free(merges.data);
        rlhf_error_set(error, "out of memory");
        return -1;
    }
    *vocab_json = vocab.data;
    *vocab_length = vocab.length;
    *merges_txt = merges.data;
    *merges_length = merges.length;
    return 0;
}

/* Writes dir/vocab.json and dir/merges.txt (each atomically) as tokenizer_render makes them. */
int tokenizer_save(const tokenizer *t, const char *dir, rlhf_error *error) {
    char vocab_path[PATH_MAX], merges_path[PATH_MAX];
    if (rlhf_path_join(vocab_path, sizeof vocab_path, dir, "vocab.json", error) != 0 ||
        rlhf_path_join(merges_path, sizeof merges_path, dir, "merges.txt", error) != 0 ||
        rlhf_make_directory(dir, error) != 0)
        return -1;
    char *vocab, *merges;
    size_t vocab_length, merges_length;
    if (tokenizer_render(t, &vocab, &vocab_length, &merges, &merges_length, error) != 0) return -1;
    int status = rlhf_write_file_atomic(vocab_path, vocab, vocab_length, error);
    if (status == 0) status = rlhf_write_file_atomic(merges_path, merges, merges_length, error);
    free(vocab);
    free(merges);
    return status;
}
