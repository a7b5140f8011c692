/* Evaluation over token sequences: mean next-token loss (and so perplexity). */
#include "rlhf/nn.h"

#include <stdlib.h>
#include <string.h>

/* One window of a sequence: ids[begin, end). */
typedef struct window {
    size_t begin, end;
} window;

/* See nn.h. Assumes starts has sequence_count + 1 entries, non-decreasing, indexing ids. */
int gpt_sequence_loss(gpt_model *model, const int *ids, const size_t *starts, size_t sequence_count,
                      int batch_size, double *mean_loss, long *token_count, rlhf_error *error) {
    int T = model->config.n_positions;
    /* Cut every sequence into windows of at most n_positions tokens; a window of one token
     * predicts nothing and is dropped. */
    size_t window_count = 0, capacity = 0;
    window *windows = NULL;
    int longest = 1;
    for (size_t s = 0; s < sequence_count; s++)
        for (size_t begin = starts[s]; begin + 1 < starts[s + 1]; begin += (size_t)T) {
            size_t end = begin + (size_t)T < starts[s + 1] ? begin + (size_t)T : starts[s + 1];
            if (end - begin < 2) continue;
            if (rlhf_grow(&windows, &capacity, window_count + 1, sizeof *windows) != 0) {
                free(windows);
                rlhf_error_set(error, "out of memory listing %zu windows of the sequences", window_count + 1);
                return -1;
            }
            windows[window_count++] = (window){begin, end};
            if ((int)(end - begin) > longest) longest = (int)(end - begin);
        }
    if (window_count == 0) {
        free(windows);
        rlhf_error_set(error, "no sequence has two or more tokens to predict from");
        return -1;
    }
    int B = batch_size < (int)window_count ? batch_size : (int)window_count;
    if (gpt_reserve(model, B, longest, false, error) != 0) {
        free(windows);
        return -1;
    }
    int *tokens = malloc(sizeof(int) * (size_t)B * longest);
    int *mask = malloc(sizeof(int) * (size_t)B * longest);
    int *targets = malloc(sizeof(int) * (size_t)B * longest);
    double total = 0.0;
    long count = 0;
    int status = 0;
    if (!tokens || !mask || !targets) {
        rlhf_error_set(error, "out of memory for a batch of %d x %d tokens", B, longest);
        status = -1;
    }
    for (size_t first = 0; first < window_count && status == 0; first += (size_t)B) {
        int rows = (int)(window_count - first < (size_t)B ? window_count - first : (size_t)B);
        int length = 1;
        for (int r = 0; r < rows; r++) {
            int n = (int)(windows[first + r].end - windows[first + r].begin);
            if (n > length) length = n;
        }
        for (int r = 0; r < rows; r++) {
            window w = windows[first + r];
            int n = (int)(w.end - w.begin);
            for (int t = 0; t < length; t++) {
                size_t at = (size_t)r * length + t;
                tokens[at] = t < n ? ids[w.begin + t] : 0;
                mask[at] = t < n;
                targets[at] = t + 1 < n ? ids[w.begin + t + 1] : -1;
            }
        }
        gpt_batch batch = {.batch_size = rows, .seq_len = length, .tokens = tokens,
                           .attention_mask = mask, .targets = targets};
        gpt_outputs outputs = {0};
        status = gpt_forward(model, &batch, &outputs, error);
        total += (double)outputs.loss * outputs.target_count;
        count += outputs.target_count;
    }
    free(tokens);
    free(mask);
    free(targets);
    free(windows);
    if (status != 0) return -1;
    *mean_loss = total / (double)count;
    *token_count = count;
    return 0;
}
