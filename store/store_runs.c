/* Training runs and their metrics: a run is recorded 'running' with its process's pid and
 * host, ends 'finished', 'failed' or 'interrupted', and may be resumed under its id; a run
 * whose process died is found and marked interrupted. */
#include "store/store_internal.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* This machine's name into host (empty when unknown), to tell whose pid a run's is. */
static void this_host(char host[256]) {
    if (gethostname(host, 256) != 0) host[0] = '\0';
    host[255] = '\0';
}

/* Marks interrupted the runs this machine's processes left 'running' and that no longer
 * exist (kill(pid, 0) finds no such process). Runs of other hosts, and any run whose process
 * lives, are left alone. Best effort: a store it cannot write is left as it is. */
void store_sweep_dead_runs(store *db) {
    char host[256];
    this_host(host);
    sqlite3_stmt *select, *update;
    if (store_prepare(db, &select, "SELECT id, pid FROM runs WHERE status = 'running' AND host = ?1 AND pid > 0",
                      NULL) != 0)
        return;
    if (store_prepare(db, &update,
                      "UPDATE runs SET status = 'interrupted', finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
                      "WHERE id = ?1 AND status = 'running'",
                      NULL) != 0) {
        sqlite3_finalize(select);
        return;
    }
    sqlite3_bind_text(select, 1, host, -1, SQLITE_STATIC);
    while (sqlite3_step(select) == SQLITE_ROW) {
        pid_t pid = (pid_t)sqlite3_column_int64(select, 1);
        if (kill(pid, 0) == 0 || errno != ESRCH) continue; /* alive (or not ours to signal) */
        sqlite3_bind_int64(update, 1, sqlite3_column_int64(select, 0));
        sqlite3_step(update);
        sqlite3_reset(update);
    }
    sqlite3_finalize(select);
    sqlite3_finalize(update);
}

/* Records a new run of kind, running in this process, after sweeping dead runs. */
int store_begin_run(store *db, const char *kind, const char *config_json, int64_t *run_id, rlhf_error *error) {
    store_sweep_dead_runs(db);
    char host[256];
    this_host(host);
    sqlite3_stmt *statement;
    if (store_prepare(db, &statement, "INSERT INTO runs (kind, config, pid, host) VALUES (?1, ?2, ?3, ?4)", error) != 0)
        return -1;
    sqlite3_bind_text(statement, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(statement, 2, config_json, -1, SQLITE_STATIC);
    sqlite3_bind_int64(statement, 3, (int64_t)getpid());
    sqlite3_bind_text(statement, 4, host, -1, SQLITE_STATIC);
    int rc = sqlite3_step(statement);
    sqlite3_finalize(statement);
    if (rc != SQLITE_DONE) return store_fail(db, error, "starting a run");
    *run_id = sqlite3_last_insert_rowid(db->db);
    return 0;
}

/* Takes run_id (of kind, not running) up again for this process; 1 (error set) when this
 * store has no such run. */
int store_resume_run(store *db, int64_t run_id, const char *kind, rlhf_error *error) {
    store_sweep_dead_runs(db);
    char host[256];
    this_host(host);
    sqlite3_stmt *statement;
    if (store_prepare(db, &statement,
                      "UPDATE runs SET status = 'running', finished_at = NULL, pid = ?3, host = ?4 "
                      "WHERE id = ?1 AND kind = ?2 AND status != 'running'",
                      error) != 0)
        return -1;
    sqlite3_bind_int64(statement, 1, run_id);
    sqlite3_bind_text(statement, 2, kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64(statement, 3, (int64_t)getpid());
    sqlite3_bind_text(statement, 4, host, -1, SQLITE_STATIC);
    int rc = sqlite3_step(statement);
    sqlite3_finalize(statement);
    if (rc != SQLITE_DONE) return store_fail(db, error, "resuming a run");
    if (sqlite3_changes(db->db) == 1) return 0;
    rlhf_error_set(error, "%s: no %s run %lld to resume (another store, or a run still running)", db->path, kind,
                   (long long)run_id);
    return 1;
}

/* The run's status (malloc'd), after sweeping dead runs; fails when there is no such run. */
int store_run_status(store *db, int64_t run_id, char **status, rlhf_error *error) {
    store_sweep_dead_runs(db);
    *status = NULL;
    sqlite3_stmt *statement;
    if (store_prepare(db, &statement, "SELECT status FROM runs WHERE id = ?1", error) != 0) return -1;
    sqlite3_bind_int64(statement, 1, run_id);
    int rc = sqlite3_step(statement);
    if (rc == SQLITE_ROW && store_column_copy(statement, 0, status) != 0) {
        sqlite3_finalize(statement);
        return store_out_of_memory(db, error, "reading a run");
    }
    sqlite3_finalize(statement);
    if (rc == SQLITE_ROW && *status) return 0;
    if (rc == SQLITE_ROW || rc == SQLITE_DONE) rlhf_error_set(error, "%s: no run %lld", db->path, (long long)run_id);
    else store_fail(db, error, "reading a run");
    return -1;
}

/* Records value as metric name at step of run_id, replacing an earlier value there. */
int store_log_metric(store *db, int64_t run_id, long step, const char *name, double value, rlhf_error *error) {
    sqlite3_stmt *statement;
    if (store_prepare(db, &statement, "INSERT OR REPLACE INTO metrics (run_id, step, name, value) VALUES (?1, ?2, ?3, ?4)",
                      error) != 0)
        return -1;
    sqlite3_bind_int64(statement, 1, run_id);
    sqlite3_bind_int64(statement, 2, step);
    sqlite3_bind_text(statement, 3, name, -1, SQLITE_STATIC);
    sqlite3_bind_double(statement, 4, value);
    int rc = sqlite3_step(statement);
    sqlite3_finalize(statement);
    return rc == SQLITE_DONE ? 0 : store_fail(db, error, "logging a metric");
}

/* Ends run_id with status ("finished", "failed" or "interrupted") and the time. */
int store_finish_run(store *db, int64_t run_id, const char *status, rlhf_error *error) {
    sqlite3_stmt *statement;
    if (store_prepare(db, &statement,
                      "UPDATE runs SET status = ?2, finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?1",
                      error) != 0)
        return -1;
    sqlite3_bind_int64(statement, 1, run_id);
    sqlite3_bind_text(statement, 2, status, -1, SQLITE_STATIC);
    int rc = sqlite3_step(statement);
    sqlite3_finalize(statement);
    return rc == SQLITE_DONE ? 0 : store_fail(db, error, "finishing a run");
}

/* Appends one (step, value) to series, growing its arrays (capacity counts both); -1 when
 * out of memory, series unchanged. */
static int append_metric(store_metric_series *series, size_t *capacity, long step, double value) {
    size_t needed = (size_t)series->count + 1, steps_capacity = *capacity;
    if (rlhf_grow(&series->steps, &steps_capacity, needed, sizeof *series->steps) != 0 ||
        rlhf_grow(&series->values, capacity, needed, sizeof *series->values) != 0)
        return -1;
    series->steps[series->count] = step;
    series->values[series->count++] = value;
    return 0;
}

/* The run's kind and every metric of it, one series per name (sorted), in step order. */
int store_run_metrics(store *db, int64_t run_id, char **kind, store_metric_series **series, int *count,
                      rlhf_error *error) {
    *series = NULL;
    *count = 0;
    *kind = NULL;
    sqlite3_stmt *statement;
    if (store_prepare(db, &statement, "SELECT kind FROM runs WHERE id = ?1", error) != 0) return -1;
    sqlite3_bind_int64(statement, 1, run_id);
    int rc = sqlite3_step(statement);
    bool copied = rc != SQLITE_ROW || store_column_copy(statement, 0, kind) == 0;
    sqlite3_finalize(statement);
    if (!copied) return store_out_of_memory(db, error, "reading a run");
    if (!*kind) {
        rlhf_error_set(error, "%s: no run %lld", db->path, (long long)run_id);
        return -1;
    }
    if (store_prepare(db, &statement, "SELECT name, step, value FROM metrics WHERE run_id = ?1 ORDER BY name, step",
                      error) != 0)
        goto fail;
    sqlite3_bind_int64(statement, 1, run_id);
    size_t series_capacity = 0, values_capacity = 0;
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(statement, 0);
        if (!name) break; /* out of memory: name is NOT NULL */
        if (*count == 0 || strcmp((*series)[*count - 1].name, name) != 0) {
            if (rlhf_grow(series, &series_capacity, (size_t)*count + 1, sizeof **series) != 0) break;
            store_metric_series *added = &(*series)[*count];
            memset(added, 0, sizeof *added);
            if (!(added->name = strdup(name))) break;
            (*count)++;
            values_capacity = 0;
        }
        if (append_metric(&(*series)[*count - 1], &values_capacity, (long)sqlite3_column_int64(statement, 1),
                          sqlite3_column_double(statement, 2)) != 0)
            break;
    }
    if (rc == SQLITE_DONE) {
        sqlite3_finalize(statement);
        return 0;
    }
    if (rc == SQLITE_ROW) store_out_of_memory(db, error, "reading metrics");
    else store_fail(db, error, "reading metrics");
    sqlite3_finalize(statement);
fail:
    store_metric_series_free(*series, *count);
    free(*kind);
    *series = NULL;
    *count = 0;
    *kind = NULL;
    return -1;
}

void store_metric_series_free(store_metric_series *series, int count) {
    for (int i = 0; i < count; i++) {
        free(series[i].name);
        free(series[i].steps);
        free(series[i].values);
    }
    free(series);
}
