/* RlhfLabelerWindow, saving: every decision is written to the store on a worker thread
 * and committed before the next pair appears; a failed write is kept on screen, reported
 * in the window and retried, never dropped; undo removes this window's own last row. */
#include "labeler-window-private.h"

#include <sys/stat.h>

#define HISTORY_LIMIT 50
#define RETRY_FIRST_SECONDS 3
#define RETRY_MAX_SECONDS 60

/* ------------------------------------------------------------------ writes */

/* Frees a write and everything it holds; NULL is allowed. */
void rlhf_labeler_write_free(LabelerWrite *write) {
    if (write == NULL) return;
    rlhf_labeler_pair_clear(&write->pair);
    rlhf_labeler_task_clear(&write->task);
    g_strfreev(write->flags);
    g_free(write->rationale);
    g_free(write->best_first);
    g_free(write->error);
    g_free(write);
}

/* Worker thread: writes one LabelerWrite (never touching GTK), filling ok,
 * already_labeled, error and result_id; a store file moved since it was opened is refused. */
static void write_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable) {
    (void)source;
    (void)cancellable;
    LabelerWrite *write = data;
    rlhf_error error = {{0}};
    int status = -1;
    /* SQLite goes on writing into a file that was deleted or moved away, and nothing would
     * ever read those labels: check it is still where it was opened. */
    struct stat now;
    if (stat(store_path(write->db), &now) != 0 || now.st_dev != write->db_device || now.st_ino != write->db_inode) {
        g_free(write->error);
        write->error = g_strdup_printf("the store file %s has been moved or deleted; put it back to save, "
                                       "or restart the labeler on it where it is now", store_path(write->db));
        write->ok = FALSE;
        g_task_return_boolean(task, TRUE);
        return;
    }
    switch (write->kind) {
    case LABELER_WRITE_COMPARISON: {
        store_label label = {
            .pair_id = write->pair.pair_id,
            .annotator_id = write->annotator_id,
            .choice = rlhf_ui_choice_to_store(write->choice, write->pair.left_is_a),
            .strength = rlhf_ui_choice_is_side(write->choice) ? write->strength : 0,
            .flags = (const char *const *)write->flags,
            .flag_count = write->flags != NULL ? (int)g_strv_length(write->flags) : 0,
            .rationale = write->rationale,
            .left_completion_id = write->pair.left_id,
            .seconds = write->seconds,
        };
        status = store_add_comparison(write->db, &label, &write->result_id, &error);
        break;
    }
    case LABELER_WRITE_RANKING:
        status = store_add_ranking(write->db, write->annotator_id, write->task.prompt_id, write->best_first,
                                   write->task.count, write->seconds, &write->result_id, &error);
        break;
    case LABELER_WRITE_UNDO:
        status = store_undo_label(write->db, write->annotator_id, write->undo_id, write->undo_ranking, &write->undone,
                                  &error);
        break;
    }
    write->ok = status == 0;
    write->already_labeled = status == 1;
    g_free(write->error);
    write->error = write->ok ? NULL : g_strdup(error.message[0] != '\0' ? error.message : "unknown error");
    g_task_return_boolean(task, TRUE);
}

/* ------------------------------------------------------------------ the unsaved decision */

/* Cancels the pending automatic retry of the unsaved decision, if one is scheduled. */
void rlhf_labeler_window_clear_retry(RlhfLabelerWindow *self) {
    if (self->retry_source != 0) {
        g_source_remove(self->retry_source);
        self->retry_source = 0;
    }
}

/* Drops the unsaved decision (freed: the caller must have taken it off self->unsaved if it
 * still needs it), its retry and its banner. */
static void forget_unsaved(RlhfLabelerWindow *self) {
    rlhf_labeler_window_clear_retry(self);
    rlhf_labeler_write_free(self->unsaved);
    self->unsaved = NULL;
    self->retry_delay = 0;
    gtk_revealer_set_reveal_child(self->unsaved_revealer, FALSE);
}

/* The retry timer fired: retries the unsaved decision unless a write is already running. */
static gboolean retry_timeout(gpointer data) {
    RlhfLabelerWindow *self = data;
    self->retry_source = 0;
    if (self->unsaved != NULL && !self->busy) gtk_widget_activate_action(GTK_WIDGET(self), "labeler.retry", NULL);
    return G_SOURCE_REMOVE;
}

/* A decision could not be written: keep it, say so in the window, retry it later. */
static void keep_unsaved(RlhfLabelerWindow *self, LabelerWrite *write) {
    if (self->unsaved != write) {
        rlhf_labeler_write_free(self->unsaved);
        self->unsaved = write;
    }
    self->retry_delay = self->retry_delay == 0 ? RETRY_FIRST_SECONDS : MIN(self->retry_delay * 2, RETRY_MAX_SECONDS);
    char *text = g_strdup_printf("Your last decision is not saved yet: %s. It is kept here and will be retried "
                                 "in %u s; nothing is lost while this window stays open.",
                                 write->error, self->retry_delay);
    gtk_label_set_text(self->unsaved_label, text);
    gtk_revealer_set_reveal_child(self->unsaved_revealer, TRUE);
    gtk_accessible_update_property(GTK_ACCESSIBLE(self->unsaved_label), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, text, -1);
    g_free(text);
    rlhf_labeler_window_clear_retry(self);
    self->retry_source = g_timeout_add_seconds(self->retry_delay, retry_timeout, self);
}

/* ------------------------------------------------------------------ writing */

/* Takes a saved write into the undo history (most recent first), keeping HISTORY_LIMIT. */
static void remember(RlhfLabelerWindow *self, LabelerWrite *write) {
    g_queue_push_head(&self->history, write);
    while (g_queue_get_length(&self->history) > HISTORY_LIMIT)
        rlhf_labeler_write_free(g_queue_pop_tail(&self->history));
}

/* Puts an undone decision back on screen as it was submitted, in its own mode; write
 * stays the caller's. */
static void restore(RlhfLabelerWindow *self, LabelerWrite *write) {
    if (write->kind == LABELER_WRITE_COMPARISON) {
        rlhf_labeler_window_switch_mode(self, "pairs");
        rlhf_labeler_pair_clear(&self->pair);
        rlhf_labeler_pair_copy(&self->pair, &write->pair);
        self->have_pair = TRUE;
        rlhf_labeler_window_show_pair(self);
        rlhf_labeler_pair_view_set_draft(self->pair_view, write->choice, write->strength,
                                         (const char *const *)write->flags, write->rationale);
    } else {
        rlhf_labeler_window_switch_mode(self, "ranking");
        rlhf_labeler_task_clear(&self->task);
        rlhf_labeler_task_copy(&self->task, &write->task);
        self->have_task = TRUE;
        rlhf_labeler_window_show_task(self);
        rlhf_labeler_ranking_view_set_order(self->ranking_view, write->best_first, write->task.count);
    }
    rlhf_labeler_window_update_progress(self);
    rlhf_labeler_window_update_actions(self);
}

/* An undo's write finished: on success the history's head goes back on screen; a
 * failure, or a row already gone, is reported in a toast. */
static void undo_done(RlhfLabelerWindow *self, LabelerWrite *write) {
    if (!write->ok) {
        char *text = g_strdup_printf("Could not undo: %s", write->error);
        rlhf_labeler_window_toast(self, text);
        g_free(text);
        return;
    }
    LabelerWrite *last = g_queue_pop_head(&self->history); /* action_undo undid this head */
    if (!write->undone) {
        /* someone removed that row already (nothing was deleted now) */
        rlhf_labeler_write_free(last);
        rlhf_labeler_window_toast(self, "That label was already removed from the store");
        rlhf_labeler_window_update_actions(self);
        return;
    }
    restore(self, last);
    rlhf_labeler_write_free(last);
    rlhf_labeler_window_toast(self, "Last label undone");
}

/* A decision's write finished: on success it joins the undo history and the next pair
 * appears; on failure it stays on screen, reported and retried. */
static void decision_done(RlhfLabelerWindow *self, LabelerWrite *write) {
    if (write->already_labeled) {
        /* the same annotator in a second window (or scripted) got there first: their label
         * stands, and retrying this one could never succeed */
        if (self->unsaved == write) self->unsaved = NULL;
        forget_unsaved(self);
        rlhf_labeler_write_free(write);
        rlhf_labeler_window_toast(self, "You had already labeled this pair (in another window); that label was kept");
        if (!self->close_when_saved) rlhf_labeler_window_load_next(self);
        return;
    }
    if (!write->ok) {
        keep_unsaved(self, write);
        rlhf_labeler_window_update_actions(self);
        return;
    }
    gboolean was_unsaved = gtk_revealer_get_reveal_child(self->unsaved_revealer);
    if (self->unsaved == write) self->unsaved = NULL;
    forget_unsaved(self);
    if (was_unsaved) rlhf_labeler_window_toast(self, "Saved");
    remember(self, write);
    if (!self->close_when_saved) rlhf_labeler_window_load_next(self);
}

/* Main thread, when a write lands: hands it to undo_done or decision_done (which take it
 * over), then closes the window if that was waiting for the write. */
static void write_done(GObject *source, GAsyncResult *result, gpointer data) {
    RlhfLabelerWindow *self = RLHF_LABELER_WINDOW(source);
    LabelerWrite *write = data;
    g_task_propagate_boolean(G_TASK(result), NULL);
    if (self->stack == NULL) {
        /* The window was destroyed while the write ran: nothing left to show it in. */
        self->busy = FALSE;
        if (write != self->unsaved) rlhf_labeler_write_free(write);
        return;
    }
    rlhf_labeler_window_set_busy(self, FALSE);
    if (write->kind == LABELER_WRITE_UNDO) {
        undo_done(self, write);
        rlhf_labeler_write_free(write);
    } else {
        decision_done(self, write);
    }
    if (self->close_when_saved) {
        /* Closes now, or asks first if the decision could not be saved. */
        self->close_when_saved = FALSE;
        gtk_window_close(GTK_WINDOW(self));
    }
}

/* Runs write on a worker thread against the window's store and annotator; the window owns
 * write from here on and is busy until it lands. */
void rlhf_labeler_window_start_write(RlhfLabelerWindow *self, LabelerWrite *write) {
    write->db = self->db;
    write->db_device = self->db_file.st_dev;
    write->db_inode = self->db_file.st_ino;
    write->annotator_id = self->annotator_id;
    rlhf_labeler_window_set_busy(self, TRUE);
    rlhf_labeler_window_clear_retry(self);
    GTask *task = g_task_new(self, NULL, write_done, write);
    g_task_set_task_data(task, write, NULL);
    g_task_set_source_tag(task, rlhf_labeler_window_start_write);
    g_task_run_in_thread(task, write_thread);
    g_object_unref(task);
}

/* Seconds since the pair or task on screen appeared. */
static double seconds_since_shown(RlhfLabelerWindow *self) {
    return (double)(g_get_monotonic_time() - self->shown_at) / 1e6;
}

/* Submits the decision on screen (a complete pair draft, or the ranking) on a worker
 * thread; does nothing while a write is in flight or with nothing to submit. After a
 * failed write the time taken stays the first attempt's: it is the same decision. */
void rlhf_labeler_window_submit(RlhfLabelerWindow *self) {
    if (self->busy) return;
    LabelerWrite *write = g_new0(LabelerWrite, 1);
    if (rlhf_labeler_window_on_page(self, "pairs") && self->have_pair) {
        if (!rlhf_labeler_pair_view_get_can_submit(self->pair_view)) {
            g_free(write);
            return;
        }
        write->kind = LABELER_WRITE_COMPARISON;
        rlhf_labeler_pair_copy(&write->pair, &self->pair);
        write->choice = rlhf_labeler_pair_view_get_choice(self->pair_view);
        write->strength = rlhf_labeler_pair_view_get_strength(self->pair_view);
        write->flags = rlhf_labeler_pair_view_dup_flags(self->pair_view);
        const char *rationale = rlhf_labeler_pair_view_get_rationale(self->pair_view);
        char *trimmed = g_strstrip(g_strdup(rationale != NULL ? rationale : ""));
        write->rationale = trimmed[0] != '\0' ? trimmed : NULL;
        if (write->rationale == NULL) g_free(trimmed);
    } else if (rlhf_labeler_window_on_page(self, "ranking") && self->have_task) {
        write->kind = LABELER_WRITE_RANKING;
        rlhf_labeler_task_copy(&write->task, &self->task);
        write->best_first = rlhf_labeler_ranking_view_dup_order(self->ranking_view);
    } else {
        g_free(write);
        return;
    }
    gboolean same_item = self->unsaved != NULL && self->unsaved->kind == write->kind &&
                         (write->kind == LABELER_WRITE_COMPARISON
                              ? self->unsaved->pair.pair_id == write->pair.pair_id
                              : self->unsaved->task.prompt_id == write->task.prompt_id);
    write->seconds = same_item ? self->unsaved->seconds : seconds_since_shown(self);
    if (self->unsaved != NULL) {
        rlhf_labeler_write_free(self->unsaved);
        self->unsaved = NULL;
    }
    rlhf_labeler_window_start_write(self, write);
}

