/* tokenizer: GPT-2's byte-level BPE, token for token as GPT-2 and Hugging Face (`tokenizers`
 * 0.23, `transformers` GPT2Tokenizer/GPT2TokenizerFast) compute it, plus a trainer that makes
 * the same merges as `tokenizers`' BpeTrainer (part of the policy module).
 *
 * Text is bytes. It is cut into pre-tokens by GPT-2's regular expression
 *     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 * with Hugging Face's character classes (PCRE2 with Unicode properties; \s, \p{L} and \p{N}
 * are adjusted so that every code point falls in the class it has in `tokenizers`, whose
 * Unicode tables are newer than PCRE2 10.42's; tests/fixtures/tokenizer/classes.txt lists
 * them all). Each pre-token's bytes start as the 256 byte tokens and are merged by rank
 * (merges.txt order), lowest rank first, leftmost first among equals.
 *
 * Bytes that are not valid UTF-8 (and only those) have no Hugging Face counterpart, since
 * Hugging Face tokenizes Python strings. Here each such byte is pre-tokenized as U+FFFD
 * would be (a symbol, like punctuation), so the pre-token boundaries are those Hugging Face
 * finds in text.decode("utf-8", errors="replace"), while the byte itself is kept and encoded
 * through its byte token. Hence decode(encode(x)) == x for every byte string, NUL bytes and
 * invalid UTF-8 included.
 *
 * A tokenizer is immutable once made: every function taking a const tokenizer may be called
 * from several threads at once. */
#ifndef RLHF_TOKENIZER_H
#define RLHF_TOKENIZER_H

#include <stdbool.h>
#include <stddef.h>

#include "rlhf/util.h"

typedef struct tokenizer tokenizer;   /* opaque */

/* The special token GPT-2 uses to end (and separate) documents. */
#define TOKENIZER_END_OF_TEXT "<|endoftext|>"

/* Loads dir/vocab.json (a JSON object of token -> id, tokens spelled in GPT-2's byte-to-
 * unicode alphabet, ids exactly 0..n-1) and dir/merges.txt (an optional "#version" first
 * line, then one merge a line: two tokens separated by one space), as GPT-2, transformers
 * and tokenizers write them. Everything is checked before anything is kept: a file that is
 * not JSON, a value that is not an integer, an id out of range or given twice, a token
 * outside the byte alphabet, a byte without a token, a merge line that is not two tokens or
 * that names a token (or makes a token) missing from vocab.json are refused with the file
 * and the line or token. A pair listed twice in merges.txt keeps its later rank, as in
 * Hugging Face.
 *
 * A directory without vocab.json is read from dir/tokenizer.json instead (the `tokenizers`
 * format, all that transformers 5 saves): model.vocab and model.merges ("a b" strings or
 * ["a", "b"] pairs) as above, provided the file tokenizes as GPT-2 does (a BPE model without
 * dropout, affixes or ignore_merges; no normalizer; GPT-2's pre-tokenizer with no prefix
 * space, here and in dir/tokenizer_config.json; a ByteLevel decoder or none; a
 * post-processor that adds no tokens) and adds no token but <|endoftext|>, at the id
 * model.vocab gives it, without lstrip, rstrip or single_word. Anything else is refused with
 * the field that differs. */
int tokenizer_load(tokenizer **out, const char *dir, rlhf_error *error);

/* Creates dir (and parents) and writes dir/vocab.json and dir/merges.txt atomically, byte
 * for byte as transformers' GPT2Tokenizer.save_pretrained (4.x) writes them: vocab.json as
 * json.dumps(vocab, indent=2, sort_keys=True, ensure_ascii=False) + "\n", merges.txt as
 * "#version: 0.2" then the merges in rank order. transformers (4.x and 5.x) and tokenizers
 * (ByteLevelBPETokenizer.from_file) load both. */
int tokenizer_save(const tokenizer *t, const char *dir, rlhf_error *error);
/* The two files tokenizer_save writes, in memory: *vocab_json and *merges_txt (malloc'd,
 * not NUL-terminated; the caller frees both) and their lengths. Comparing them with a
 * directory's files says whether that directory holds this tokenizer as saved here. */
int tokenizer_render(const tokenizer *t, char **vocab_json, size_t *vocab_length, char **merges_txt,
                     size_t *merges_length, rlhf_error *error);

/* Frees t (NULL is fine). */
void tokenizer_free(tokenizer *t);

/* Number of ids, <|endoftext|> included. */
int tokenizer_vocab_size(const tokenizer *t);

/* Id of <|endoftext|>, -1 if the vocabulary has no such token. */
int tokenizer_eos_id(const tokenizer *t);

/* Number of merges (merges.txt lines after the header). */
int tokenizer_merge_count(const tokenizer *t);

/* Encodes length bytes of text (any bytes: invalid UTF-8 and NUL included). With
 * allow_special, every literal "<|endoftext|>" becomes the special id and the text on each
 * side is encoded on its own (as Hugging Face does for added tokens); otherwise, or when the
 * vocabulary has no such token, it is encoded as ordinary text (Hugging Face's
 * split_special_tokens=True). *ids is malloc'd (never NULL on success, even for count 0).
 * Texts of 1 MiB or more are cut at safe places and encoded on all OpenMP threads, with the
 * same ids as on one. */
int tokenizer_encode(const tokenizer *t, const char *text, size_t length, bool allow_special, int **ids,
                     size_t *count, rlhf_error *error);

/* Decodes ids to bytes: *text is malloc'd and NUL-terminated, *length excludes the NUL. An id
 * out of range is an error naming it and its position. error may be NULL. */
int tokenizer_decode(const tokenizer *t, const int *ids, size_t count, char **text, size_t *length,
                     rlhf_error *error);

/* The bytes of one token (for streaming output), not NUL-terminated; NULL if id is out of
 * range. The pointer lives as long as t. */
const char *tokenizer_token_bytes(const tokenizer *t, int id, size_t *length);

/* The token as vocab.json spells it (byte-to-unicode alphabet, e.g. "Ġworld"; what
 * Hugging Face's convert_ids_to_tokens returns), NUL-terminated UTF-8; NULL if out of range. */
const char *tokenizer_token_name(const tokenizer *t, int id);

/* The pre-tokens of text (no special-token handling): *ends (malloc'd, *count entries) holds
 * the end offset of each pre-token; pre-token i is [ends[i - 1], ends[i]) with ends[-1] = 0.
 * What tokenizer_encode merges within; exposed for tests and diagnostics. */
int tokenizer_pretokenize(const tokenizer *t, const char *text, size_t length, size_t **ends, size_t *count,
                          rlhf_error *error);

typedef struct tokenizer_train_options {
    int vocab_size;      /* ids in the result, <|endoftext|> included; at least 257 */
    int min_frequency;   /* pairs seen fewer times are not merged; 0 or less means the default, 2 */
} tokenizer_train_options;

/* Trains a byte-level BPE vocabulary on a corpus (length bytes; documents may be separated by
 * "<|endoftext|>", which is cut out and never merged into; each document is pre-tokenized
 * on its own). Ids: the 256 byte tokens in GPT-2's order (the order of their byte-to-unicode
 * characters, as GPT-2's and Hugging Face's vocabularies have them), then one id per new
 * token in the order merges create them until vocab_size - 1 tokens, then <|endoftext|> as
 * the last id (GPT-2's place for it). Fewer tokens result when no pair is seen
 * min_frequency times any more.
 *
 * The merges are those of Hugging Face `tokenizers`' BpeTrainer (ByteLevelBPETokenizer with
 * special_tokens=["<|endoftext|>"], train_from_iterator over the documents), merge for merge:
 * the most frequent pair first, ties broken by the smaller (left id, right id), counts kept
 * up to date incrementally exactly as BpeTrainer does. The one difference is where the
 * special token goes: Hugging Face gives it id 0 and shifts every other id up by one; the
 * tokens and merges.txt are the same. (Hugging Face's train(files) feeds each line as its
 * own sequence, so blank lines pre-tokenize differently there; train_from_iterator with
 * whole documents is what this matches.) The result is deterministic: the same corpus and
 * options give the same files whatever the number of threads (counting the words of a
 * corpus of 1 MiB or more is split over the OpenMP threads; merging runs on one). */
int tokenizer_train(tokenizer **out, const char *corpus, size_t length, const tokenizer_train_options *options,
                    rlhf_error *error);

#endif
