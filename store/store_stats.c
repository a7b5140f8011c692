/* Label statistics: counts, queue progress, inter-annotator agreement (percent, Cohen's
 * kappa per pair of annotators, Fleiss' kappa), gold accuracy, position bias, timing. */
#include "store/store_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One comparison row as the statistics need it. */
typedef struct label_row {
    int64_t pair_id;
    int annotator;      /* index into stats->annotators */
    int choice;
    int left_won;       /* -1 not an a/b choice or side unknown, else 0/1 */
    double seconds;
    int gold;           /* -1 none, else the gold choice */
} label_row;

/* qsort order of doubles, ascending. */
static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median of values[0..n) (sorts them); NAN when n is 0. */
static double median(double *values, long n) {
    if (n == 0) return NAN;
    qsort(values, (size_t)n, sizeof *values, compare_doubles);
    return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

/* qsort order of label rows: by pair, then by annotator. */
static int compare_rows(const void *a, const void *b) {
    const label_row *x = a, *y = b;
    if (x->pair_id != y->pair_id) return x->pair_id < y->pair_id ? -1 : 1;
    return x->annotator - y->annotator;
}

/* Cohen's kappa from a 4 x 4 table of counts (rows: first annotator's choice). */
static double cohen_kappa(const long table[4][4], long total) {
    if (total == 0) return NAN;
    double observed = 0, expected = 0;
    for (int k = 0; k < 4; k++) observed += table[k][k];
    for (int k = 0; k < 4; k++) {
        double row = 0, column = 0;
        for (int j = 0; j < 4; j++) {
            row += table[k][j];
            column += table[j][k];
        }
        expected += row * column;
    }
    observed /= total;
    expected /= (double)total * total;
    return expected >= 1.0 ? (observed >= 1.0 ? 1.0 : NAN) : (observed - expected) / (1.0 - expected);
}

/* What reading the annotators and the comparisons for the statistics shares. */
typedef struct stats_read {
    store_stats *stats;
    int64_t *annotator_ids;   /* annotator_ids[i] is the id of stats->annotators[i] */
    size_t id_capacity;
    long left_wins, decided;  /* a/b labels whose left side won, and all a/b labels */
} stats_read;

/* One annotators row (id, name) as a zeroed store_annotator_stats, its id kept beside it
 * (store_read_rows reader; user is a stats_read). */
static int read_annotator_stats(sqlite3_stmt *statement, void *item, size_t index, void *user) {
    stats_read *reading = user;
    if (rlhf_grow(&reading->annotator_ids, &reading->id_capacity, index + 1, sizeof *reading->annotator_ids) != 0)
        return -1;
    reading->annotator_ids[index] = sqlite3_column_int64(statement, 0);
    return store_column_copy(statement, 1, &((store_annotator_stats *)item)->name) == 0 ? 1 : -1;
}

/* Frees what one store_annotator_stats owns. */
static void release_annotator_stats(void *item) { free(((store_annotator_stats *)item)->name); }

static const store_row_reader annotator_stats_rows = {sizeof(store_annotator_stats), read_annotator_stats,
                                                      release_annotator_stats};

/* One comparison (pair_id, annotator_id, choice, left_completion_id, completion_a,
 * completion_b, seconds, gold_choice) as a label_row, counted into the annotator's and the
 * store's figures; a row with an unknown choice or annotator is left out (store_read_rows
 * reader; user is a stats_read whose annotators are read). */
static int read_label_row(sqlite3_stmt *statement, void *item, size_t index, void *user) {
    (void)index;
    stats_read *reading = user;
    store_stats *stats = reading->stats;
    store_choice choice;
    const char *choice_text = (const char *)sqlite3_column_text(statement, 2);
    if (!choice_text) return -1; /* choice is NOT NULL: no text means SQLite ran out of memory */
    if (store_choice_parse(choice_text, &choice) != 0) return 0;
    int64_t annotator_id = sqlite3_column_int64(statement, 1);
    int annotator = 0;
    while (annotator < stats->annotator_count && reading->annotator_ids[annotator] != annotator_id) annotator++;
    if (annotator == stats->annotator_count) return 0;
    label_row *r = item;
    r->pair_id = sqlite3_column_type(statement, 0) == SQLITE_NULL ? 0 : sqlite3_column_int64(statement, 0);
    r->annotator = annotator;
    r->choice = choice;
    r->seconds = sqlite3_column_type(statement, 6) == SQLITE_NULL ? NAN : sqlite3_column_double(statement, 6);
    r->left_won = -1;
    if ((choice == STORE_CHOICE_A || choice == STORE_CHOICE_B) && sqlite3_column_type(statement, 3) != SQLITE_NULL) {
        int64_t left = sqlite3_column_int64(statement, 3);
        int64_t winner = sqlite3_column_int64(statement, choice == STORE_CHOICE_A ? 4 : 5);
        r->left_won = left == winner;
    }
    r->gold = -1;
    if (sqlite3_column_type(statement, 7) != SQLITE_NULL) {
        store_choice gold;
        if (store_choice_parse((const char *)sqlite3_column_text(statement, 7), &gold) == 0) r->gold = gold;
    }
    store_annotator_stats *a = &stats->annotators[annotator];
    a->labels++;
    a->by_choice[choice]++;
    stats->by_choice[choice]++;
    if (r->gold >= 0 && choice != STORE_CHOICE_SKIP) {
        a->gold_seen++;
        a->gold_correct += (int)choice == r->gold;
    }
    if (r->left_won >= 0) {
        a->decided++;
        a->left_wins += r->left_won;
        reading->decided++;
        reading->left_wins += r->left_won;
    }
    return 1;
}

static const store_row_reader label_rows = {sizeof(label_row), read_label_row, NULL};

/* Median seconds over the labels of queued pairs, all together and per annotator (rows
 * without a time left out). -1 when out of memory. */
static int compute_timing(store_stats *stats, const label_row *rows, size_t row_count) {
    double *seconds = NULL;
    if (rlhf_resize(&seconds, row_count, sizeof *seconds) != 0) return -1;
    long n = 0;
    for (size_t i = 0; i < row_count; i++)
        if (!isnan(rows[i].seconds) && rows[i].pair_id) seconds[n++] = rows[i].seconds;
    stats->median_seconds = median(seconds, n);
    for (int k = 0; k < stats->annotator_count; k++) {
        n = 0;
        for (size_t i = 0; i < row_count; i++)
            if (rows[i].annotator == k && !isnan(rows[i].seconds) && rows[i].pair_id) seconds[n++] = rows[i].seconds;
        stats->annotators[k].median_seconds = median(seconds, n);
    }
    free(seconds);
    return 0;
}

/* The end of the run of rows (sorted by pair) that starts at first: rows[first .. end)
 * share one pair_id. */
static size_t pair_run_end(const label_row *rows, size_t row_count, size_t first) {
    size_t end = first;
    while (end < row_count && rows[end].pair_id == rows[first].pair_id) end++;
    return end;
}

/* Percent agreement, and Cohen's kappa for each two annotators, over queued pairs both
 * labeled (skips left out), from rows sorted by pair; counts overlap_pairs and fills
 * raters_histogram[r] with how many pairs r annotators labeled (r < 64). -1 when out of
 * memory. */
static int compute_agreement(store_stats *stats, const label_row *rows, size_t row_count, long raters_histogram[64]) {
    size_t A = (size_t)stats->annotator_count, cells;
    if (!rlhf_size_multiply(A, A, &cells)) return -1;
    long (*tables)[4][4] = calloc(cells ? cells : 1, sizeof *tables);
    long *shared = calloc(cells ? cells : 1, sizeof *shared);
    int status = tables && shared ? 0 : -1;
    long agreeing_pairs = 0, compared_pairs = 0;
    for (size_t first = 0; first < row_count && status == 0;) {
        size_t end = pair_run_end(rows, row_count, first);
        if (rows[first].pair_id != 0) {
            int raters = 0;
            for (size_t i = first; i < end; i++) raters += rows[i].choice != STORE_CHOICE_SKIP;
            if (raters >= 2) {
                stats->overlap_pairs++;
                if (raters < 64) raters_histogram[raters]++;
            }
            for (size_t i = first; i < end; i++)
                for (size_t j = i + 1; j < end; j++) {
                    if (rows[i].choice == STORE_CHOICE_SKIP || rows[j].choice == STORE_CHOICE_SKIP) continue;
                    size_t x = (size_t)rows[i].annotator, y = (size_t)rows[j].annotator;
                    tables[x * A + y][rows[i].choice][rows[j].choice]++;
                    shared[x * A + y]++;
                    compared_pairs++;
                    agreeing_pairs += rows[i].choice == rows[j].choice;
                }
        }
        first = end;
    }
    stats->percent_agreement = compared_pairs ? (double)agreeing_pairs / compared_pairs : NAN;
    size_t agreement_capacity = 0;
    for (size_t x = 0; x < A && status == 0; x++)
        for (size_t y = x + 1; y < A && status == 0; y++) {
            if (shared[x * A + y] == 0) continue;
            if (rlhf_grow(&stats->agreements, &agreement_capacity, (size_t)stats->agreement_count + 1,
                          sizeof *stats->agreements) != 0) {
                status = -1;
                break;
            }
            store_pair_agreement *g = &stats->agreements[stats->agreement_count++];
            long same = 0;
            for (int k = 0; k < 4; k++) same += tables[x * A + y][k][k];
            g->annotator_1 = strdup(stats->annotators[x].name);
            g->annotator_2 = strdup(stats->annotators[y].name);
            g->shared = shared[x * A + y];
            g->agreement = (double)same / g->shared;
            g->kappa = cohen_kappa((const long(*)[4])tables[x * A + y], g->shared);
            if (!g->annotator_1 || !g->annotator_2) status = -1; /* store_stats_free frees the other */
        }
    free(tables);
    free(shared);
    return status;
}

/* Fleiss' kappa over the queued pairs labeled by the most common number (>= 2) of
 * annotators, from rows sorted by pair and raters_histogram from compute_agreement. */
static void compute_fleiss(store_stats *stats, const label_row *rows, size_t row_count, const long raters_histogram[64]) {
    int n = 0;
    for (int r = 2; r < 64; r++)
        if (raters_histogram[r] > (n ? raters_histogram[n] : 0)) n = r;
    stats->fleiss_raters = n;
    stats->fleiss_kappa = NAN;
    if (n < 2) return;
    double mean_agreement = 0, category_totals[4] = {0};
    long items = 0;
    for (size_t first = 0; first < row_count;) {
        size_t end = pair_run_end(rows, row_count, first);
        long counts[4] = {0};
        int raters = 0;
        for (size_t i = first; i < end; i++)
            if (rows[i].choice != STORE_CHOICE_SKIP) {
                counts[rows[i].choice]++;
                raters++;
            }
        if (rows[first].pair_id != 0 && raters == n) {
            double sum_squares = 0;
            for (int k = 0; k < 4; k++) {
                sum_squares += (double)counts[k] * counts[k];
                category_totals[k] += counts[k];
            }
            mean_agreement += (sum_squares - n) / ((double)n * (n - 1));
            items++;
        }
        first = end;
    }
    if (items > 0) {
        mean_agreement /= items;
        double expected = 0;
        for (int k = 0; k < 4; k++) {
            double p = category_totals[k] / ((double)items * n);
            expected += p * p;
        }
        stats->fleiss_kappa = expected >= 1.0 ? (mean_agreement >= 1.0 ? 1.0 : NAN)
                                              : (mean_agreement - expected) / (1.0 - expected);
    }
    stats->fleiss_items = items;
}

/* store_compute_stats inside its read transaction; on failure what it filled in is left
 * for store_stats_free. */
static int compute_stats(store *db, store_stats *stats, rlhf_error *error) {
    /* the last: queue done, the labels on queued pairs capped at each pair's overlap */
    static const char *const counts[] = {"SELECT COUNT(*) FROM prompts", "SELECT COUNT(*) FROM completions",
                                         "SELECT COUNT(*) FROM pairs", "SELECT COUNT(*) FROM comparisons",
                                         "SELECT COUNT(*) FROM rankings",
                                         "SELECT COALESCE(SUM(overlap), 0) FROM pairs",
                                         "SELECT COALESCE(SUM(MIN(" STORE_PAIR_LABELS ", p.overlap)), 0) FROM pairs p"};
    long *targets[] = {&stats->prompts, &stats->completions, &stats->pairs, &stats->comparisons, &stats->rankings,
                       &stats->queue_needed, &stats->queue_done};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
        if (store_query_long(db, counts[i], INT64_MIN, targets[i], error) != 0) return -1;

    stats_read reading = {stats, NULL, 0, 0, 0};
    size_t annotator_count, row_count = 0;
    label_row *rows = NULL;
    int status = store_select_rows(db, "SELECT id, name FROM annotators ORDER BY id", INT64_MIN, &annotator_stats_rows,
                                   &reading, &stats->annotators, &annotator_count, "reading annotators", error);
    stats->annotator_count = (int)annotator_count;
    /* every comparison; a damaged file fails here, giving no figures from part of the rows */
    if (status == 0)
        status = store_select_rows(db,
                                   "SELECT c.pair_id, c.annotator_id, c.choice, c.left_completion_id, c.completion_a, "
                                   "c.completion_b, c.seconds, p.gold_choice FROM comparisons c "
                                   "LEFT JOIN pairs p ON p.id = c.pair_id",
                                   INT64_MIN, &label_rows, &reading, &rows, &row_count, "reading comparisons", error);
    free(reading.annotator_ids);
    if (status != 0) return -1;
    stats->left_win_rate = reading.decided ? (double)reading.left_wins / reading.decided : NAN;

    /* Agreement on queued pairs labeled by several annotators (skips left out). */
    if (row_count > 1) qsort(rows, row_count, sizeof *rows, compare_rows); /* rows is NULL when empty */
    long raters_histogram[64] = {0};
    if (compute_timing(stats, rows, row_count) != 0 || compute_agreement(stats, rows, row_count, raters_histogram) != 0) {
        free(rows);
        return store_out_of_memory(db, error, "computing statistics");
    }
    compute_fleiss(stats, rows, row_count, raters_histogram);
    free(rows);
    return 0;
}

void store_stats_free(store_stats *stats) {
    for (int i = 0; i < stats->annotator_count; i++) free(stats->annotators[i].name);
    for (int i = 0; i < stats->agreement_count; i++) {
        free(stats->agreements[i].annotator_1);
        free(stats->agreements[i].annotator_2);
    }
    free(stats->annotators);
    free(stats->agreements);
    memset(stats, 0, sizeof *stats);
}

/* Every figure of store_stats from one snapshot of the store. */
int store_compute_stats(store *db, store_stats *stats, rlhf_error *error) {
    memset(stats, 0, sizeof *stats);
    /* one read transaction: every figure comes from the same snapshot, even while
     * labelers write */
    if (sqlite3_exec(db->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) return store_fail(db, error, "reading");
    int status = compute_stats(db, stats, error);
    sqlite3_exec(db->db, "COMMIT", NULL, NULL, NULL);
    if (status != 0) store_stats_free(stats);
    return status;
}

