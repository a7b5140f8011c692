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

/* store_compute_stats inside its read transaction. */
static int compute_stats(store *db, store_stats *stats, rlhf_error *error) {
    sqlite3_stmt *statement;
    /* the last: queue done, the labels on queued pairs capped at each pair's overlap */
    static const char *const counts[] = {"SELECT COUNT(*) FROM prompts", "SELECT COUNT(*) FROM completions",
                                         "SELECT COUNT(*) FROM pairs", "SELECT COUNT(*) FROM comparisons",
                                         "SELECT COUNT(*) FROM rankings",
                                         "SELECT COALESCE(SUM(overlap), 0) FROM pairs",
                                         "SELECT COALESCE(SUM(MIN(" STORE_PAIR_LABELS ", p.overlap)), 0) FROM pairs p"};
    long *targets[] = {&stats->prompts, &stats->completions, &stats->pairs, &stats->comparisons, &stats->rankings,
                       &stats->queue_needed, &stats->queue_done};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        if (store_prepare(db, &statement, counts[i], error) != 0) return -1;
        int rc = sqlite3_step(statement);
        *targets[i] = rc == SQLITE_ROW ? (long)sqlite3_column_int64(statement, 0) : 0;
        sqlite3_finalize(statement);
        if (rc != SQLITE_ROW) return store_fail(db, error, "counting");
    }

    /* annotators */
    if (store_prepare(db, &statement, "SELECT id, name FROM annotators ORDER BY id", error)) return -1;
    int64_t *annotator_ids = NULL;
    int capacity = 0, rc;
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
        if (stats->annotator_count == capacity) {
            capacity = capacity ? 2 * capacity : 8;
            stats->annotators = realloc(stats->annotators, sizeof *stats->annotators * (size_t)capacity);
            annotator_ids = realloc(annotator_ids, sizeof(int64_t) * (size_t)capacity);
        }
        store_annotator_stats *a = &stats->annotators[stats->annotator_count];
        memset(a, 0, sizeof *a);
        annotator_ids[stats->annotator_count] = sqlite3_column_int64(statement, 0);
        a->name = store_column_text(statement, 1);
        stats->annotator_count++;
    }
    sqlite3_finalize(statement);
    if (rc != SQLITE_DONE) {
        free(annotator_ids);
        return store_fail(db, error, "reading annotators");
    }

    /* every comparison */
    if (store_prepare(db, &statement,
                      "SELECT c.pair_id, c.annotator_id, c.choice, c.left_completion_id, c.completion_a, c.completion_b, "
                      "c.seconds, p.gold_choice FROM comparisons c LEFT JOIN pairs p ON p.id = c.pair_id", error)) {
        free(annotator_ids);
        return -1;
    }
    long row_count = 0, row_capacity = 0;
    label_row *rows = NULL;
    double *all_seconds = NULL;
    long seconds_count = 0;
    long total_left_wins = 0, total_decided = 0;
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
        store_choice choice;
        if (store_choice_parse((const char *)sqlite3_column_text(statement, 2), &choice) != 0) continue;
        int64_t annotator_id = sqlite3_column_int64(statement, 1);
        int annotator = 0;
        while (annotator < stats->annotator_count && annotator_ids[annotator] != annotator_id) annotator++;
        if (annotator == stats->annotator_count) continue;
        if (row_count == row_capacity) {
            row_capacity = row_capacity ? 2 * row_capacity : 256;
            rows = realloc(rows, sizeof *rows * (size_t)row_capacity);
            all_seconds = realloc(all_seconds, sizeof(double) * (size_t)row_capacity);
        }
        label_row *r = &rows[row_count++];
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
            total_decided++;
            total_left_wins += r->left_won;
        }
        if (!isnan(r->seconds) && r->pair_id) all_seconds[seconds_count++] = r->seconds;
    }
    sqlite3_finalize(statement);
    if (rc != SQLITE_DONE) { /* a damaged file: no figures from part of the rows */
        free(rows);
        free(all_seconds);
        free(annotator_ids);
        return store_fail(db, error, "reading comparisons");
    }
    stats->left_win_rate = total_decided ? (double)total_left_wins / total_decided : NAN;
    stats->median_seconds = median(all_seconds, seconds_count);
    for (int k = 0; k < stats->annotator_count; k++) {
        long n = 0;
        for (long i = 0; i < row_count; i++)
            if (rows[i].annotator == k && !isnan(rows[i].seconds) && rows[i].pair_id) all_seconds[n++] = rows[i].seconds;
        stats->annotators[k].median_seconds = median(all_seconds, n);
    }

    /* Agreement on queued pairs labeled by several annotators (skips left out). */
    if (row_count > 1) qsort(rows, (size_t)row_count, sizeof *rows, compare_rows); /* rows is NULL when empty */
    int A = stats->annotator_count;
    long (*tables)[4][4] = calloc((size_t)(A * A > 0 ? A * A : 1), sizeof *tables);
    long *shared = calloc((size_t)(A * A > 0 ? A * A : 1), sizeof(long));
    long agreeing_pairs = 0, compared_pairs = 0;
    /* Fleiss: find the most common number of raters among overlapping pairs */
    long raters_histogram[64] = {0};
    for (long first = 0; first < row_count;) {
        long end = first;
        while (end < row_count && rows[end].pair_id == rows[first].pair_id) end++;
        if (rows[first].pair_id != 0) {
            int raters = 0;
            for (long i = first; i < end; i++) raters += rows[i].choice != STORE_CHOICE_SKIP;
            if (raters >= 2) {
                stats->overlap_pairs++;
                if (raters < 64) raters_histogram[raters]++;
            }
            for (long i = first; i < end; i++)
                for (long j = i + 1; j < end; j++) {
                    if (rows[i].choice == STORE_CHOICE_SKIP || rows[j].choice == STORE_CHOICE_SKIP) continue;
                    int x = rows[i].annotator, y = rows[j].annotator;
                    tables[x * A + y][rows[i].choice][rows[j].choice]++;
                    shared[x * A + y]++;
                    compared_pairs++;
                    agreeing_pairs += rows[i].choice == rows[j].choice;
                }
        }
        first = end;
    }
    stats->percent_agreement = compared_pairs ? (double)agreeing_pairs / compared_pairs : NAN;
    for (int x = 0; x < A; x++)
        for (int y = x + 1; y < A; y++) {
            if (shared[x * A + y] == 0) continue;
            stats->agreements = realloc(stats->agreements, sizeof *stats->agreements * (size_t)(stats->agreement_count + 1));
            store_pair_agreement *g = &stats->agreements[stats->agreement_count++];
            long same = 0;
            for (int k = 0; k < 4; k++) same += tables[x * A + y][k][k];
            g->annotator_1 = strdup(stats->annotators[x].name);
            g->annotator_2 = strdup(stats->annotators[y].name);
            g->shared = shared[x * A + y];
            g->agreement = (double)same / g->shared;
            g->kappa = cohen_kappa((const long(*)[4])tables[x * A + y], g->shared);
        }
    int n = 0;
    for (int r = 2; r < 64; r++)
        if (raters_histogram[r] > (n ? raters_histogram[n] : 0)) n = r;
    stats->fleiss_raters = n;
    stats->fleiss_kappa = NAN;
    if (n >= 2) {
        double mean_agreement = 0, category_totals[4] = {0};
        long items = 0;
        for (long first = 0; first < row_count;) {
            long end = first;
            while (end < row_count && rows[end].pair_id == rows[first].pair_id) end++;
            long counts[4] = {0};
            int raters = 0;
            for (long i = first; i < end; i++)
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
    free(tables);
    free(shared);
    free(rows);
    free(all_seconds);
    free(annotator_ids);
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

