/* RlhfLabelerWindow: the annotator's session on one store. This file holds the type, its
 * template, construction and what is on screen; labeler-window-saving.c writes decisions
 * and labeler-window-actions.c holds the actions and keys (labeler-window-private.h). */
#include "labeler-window-private.h"

#include <string.h>

/* ------------------------------------------------------------------ what is on screen */

/* Frees what pair holds and zeroes it (a cleared pair may be cleared again). */
void rlhf_labeler_pair_clear(LabelerPair *pair) {
    g_free(pair->prompt);
    g_free(pair->left_text);
    g_free(pair->right_text);
    memset(pair, 0, sizeof *pair);
}

/* Deep copy of from into to, whose old contents are not freed (clear it first). */
void rlhf_labeler_pair_copy(LabelerPair *to, const LabelerPair *from) {
    *to = *from;
    to->prompt = g_strdup(from->prompt);
    to->left_text = g_strdup(from->left_text);
    to->right_text = g_strdup(from->right_text);
}

/* Frees what task holds and zeroes it (a cleared task may be cleared again). */
void rlhf_labeler_task_clear(LabelerTask *task) {
    g_free(task->prompt);
    g_free(task->ids);
    g_strfreev(task->texts);
    memset(task, 0, sizeof *task);
}

/* Deep copy of from (its count ids and texts) into to, whose old contents are not freed. */
void rlhf_labeler_task_copy(LabelerTask *to, const LabelerTask *from) {
    *to = *from;
    to->prompt = g_strdup(from->prompt);
    /* count is a ranking's few completions; g_memdup2 aborts when out of memory, and gives
     * NULL for NULL */
    to->ids = g_memdup2(from->ids, sizeof(int64_t) * (gsize)from->count);
    to->texts = g_strdupv(from->texts);
}


/* ------------------------------------------------------------------ the window */

G_DEFINE_FINAL_TYPE(RlhfLabelerWindow, rlhf_labeler_window, ADW_TYPE_APPLICATION_WINDOW)

enum { PROP_0, PROP_MODE, PROP_MONOSPACE, PROP_PAGE, PROP_BUSY, N_PROPS };
static GParamSpec *properties[N_PROPS];

#define EMPTY_POLL_SECONDS 15

/* Shows text at the bottom of the window for a few seconds. */
void rlhf_labeler_window_toast(RlhfLabelerWindow *self, const char *text) {
    AdwToast *toast = adw_toast_new(text);
    adw_toast_set_timeout(toast, 3);
    adw_toast_overlay_add_toast(self->toast_overlay, toast);
}

/* The name of the page on screen: "start", "pairs", "ranking", "empty" or "problem". */
const char *rlhf_labeler_window_get_page(RlhfLabelerWindow *self) {
    g_return_val_if_fail(RLHF_IS_LABELER_WINDOW(self), NULL);
    return gtk_stack_get_visible_child_name(self->stack);
}

/* Whether the stack shows page ("start", "pairs", "ranking", "empty" or "problem"). */
gboolean rlhf_labeler_window_on_page(RlhfLabelerWindow *self, const char *page) {
    return g_strcmp0(rlhf_labeler_window_get_page(self), page) == 0;
}

/* Whether a session is open and idle: a store, an annotator, no save in flight. */
static gboolean session_ready(RlhfLabelerWindow *self) {
    return self->db != NULL && self->annotator_id > 0 && !self->busy;
}

/* Whether the pair on show can be labeled now. */
gboolean rlhf_labeler_window_pairs_ready(RlhfLabelerWindow *self) {
    return session_ready(self) && self->have_pair && rlhf_labeler_window_on_page(self, "pairs");
}

/* Whether the ranking on show can be labeled now. */
gboolean rlhf_labeler_window_ranking_ready(RlhfLabelerWindow *self) {
    return session_ready(self) && self->have_task && rlhf_labeler_window_on_page(self, "ranking");
}

/* Enables exactly the actions that make sense now. */
void rlhf_labeler_window_update_actions(RlhfLabelerWindow *self) {
    GtkWidget *widget = GTK_WIDGET(self);
    gboolean session = self->db != NULL && self->annotator_id > 0;
    gboolean ready = session_ready(self);
    gboolean pairs = rlhf_labeler_window_pairs_ready(self);
    gboolean ranking = rlhf_labeler_window_ranking_ready(self);
    gboolean settled = ready && self->unsaved == NULL;

    gtk_widget_action_set_enabled(widget, "labeler.choose", pairs);
    gtk_widget_action_set_enabled(widget, "labeler.strength", pairs);
    gtk_widget_action_set_enabled(widget, "labeler.strength-step", pairs);
    gtk_widget_action_set_enabled(widget, "labeler.flag", pairs);
    gtk_widget_action_set_enabled(widget, "labeler.flag-index", pairs);
    gtk_widget_action_set_enabled(widget, "labeler.clear", pairs);
    gtk_widget_action_set_enabled(widget, "labeler.focus-rationale", pairs);
    gtk_widget_action_set_enabled(widget, "labeler.key", pairs || ranking);
    gtk_widget_action_set_enabled(widget, "labeler.submit",
                                  (pairs && rlhf_labeler_pair_view_get_can_submit(self->pair_view)) || ranking);
    gtk_widget_action_set_enabled(widget, "labeler.rank-move", ranking);
    gtk_widget_action_set_enabled(widget, "labeler.rank-step", ranking);
    gtk_widget_action_set_enabled(widget, "labeler.undo", settled && !g_queue_is_empty(&self->history));
    gtk_widget_action_set_enabled(widget, "labeler.retry", ready && self->unsaved != NULL);
    gtk_widget_action_set_enabled(widget, "labeler.mode", settled);
    gtk_widget_action_set_enabled(widget, "labeler.reload", settled);
    gtk_widget_action_set_enabled(widget, "labeler.switch-annotator", settled);
    gtk_widget_set_visible(self->mode_box, session);
    gtk_widget_set_visible(self->undo_button, session);
}

/* Shows page, notifies "page" if it changed, stops polling an empty queue when leaving it,
 * and updates which actions are enabled. */
static void set_page(RlhfLabelerWindow *self, const char *page) {
    if (!rlhf_labeler_window_on_page(self, page)) {
        gtk_stack_set_visible_child_name(self->stack, page);
        g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_PAGE]);
    }
    if (g_strcmp0(page, "empty") != 0 && self->poll_source != 0) {
        g_source_remove(self->poll_source);
        self->poll_source = 0;
    }
    rlhf_labeler_window_update_actions(self);
}

/* Marks a write as in flight (or landed): locks the views' controls, updates the actions
 * and notifies "busy". */
void rlhf_labeler_window_set_busy(RlhfLabelerWindow *self, gboolean busy) {
    self->busy = busy;
    rlhf_labeler_pair_view_set_saving(self->pair_view, busy);
    rlhf_labeler_ranking_view_set_saving(self->ranking_view, busy);
    rlhf_labeler_window_update_actions(self);
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_BUSY]);
}

/* The header: who, how far, how much is left. */
void rlhf_labeler_window_update_progress(RlhfLabelerWindow *self) {
    if (self->db == NULL || self->annotator_id <= 0) {
        adw_window_title_set_title(self->window_title, "Labeler");
        adw_window_title_set_subtitle(self->window_title, self->db != NULL ? store_path(self->db) : "");
        gtk_window_set_title(GTK_WINDOW(self), "Labeler");
        gtk_widget_set_visible(GTK_WIDGET(self->progress_bar), FALSE);
        return;
    }
    store_queue_progress progress = {0};
    rlhf_error error = {{0}};
    if (store_queue_progress_for(self->db, self->annotator_id, &progress, &error) == 0) {
        self->done = progress.done;
        self->remaining = progress.remaining;
    }
    char *subtitle = g_strdup_printf("%s · %ld done · %ld in queue", self->annotator, self->done, self->remaining);
    adw_window_title_set_title(self->window_title, g_strcmp0(self->mode, "ranking") == 0 ? "Ranking" : "Labeling");
    adw_window_title_set_subtitle(self->window_title, subtitle);
    char *title = g_strdup_printf("Labeler — %ld done, %ld in queue", self->done, self->remaining);
    gtk_window_set_title(GTK_WINDOW(self), title);
    long total = self->done + self->remaining;
    gtk_progress_bar_set_fraction(self->progress_bar, total > 0 ? (double)self->done / (double)total : 1.0);
    char *accessible = g_strdup_printf("%ld of %ld labeled", self->done, total);
    gtk_accessible_update_property(GTK_ACCESSIBLE(self->progress_bar), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);
    gtk_widget_set_visible(GTK_WIDGET(self->progress_bar), TRUE);
    g_free(accessible);
    g_free(title);
    g_free(subtitle);
}

/* The problem page with title and message; can_retry shows its Reload button. */
static void show_problem(RlhfLabelerWindow *self, const char *title, const char *message, gboolean can_retry) {
    adw_status_page_set_title(self->problem_page, title);
    adw_status_page_set_description(self->problem_page, message);
    gtk_widget_set_visible(self->problem_button, can_retry);
    set_page(self, "problem");
}


/* Why the kept decision could not be saved, or NULL when none is waiting (owned by it). */
const char *rlhf_labeler_window_get_unsaved_error(RlhfLabelerWindow *self) {
    g_return_val_if_fail(RLHF_IS_LABELER_WINDOW(self), NULL);
    return self->unsaved != NULL ? self->unsaved->error : NULL;
}

/* ------------------------------------------------------------------ showing work */

/* Puts self->pair (which must be set) on the pairs page with an empty draft. */
void rlhf_labeler_window_show_pair(RlhfLabelerWindow *self) {
    rlhf_labeler_pair_view_set_pair(self->pair_view, self->pair.prompt, self->pair.left_text, self->pair.right_text);
    self->shown_at = g_get_monotonic_time();
    set_page(self, "pairs");
    /* Keys go to the choice, not to a rationale entry left focused by the last pair. */
    gtk_window_set_focus(GTK_WINDOW(self), NULL);
}

/* Puts self->task (which must be set) on the ranking page, its first response selected. */
void rlhf_labeler_window_show_task(RlhfLabelerWindow *self) {
    rlhf_labeler_ranking_view_set_task(self->ranking_view, self->task.prompt, self->task.ids,
                                       (const char *const *)self->task.texts, self->task.count);
    self->shown_at = g_get_monotonic_time();
    set_page(self, "ranking");
    rlhf_labeler_ranking_view_select(self->ranking_view, 0);
}

/* Every EMPTY_POLL_SECONDS while on the empty page: once nothing is being written, looks
 * for new work and stops (show_empty starts the next poll if there is still none). */
static gboolean poll_timeout(gpointer data) {
    RlhfLabelerWindow *self = data;
    if (!self->busy && self->unsaved == NULL && rlhf_labeler_window_on_page(self, "empty")) {
        self->poll_source = 0;
        rlhf_labeler_window_load_next(self);
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

/* The empty page for the current mode, with a button to the other mode, polling the
 * store for new work. */
static void show_empty(RlhfLabelerWindow *self) {
    gboolean ranking = g_strcmp0(self->mode, "ranking") == 0;
    if (ranking) {
        adw_status_page_set_title(self->empty_page, "Nothing to Rank");
        adw_status_page_set_description(self->empty_page,
                                        "Ranking shows prompts with three or more responses that you have not ranked "
                                        "yet. There are none right now.");
        gtk_button_set_label(self->empty_mode_button, "Compare Pairs");
        gtk_actionable_set_action_target(GTK_ACTIONABLE(self->empty_mode_button), "s", "pairs");
    } else {
        adw_status_page_set_title(self->empty_page, "All Done for Now");
        adw_status_page_set_description(self->empty_page,
                                        "There are no pairs waiting for you. Thank you! New pairs show up here as "
                                        "soon as they are added.");
        gtk_button_set_label(self->empty_mode_button, "Rank Responses");
        gtk_actionable_set_action_target(GTK_ACTIONABLE(self->empty_mode_button), "s", "ranking");
    }
    set_page(self, "empty");
    if (self->poll_source == 0) self->poll_source = g_timeout_add_seconds(EMPTY_POLL_SECONDS, poll_timeout, self);
}

/* Shows the annotator's next pair (or ranking task), or the empty page. */
void rlhf_labeler_window_load_next(RlhfLabelerWindow *self) {
    if (self->db == NULL || self->annotator_id <= 0) return;
    rlhf_error error = {{0}};
    bool found = false;
    if (g_strcmp0(self->mode, "ranking") == 0) {
        store_ranking_task task = {0};
        if (store_next_ranking_task(self->db, self->annotator_id, &task, &found, &error) != 0) {
            show_problem(self, "Cannot Read the Store", error.message, TRUE);
            return;
        }
        rlhf_labeler_task_clear(&self->task);
        self->have_task = found;
        if (found) {
            self->task.prompt_id = task.prompt_id;
            self->task.prompt = g_strdup(task.prompt);
            self->task.count = task.count;
            self->task.ids = g_new0(int64_t, task.count + 1);
            self->task.texts = g_new0(char *, task.count + 1);
            for (int i = 0; i < task.count; i++) {
                self->task.ids[i] = task.completion_ids[i];
                self->task.texts[i] = g_strdup(task.texts[i]);
            }
            /* Shown in a random order, as pairs are, so no position is favoured. */
            for (int i = task.count - 1; i > 0; i--) {
                int j = g_random_int_range(0, i + 1);
                int64_t id = self->task.ids[i];
                char *text = self->task.texts[i];
                self->task.ids[i] = self->task.ids[j];
                self->task.texts[i] = self->task.texts[j];
                self->task.ids[j] = id;
                self->task.texts[j] = text;
            }
            store_ranking_task_free(&task);
        }
    } else {
        store_pair pair = {0};
        if (store_next_pair(self->db, self->annotator_id, &pair, &found, &error) != 0) {
            show_problem(self, "Cannot Read the Store", error.message, TRUE);
            return;
        }
        rlhf_labeler_pair_clear(&self->pair);
        self->have_pair = found;
        if (found) {
            self->pair = (LabelerPair){
                .pair_id = pair.pair_id,
                .prompt_id = pair.prompt_id,
                .left_id = pair.left_completion_id,
                .right_id = pair.right_completion_id,
                .prompt = g_strdup(pair.prompt),
                .left_text = g_strdup(pair.left_text),
                .right_text = g_strdup(pair.right_text),
                .left_is_a = pair.left_is_a,
            };
            store_pair_free(&pair);
        }
    }
    rlhf_labeler_window_update_progress(self);
    if (!found)
        show_empty(self);
    else if (g_strcmp0(self->mode, "ranking") == 0)
        rlhf_labeler_window_show_task(self);
    else
        rlhf_labeler_window_show_pair(self);
}

/* The start page listing the store's annotators (or why they cannot be read), focused. */
void rlhf_labeler_window_show_start(RlhfLabelerWindow *self) {
    if (self->db != NULL) {
        store_annotator_info *annotators = NULL;
        int count = 0;
        rlhf_error error = {{0}};
        if (store_list_annotators(self->db, &annotators, &count, &error) == 0) {
            rlhf_labeler_start_page_set_annotators(self->start_page, annotators, count);
            store_annotators_free(annotators, count);
        } else {
            rlhf_labeler_start_page_set_error(self->start_page, error.message);
        }
    }
    set_page(self, "start");
    rlhf_labeler_window_update_progress(self);
    rlhf_labeler_start_page_focus(self->start_page);
}


/* ------------------------------------------------------------------ session */

/* Registers annotator (as --annotator does) and shows their first work; on failure the
 * start page says why and FALSE is returned. */
gboolean rlhf_labeler_window_start(RlhfLabelerWindow *self, const char *annotator) {
    g_return_val_if_fail(RLHF_IS_LABELER_WINDOW(self), FALSE);
    if (self->db == NULL) return FALSE;
    rlhf_error error = {{0}};
    int64_t id = 0;
    if (annotator == NULL || store_annotator(self->db, annotator, STORE_ANNOTATOR_HUMAN, &id, &error) != 0) {
        rlhf_labeler_start_page_set_name(self->start_page, annotator);
        rlhf_labeler_start_page_set_error(self->start_page,
                                          annotator == NULL ? "Type your name first." : error.message);
        rlhf_labeler_window_show_start(self);
        return FALSE;
    }
    g_free(self->annotator);
    self->annotator = g_strdup(annotator);
    self->annotator_id = id;
    rlhf_labeler_start_page_set_error(self->start_page, NULL);

    char **flags = NULL;
    int flag_count = 0;
    if (store_flag_kinds(self->db, &flags, &flag_count, &error) == 0) {
        rlhf_labeler_pair_view_set_flag_kinds(self->pair_view, (const char *const *)flags, flag_count);
        store_strings_free(flags, flag_count);
    } else {
        rlhf_labeler_pair_view_set_flag_kinds(self->pair_view, NULL, 0);
    }
    rlhf_labeler_window_load_next(self);
    return TRUE;
}

/* The start page's "annotator-chosen": starts labeling as name. */
static void annotator_chosen(RlhfLabelerStartPage *page, const char *name, RlhfLabelerWindow *self) {
    (void)page;
    rlhf_labeler_window_start(self, name);
}

/* The pair view's draft became (in)complete: Submit follows it. */
static void can_submit_changed(RlhfLabelerWindow *self) { rlhf_labeler_window_update_actions(self); }

/* ------------------------------------------------------------------ closing */

/* The unsaved-decision dialog's answer: close anyway, retry and close once saved, or stay. */
static void close_response(AdwMessageDialog *dialog, const char *response, RlhfLabelerWindow *self) {
    (void)dialog;
    if (g_strcmp0(response, "discard") == 0) {
        self->close_confirmed = TRUE;
        gtk_window_close(GTK_WINDOW(self));
    } else if (g_strcmp0(response, "retry") == 0) {
        self->close_when_saved = TRUE;
        gtk_widget_activate_action(GTK_WIDGET(self), "labeler.retry", NULL);
    }
}

/* Closing waits for a write in flight and asks before dropping an unsaved decision;
 * returns TRUE (stay open) in both cases. */
static gboolean rlhf_labeler_window_close_request(GtkWindow *window) {
    RlhfLabelerWindow *self = RLHF_LABELER_WINDOW(window);
    if (self->busy) {
        /* Closes once the write lands (or asks, if it fails). */
        self->close_when_saved = TRUE;
        return TRUE;
    }
    if (self->unsaved != NULL && !self->close_confirmed) {
        GtkWidget *dialog = adw_message_dialog_new(window, "Your Last Decision Is Not Saved", NULL);
        adw_message_dialog_format_body(ADW_MESSAGE_DIALOG(dialog),
                                       "It could not be written to the store: %s\n\nIf you close now, it is lost.",
                                       self->unsaved->error);
        adw_message_dialog_add_responses(ADW_MESSAGE_DIALOG(dialog), "cancel", "_Keep Open", "discard",
                                         "_Close Without Saving", "retry", "_Try Again", NULL);
        adw_message_dialog_set_response_appearance(ADW_MESSAGE_DIALOG(dialog), "discard", ADW_RESPONSE_DESTRUCTIVE);
        adw_message_dialog_set_response_appearance(ADW_MESSAGE_DIALOG(dialog), "retry", ADW_RESPONSE_SUGGESTED);
        adw_message_dialog_set_default_response(ADW_MESSAGE_DIALOG(dialog), "retry");
        adw_message_dialog_set_close_response(ADW_MESSAGE_DIALOG(dialog), "cancel");
        g_signal_connect(dialog, "response", G_CALLBACK(close_response), self);
        gtk_window_present(GTK_WINDOW(dialog));
        return TRUE;
    }
    return GTK_WINDOW_CLASS(rlhf_labeler_window_parent_class)->close_request(window);
}

/* ------------------------------------------------------------------ public */

/* A window on db (taken over: closed with the window), on its start page. */
RlhfLabelerWindow *rlhf_labeler_window_new(GtkApplication *application, store *db) {
    RlhfLabelerWindow *self = g_object_new(RLHF_TYPE_LABELER_WINDOW, "application", application, NULL);
    self->db = db;
    if (stat(store_path(db), &self->db_file) != 0) memset(&self->db_file, 0, sizeof self->db_file);
    rlhf_labeler_window_show_start(self);
    return self;
}

/* A window without a store that only shows title and message. */
RlhfLabelerWindow *rlhf_labeler_window_new_for_problem(GtkApplication *application, const char *title,
                                                       const char *message) {
    RlhfLabelerWindow *self = g_object_new(RLHF_TYPE_LABELER_WINDOW, "application", application, NULL);
    show_problem(self, title, message, FALSE);
    rlhf_labeler_window_update_progress(self);
    return self;
}

gboolean rlhf_labeler_window_get_busy(RlhfLabelerWindow *self) {
    g_return_val_if_fail(RLHF_IS_LABELER_WINDOW(self), FALSE);
    return self->busy;
}

int64_t rlhf_labeler_window_get_annotator_id(RlhfLabelerWindow *self) {
    g_return_val_if_fail(RLHF_IS_LABELER_WINDOW(self), 0);
    return self->annotator_id;
}

/* The pair on screen into the out pointers (each may be NULL; 0 / FALSE when none shown). */
gboolean rlhf_labeler_window_get_pair(RlhfLabelerWindow *self, int64_t *pair_id, int64_t *left_completion_id,
                                      int64_t *right_completion_id, gboolean *left_is_a) {
    g_return_val_if_fail(RLHF_IS_LABELER_WINDOW(self), FALSE);
    gboolean shown = self->have_pair && rlhf_labeler_window_on_page(self, "pairs");
    if (pair_id != NULL) *pair_id = shown ? self->pair.pair_id : 0;
    if (left_completion_id != NULL) *left_completion_id = shown ? self->pair.left_id : 0;
    if (right_completion_id != NULL) *right_completion_id = shown ? self->pair.right_id : 0;
    if (left_is_a != NULL) *left_is_a = shown && self->pair.left_is_a;
    return shown;
}

int64_t rlhf_labeler_window_get_ranking_prompt(RlhfLabelerWindow *self) {
    g_return_val_if_fail(RLHF_IS_LABELER_WINDOW(self), 0);
    return self->have_task && rlhf_labeler_window_on_page(self, "ranking") ? self->task.prompt_id : 0;
}

void rlhf_labeler_window_get_progress(RlhfLabelerWindow *self, long *done, long *remaining) {
    g_return_if_fail(RLHF_IS_LABELER_WINDOW(self));
    if (done != NULL) *done = self->done;
    if (remaining != NULL) *remaining = self->remaining;
}

const char *rlhf_labeler_window_get_mode(RlhfLabelerWindow *self) {
    g_return_val_if_fail(RLHF_IS_LABELER_WINDOW(self), NULL);
    return self->mode;
}

/* Switches between "pairs" and "ranking" and loads that mode's next work; ignored while a
 * write is in flight or a decision is unsaved. */
void rlhf_labeler_window_set_mode(RlhfLabelerWindow *self, const char *mode) {
    g_return_if_fail(RLHF_IS_LABELER_WINDOW(self));
    if (g_strcmp0(mode, "pairs") != 0 && g_strcmp0(mode, "ranking") != 0) {
        g_warning("unknown mode '%s'", mode);
        return;
    }
    if (g_strcmp0(self->mode, mode) == 0) return;
    if (self->busy || self->unsaved != NULL) return;
    rlhf_labeler_window_switch_mode(self, mode);
    if (self->annotator_id > 0) rlhf_labeler_window_load_next(self);
}

/* Sets the mode ("pairs" or "ranking") and notifies "mode" if it changed, loading nothing:
 * the caller puts the matching work on screen (an undo puts its decision back). */
void rlhf_labeler_window_switch_mode(RlhfLabelerWindow *self, const char *mode) {
    if (g_strcmp0(self->mode, mode) == 0) return;
    g_free(self->mode);
    self->mode = g_strdup(mode);
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_MODE]);
}

gboolean rlhf_labeler_window_get_monospace(RlhfLabelerWindow *self) {
    g_return_val_if_fail(RLHF_IS_LABELER_WINDOW(self), FALSE);
    return self->monospace;
}

/* Shows the responses in a monospace font (or not), notifying "monospace". */
void rlhf_labeler_window_set_monospace(RlhfLabelerWindow *self, gboolean monospace) {
    g_return_if_fail(RLHF_IS_LABELER_WINDOW(self));
    monospace = !!monospace;
    if (self->monospace == monospace) return;
    self->monospace = monospace;
    rlhf_labeler_pair_view_set_monospace(self->pair_view, monospace);
    rlhf_labeler_ranking_view_set_monospace(self->ranking_view, monospace);
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_MONOSPACE]);
}

RlhfLabelerStartPage *rlhf_labeler_window_get_start_page(RlhfLabelerWindow *self) {
    g_return_val_if_fail(RLHF_IS_LABELER_WINDOW(self), NULL);
    return self->start_page;
}

RlhfLabelerPairView *rlhf_labeler_window_get_pair_view(RlhfLabelerWindow *self) {
    g_return_val_if_fail(RLHF_IS_LABELER_WINDOW(self), NULL);
    return self->pair_view;
}

RlhfLabelerRankingView *rlhf_labeler_window_get_ranking_view(RlhfLabelerWindow *self) {
    g_return_val_if_fail(RLHF_IS_LABELER_WINDOW(self), NULL);
    return self->ranking_view;
}

/* ------------------------------------------------------------------ GObject */

static void rlhf_labeler_window_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec) {
    RlhfLabelerWindow *self = RLHF_LABELER_WINDOW(object);
    switch (prop_id) {
    case PROP_MODE: g_value_set_string(value, self->mode); break;
    case PROP_MONOSPACE: g_value_set_boolean(value, self->monospace); break;
    case PROP_PAGE: g_value_set_string(value, rlhf_labeler_window_get_page(self)); break;
    case PROP_BUSY: g_value_set_boolean(value, self->busy); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void rlhf_labeler_window_set_property(GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec) {
    RlhfLabelerWindow *self = RLHF_LABELER_WINDOW(object);
    switch (prop_id) {
    case PROP_MODE: rlhf_labeler_window_set_mode(self, g_value_get_string(value)); break;
    case PROP_MONOSPACE: rlhf_labeler_window_set_monospace(self, g_value_get_boolean(value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

/* Stops the timers (which point at the window) and drops the template's children. */
static void rlhf_labeler_window_dispose(GObject *object) {
    RlhfLabelerWindow *self = RLHF_LABELER_WINDOW(object);
    rlhf_labeler_window_clear_retry(self);
    if (self->poll_source != 0) {
        g_source_remove(self->poll_source);
        self->poll_source = 0;
    }
    gtk_widget_dispose_template(GTK_WIDGET(object), RLHF_TYPE_LABELER_WINDOW);
    G_OBJECT_CLASS(rlhf_labeler_window_parent_class)->dispose(object);
}

/* Frees the session and closes the store; no write can still be running. */
static void rlhf_labeler_window_finalize(GObject *object) {
    RlhfLabelerWindow *self = RLHF_LABELER_WINDOW(object);
    /* No write can be running: each holds a reference to the window. */
    rlhf_labeler_write_free(self->unsaved);
    g_queue_clear_full(&self->history, (GDestroyNotify)rlhf_labeler_write_free);
    rlhf_labeler_pair_clear(&self->pair);
    rlhf_labeler_task_clear(&self->task);
    g_free(self->annotator);
    g_free(self->mode);
    if (self->db != NULL) store_close(self->db);
    G_OBJECT_CLASS(rlhf_labeler_window_parent_class)->finalize(object);
}

static void rlhf_labeler_window_class_init(RlhfLabelerWindowClass *klass) {
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
    GtkWindowClass *window_class = GTK_WINDOW_CLASS(klass);

    object_class->get_property = rlhf_labeler_window_get_property;
    object_class->set_property = rlhf_labeler_window_set_property;
    object_class->dispose = rlhf_labeler_window_dispose;
    object_class->finalize = rlhf_labeler_window_finalize;
    window_class->close_request = rlhf_labeler_window_close_request;

    properties[PROP_MODE] = g_param_spec_string("mode", NULL, NULL, "pairs",
                                                G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
    properties[PROP_MONOSPACE] = g_param_spec_boolean(
        "monospace", NULL, NULL, FALSE, G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
    properties[PROP_PAGE] = g_param_spec_string("page", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    properties[PROP_BUSY] = g_param_spec_boolean("busy", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(object_class, N_PROPS, properties);

    g_type_ensure(RLHF_TYPE_LABELER_START_PAGE);
    g_type_ensure(RLHF_TYPE_LABELER_PAIR_VIEW);
    g_type_ensure(RLHF_TYPE_LABELER_RANKING_VIEW);
    gtk_widget_class_set_template_from_resource(widget_class, "/org/rlhf/Labeler/labeler-window.ui");
    gtk_widget_class_bind_template_child(widget_class, RlhfLabelerWindow, toast_overlay);
    gtk_widget_class_bind_template_child(widget_class, RlhfLabelerWindow, window_title);
    gtk_widget_class_bind_template_child(widget_class, RlhfLabelerWindow, mode_box);
    gtk_widget_class_bind_template_child(widget_class, RlhfLabelerWindow, undo_button);
    gtk_widget_class_bind_template_child(widget_class, RlhfLabelerWindow, progress_bar);
    gtk_widget_class_bind_template_child(widget_class, RlhfLabelerWindow, unsaved_revealer);
    gtk_widget_class_bind_template_child(widget_class, RlhfLabelerWindow, unsaved_label);
    gtk_widget_class_bind_template_child(widget_class, RlhfLabelerWindow, stack);
    gtk_widget_class_bind_template_child(widget_class, RlhfLabelerWindow, start_page);
    gtk_widget_class_bind_template_child(widget_class, RlhfLabelerWindow, pair_view);
    gtk_widget_class_bind_template_child(widget_class, RlhfLabelerWindow, ranking_view);
    gtk_widget_class_bind_template_child(widget_class, RlhfLabelerWindow, empty_page);
    gtk_widget_class_bind_template_child(widget_class, RlhfLabelerWindow, empty_mode_button);
    gtk_widget_class_bind_template_child(widget_class, RlhfLabelerWindow, problem_page);
    gtk_widget_class_bind_template_child(widget_class, RlhfLabelerWindow, problem_button);
    gtk_widget_class_bind_template_callback(widget_class, annotator_chosen);
    gtk_widget_class_bind_template_callback(widget_class, can_submit_changed);

    rlhf_labeler_window_class_add_actions(widget_class);
}

static void rlhf_labeler_window_init(RlhfLabelerWindow *self) {
    self->mode = g_strdup("pairs");
    g_queue_init(&self->history);
    gtk_widget_init_template(GTK_WIDGET(self));
    rlhf_labeler_window_add_navigation_keys(self);
    rlhf_labeler_window_update_actions(self);
}
