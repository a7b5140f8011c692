/* RlhfLabelerWindow: the annotator's session on one store. */
#include "labeler-window.h"

#include <string.h>
#include <sys/stat.h>

#include "labeler-decision.h"

/* ------------------------------------------------------------------ what is on screen */

/* Copies of what the store handed out, so their lifetime is the window's business. */
typedef struct {
    int64_t pair_id, prompt_id, left_id, right_id;
    char *prompt, *left_text, *right_text;
    gboolean left_is_a;
} LabelerPair;

typedef struct {
    int64_t prompt_id;
    char *prompt;
    int count;
    int64_t *ids;
    char **texts;   /* NULL-terminated */
} LabelerTask;

static void labeler_pair_clear(LabelerPair *pair) {
    g_free(pair->prompt);
    g_free(pair->left_text);
    g_free(pair->right_text);
    memset(pair, 0, sizeof *pair);
}

static void labeler_pair_copy(LabelerPair *to, const LabelerPair *from) {
    *to = *from;
    to->prompt = g_strdup(from->prompt);
    to->left_text = g_strdup(from->left_text);
    to->right_text = g_strdup(from->right_text);
}

static void labeler_task_clear(LabelerTask *task) {
    g_free(task->prompt);
    g_free(task->ids);
    g_strfreev(task->texts);
    memset(task, 0, sizeof *task);
}

static void labeler_task_copy(LabelerTask *to, const LabelerTask *from) {
    *to = *from;
    to->prompt = g_strdup(from->prompt);
    to->ids = g_memdup2(from->ids, sizeof(int64_t) * (gsize)from->count);
    to->texts = g_strdupv(from->texts);
}

/* ------------------------------------------------------------------ writes */

/* One write to the store, run on a worker thread so the window stays responsive while
 * SQLite waits out another app's lock. A submitted decision keeps everything needed to
 * write it again (after a failure) and to put it back on screen (after an undo). */
typedef enum { WRITE_COMPARISON, WRITE_RANKING, WRITE_UNDO } WriteKind;

typedef struct {
    WriteKind kind;
    store *db;
    dev_t db_device;   /* the store file as opened: a write into a file that has since */
    ino_t db_inode;    /* been deleted or replaced would be lost, so it is refused */
    int64_t annotator_id;
    double seconds;
    /* a comparison: the pair as shown and the on-screen decision */
    LabelerPair pair;
    RlhfUiChoice choice;
    int strength;
    char **flags;
    char *rationale;
    /* a ranking */
    LabelerTask task;
    int64_t *best_first;
    /* results */
    gboolean ok;
    gboolean already_labeled; /* this annotator labeled the pair elsewhere first: nothing written */
    char *error;
    int64_t result_id;
    bool undone;
    /* an undo: the row this window wrote (its history's head) */
    int64_t undo_id;
    bool undo_ranking;
} LabelerWrite;

static void labeler_write_free(LabelerWrite *write) {
    if (write == NULL) return;
    labeler_pair_clear(&write->pair);
    labeler_task_clear(&write->task);
    g_strfreev(write->flags);
    g_free(write->rationale);
    g_free(write->best_first);
    g_free(write->error);
    g_free(write);
}

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
    case WRITE_COMPARISON: {
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
    case WRITE_RANKING:
        status = store_add_ranking(write->db, write->annotator_id, write->task.prompt_id, write->best_first,
                                   write->task.count, write->seconds, &write->result_id, &error);
        break;
    case WRITE_UNDO:
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

/* ------------------------------------------------------------------ the window */

struct _RlhfLabelerWindow {
    AdwApplicationWindow parent_instance;

    /* template children */
    AdwToastOverlay *toast_overlay;
    AdwWindowTitle *window_title;
    GtkWidget *mode_box;
    GtkWidget *undo_button;
    GtkProgressBar *progress_bar;
    GtkRevealer *unsaved_revealer;
    GtkLabel *unsaved_label;
    GtkStack *stack;
    RlhfLabelerStartPage *start_page;
    RlhfLabelerPairView *pair_view;
    RlhfLabelerRankingView *ranking_view;
    AdwStatusPage *empty_page;
    GtkButton *empty_mode_button;
    AdwStatusPage *problem_page;
    GtkWidget *problem_button;

    store *db;
    struct stat db_file;   /* the store file when opened */
    int64_t annotator_id;
    char *annotator;
    char *mode;
    gboolean monospace;

    LabelerPair pair;
    gboolean have_pair;
    LabelerTask task;
    gboolean have_task;
    gint64 shown_at;   /* monotonic microseconds when the pair or task appeared */

    long done, remaining;
    GQueue history;          /* LabelerWrite *, submitted decisions, most recent first */
    LabelerWrite *unsaved;   /* a decision whose write failed: kept, shown, retried */
    gboolean busy;
    guint retry_source;
    guint retry_delay;
    guint poll_source;
    gboolean close_when_saved;
    gboolean close_confirmed;
};

G_DEFINE_FINAL_TYPE(RlhfLabelerWindow, rlhf_labeler_window, ADW_TYPE_APPLICATION_WINDOW)

enum { PROP_0, PROP_MODE, PROP_MONOSPACE, PROP_PAGE, PROP_BUSY, N_PROPS };
static GParamSpec *properties[N_PROPS];

#define HISTORY_LIMIT 50
#define EMPTY_POLL_SECONDS 15
#define RETRY_FIRST_SECONDS 3
#define RETRY_MAX_SECONDS 60

static void load_next(RlhfLabelerWindow *self);
static void start_write(RlhfLabelerWindow *self, LabelerWrite *write);

static void toast(RlhfLabelerWindow *self, const char *text) {
    AdwToast *toast = adw_toast_new(text);
    adw_toast_set_timeout(toast, 3);
    adw_toast_overlay_add_toast(self->toast_overlay, toast);
}

const char *rlhf_labeler_window_get_page(RlhfLabelerWindow *self) {
    g_return_val_if_fail(RLHF_IS_LABELER_WINDOW(self), NULL);
    return gtk_stack_get_visible_child_name(self->stack);
}

static gboolean on_page(RlhfLabelerWindow *self, const char *page) {
    return g_strcmp0(rlhf_labeler_window_get_page(self), page) == 0;
}

/* Enables exactly the actions that make sense now. */
static void update_actions(RlhfLabelerWindow *self) {
    GtkWidget *widget = GTK_WIDGET(self);
    gboolean session = self->db != NULL && self->annotator_id > 0;
    gboolean ready = session && !self->busy;
    gboolean pairs = ready && self->have_pair && on_page(self, "pairs");
    gboolean ranking = ready && self->have_task && on_page(self, "ranking");
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

static void set_page(RlhfLabelerWindow *self, const char *page) {
    if (!on_page(self, page)) {
        gtk_stack_set_visible_child_name(self->stack, page);
        g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_PAGE]);
    }
    if (g_strcmp0(page, "empty") != 0 && self->poll_source != 0) {
        g_source_remove(self->poll_source);
        self->poll_source = 0;
    }
    update_actions(self);
}

static void set_busy(RlhfLabelerWindow *self, gboolean busy) {
    self->busy = busy;
    rlhf_labeler_pair_view_set_saving(self->pair_view, busy);
    rlhf_labeler_ranking_view_set_saving(self->ranking_view, busy);
    update_actions(self);
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_BUSY]);
}

/* The header: who, how far, how much is left. */
static void update_progress(RlhfLabelerWindow *self) {
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

static void show_problem(RlhfLabelerWindow *self, const char *title, const char *message, gboolean can_retry) {
    adw_status_page_set_title(self->problem_page, title);
    adw_status_page_set_description(self->problem_page, message);
    gtk_widget_set_visible(self->problem_button, can_retry);
    set_page(self, "problem");
}

/* ------------------------------------------------------------------ the unsaved decision */

static void clear_retry(RlhfLabelerWindow *self) {
    if (self->retry_source != 0) {
        g_source_remove(self->retry_source);
        self->retry_source = 0;
    }
}

static void forget_unsaved(RlhfLabelerWindow *self) {
    clear_retry(self);
    labeler_write_free(self->unsaved);
    self->unsaved = NULL;
    self->retry_delay = 0;
    gtk_revealer_set_reveal_child(self->unsaved_revealer, FALSE);
}

static gboolean retry_timeout(gpointer data) {
    RlhfLabelerWindow *self = data;
    self->retry_source = 0;
    if (self->unsaved != NULL && !self->busy) gtk_widget_activate_action(GTK_WIDGET(self), "labeler.retry", NULL);
    return G_SOURCE_REMOVE;
}

/* A decision could not be written: keep it, say so in the window, retry it later. */
static void keep_unsaved(RlhfLabelerWindow *self, LabelerWrite *write) {
    if (self->unsaved != write) {
        labeler_write_free(self->unsaved);
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
    clear_retry(self);
    self->retry_source = g_timeout_add_seconds(self->retry_delay, retry_timeout, self);
}

const char *rlhf_labeler_window_get_unsaved_error(RlhfLabelerWindow *self) {
    g_return_val_if_fail(RLHF_IS_LABELER_WINDOW(self), NULL);
    return self->unsaved != NULL ? self->unsaved->error : NULL;
}

/* ------------------------------------------------------------------ showing work */

static void show_pair(RlhfLabelerWindow *self) {
    rlhf_labeler_pair_view_set_pair(self->pair_view, self->pair.prompt, self->pair.left_text, self->pair.right_text);
    self->shown_at = g_get_monotonic_time();
    set_page(self, "pairs");
    /* Keys go to the choice, not to a rationale entry left focused by the last pair. */
    gtk_window_set_focus(GTK_WINDOW(self), NULL);
}

static void show_task(RlhfLabelerWindow *self) {
    rlhf_labeler_ranking_view_set_task(self->ranking_view, self->task.prompt, self->task.ids,
                                       (const char *const *)self->task.texts, self->task.count);
    self->shown_at = g_get_monotonic_time();
    set_page(self, "ranking");
    rlhf_labeler_ranking_view_select(self->ranking_view, 0);
}

static gboolean poll_timeout(gpointer data) {
    RlhfLabelerWindow *self = data;
    if (!self->busy && self->unsaved == NULL && on_page(self, "empty")) {
        self->poll_source = 0;
        load_next(self);
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

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
static void load_next(RlhfLabelerWindow *self) {
    if (self->db == NULL || self->annotator_id <= 0) return;
    rlhf_error error = {{0}};
    bool found = false;
    if (g_strcmp0(self->mode, "ranking") == 0) {
        store_ranking_task task = {0};
        if (store_next_ranking_task(self->db, self->annotator_id, &task, &found, &error) != 0) {
            show_problem(self, "Cannot Read the Store", error.message, TRUE);
            return;
        }
        labeler_task_clear(&self->task);
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
        labeler_pair_clear(&self->pair);
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
    update_progress(self);
    if (!found)
        show_empty(self);
    else if (g_strcmp0(self->mode, "ranking") == 0)
        show_task(self);
    else
        show_pair(self);
}

/* ------------------------------------------------------------------ writing */

static void remember(RlhfLabelerWindow *self, LabelerWrite *write) {
    g_queue_push_head(&self->history, write);
    while (g_queue_get_length(&self->history) > HISTORY_LIMIT)
        labeler_write_free(g_queue_pop_tail(&self->history));
}

static void restore(RlhfLabelerWindow *self, LabelerWrite *write) {
    if (write->kind == WRITE_COMPARISON) {
        if (g_strcmp0(self->mode, "pairs") != 0) {
            g_free(self->mode);
            self->mode = g_strdup("pairs");
            g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_MODE]);
        }
        labeler_pair_clear(&self->pair);
        labeler_pair_copy(&self->pair, &write->pair);
        self->have_pair = TRUE;
        show_pair(self);
        rlhf_labeler_pair_view_set_draft(self->pair_view, write->choice, write->strength,
                                         (const char *const *)write->flags, write->rationale);
    } else {
        if (g_strcmp0(self->mode, "ranking") != 0) {
            g_free(self->mode);
            self->mode = g_strdup("ranking");
            g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_MODE]);
        }
        labeler_task_clear(&self->task);
        labeler_task_copy(&self->task, &write->task);
        self->have_task = TRUE;
        show_task(self);
        rlhf_labeler_ranking_view_set_order(self->ranking_view, write->best_first, write->task.count);
    }
    update_progress(self);
    update_actions(self);
}

static void undo_done(RlhfLabelerWindow *self, LabelerWrite *write) {
    if (!write->ok) {
        char *text = g_strdup_printf("Could not undo: %s", write->error);
        toast(self, text);
        g_free(text);
        return;
    }
    LabelerWrite *last = g_queue_pop_head(&self->history); /* action_undo undid this head */
    if (!write->undone) {
        /* someone removed that row already (nothing was deleted now) */
        labeler_write_free(last);
        toast(self, "That label was already removed from the store");
        update_actions(self);
        return;
    }
    restore(self, last);
    labeler_write_free(last);
    toast(self, "Last label undone");
}

/* A decision's write finished: on success it joins the undo history and the next pair
 * appears; on failure it stays on screen, reported and retried. */
static void decision_done(RlhfLabelerWindow *self, LabelerWrite *write) {
    if (write->already_labeled) {
        /* the same annotator in a second window (or scripted) got there first: their label
         * stands, and retrying this one could never succeed */
        if (self->unsaved == write) self->unsaved = NULL;
        forget_unsaved(self);
        labeler_write_free(write);
        toast(self, "You had already labeled this pair (in another window); that label was kept");
        if (!self->close_when_saved) load_next(self);
        return;
    }
    if (!write->ok) {
        keep_unsaved(self, write);
        update_actions(self);
        return;
    }
    gboolean was_unsaved = gtk_revealer_get_reveal_child(self->unsaved_revealer);
    if (self->unsaved == write) self->unsaved = NULL;
    forget_unsaved(self);
    if (was_unsaved) toast(self, "Saved");
    remember(self, write);
    if (!self->close_when_saved) load_next(self);
}

static void write_done(GObject *source, GAsyncResult *result, gpointer data) {
    RlhfLabelerWindow *self = RLHF_LABELER_WINDOW(source);
    LabelerWrite *write = data;
    g_task_propagate_boolean(G_TASK(result), NULL);
    if (self->stack == NULL) {
        /* The window was destroyed while the write ran: nothing left to show it in. */
        self->busy = FALSE;
        if (write != self->unsaved) labeler_write_free(write);
        return;
    }
    set_busy(self, FALSE);
    if (write->kind == WRITE_UNDO) {
        undo_done(self, write);
        labeler_write_free(write);
    } else {
        decision_done(self, write);
    }
    if (self->close_when_saved) {
        /* Closes now, or asks first if the decision could not be saved. */
        self->close_when_saved = FALSE;
        gtk_window_close(GTK_WINDOW(self));
    }
}

static void start_write(RlhfLabelerWindow *self, LabelerWrite *write) {
    write->db = self->db;
    write->db_device = self->db_file.st_dev;
    write->db_inode = self->db_file.st_ino;
    write->annotator_id = self->annotator_id;
    set_busy(self, TRUE);
    clear_retry(self);
    GTask *task = g_task_new(self, NULL, write_done, write);
    g_task_set_task_data(task, write, NULL);
    g_task_set_source_tag(task, start_write);
    g_task_run_in_thread(task, write_thread);
    g_object_unref(task);
}

static double seconds_since_shown(RlhfLabelerWindow *self) {
    return (double)(g_get_monotonic_time() - self->shown_at) / 1e6;
}

/* Submits the decision on screen. After a failed write the time taken stays the first
 * attempt's: it is the same decision. */
static void submit(RlhfLabelerWindow *self) {
    if (self->busy) return;
    LabelerWrite *write = g_new0(LabelerWrite, 1);
    if (on_page(self, "pairs") && self->have_pair) {
        if (!rlhf_labeler_pair_view_get_can_submit(self->pair_view)) {
            g_free(write);
            return;
        }
        write->kind = WRITE_COMPARISON;
        labeler_pair_copy(&write->pair, &self->pair);
        write->choice = rlhf_labeler_pair_view_get_choice(self->pair_view);
        write->strength = rlhf_labeler_pair_view_get_strength(self->pair_view);
        write->flags = rlhf_labeler_pair_view_dup_flags(self->pair_view);
        const char *rationale = rlhf_labeler_pair_view_get_rationale(self->pair_view);
        char *trimmed = g_strstrip(g_strdup(rationale != NULL ? rationale : ""));
        write->rationale = trimmed[0] != '\0' ? trimmed : NULL;
        if (write->rationale == NULL) g_free(trimmed);
    } else if (on_page(self, "ranking") && self->have_task) {
        write->kind = WRITE_RANKING;
        labeler_task_copy(&write->task, &self->task);
        write->best_first = rlhf_labeler_ranking_view_dup_order(self->ranking_view);
    } else {
        g_free(write);
        return;
    }
    gboolean same_item = self->unsaved != NULL && self->unsaved->kind == write->kind &&
                         (write->kind == WRITE_COMPARISON ? self->unsaved->pair.pair_id == write->pair.pair_id
                                                          : self->unsaved->task.prompt_id == write->task.prompt_id);
    write->seconds = same_item ? self->unsaved->seconds : seconds_since_shown(self);
    if (self->unsaved != NULL) {
        labeler_write_free(self->unsaved);
        self->unsaved = NULL;
    }
    start_write(self, write);
}

/* ------------------------------------------------------------------ actions */

static void action_choose(GtkWidget *widget, const char *name, GVariant *parameter) {
    (void)name;
    RlhfLabelerWindow *self = RLHF_LABELER_WINDOW(widget);
    RlhfUiChoice choice;
    if (rlhf_ui_choice_from_string(g_variant_get_string(parameter, NULL), &choice))
        rlhf_labeler_pair_view_set_choice(self->pair_view, choice);
}

static void action_strength(GtkWidget *widget, const char *name, GVariant *parameter) {
    (void)name;
    rlhf_labeler_pair_view_set_strength(RLHF_LABELER_WINDOW(widget)->pair_view, g_variant_get_int32(parameter));
}

static void action_strength_step(GtkWidget *widget, const char *name, GVariant *parameter) {
    (void)name;
    rlhf_labeler_pair_view_step_strength(RLHF_LABELER_WINDOW(widget)->pair_view, g_variant_get_int32(parameter));
}

static void action_key(GtkWidget *widget, const char *name, GVariant *parameter) {
    (void)name;
    RlhfLabelerWindow *self = RLHF_LABELER_WINDOW(widget);
    int digit = g_variant_get_int32(parameter);
    if (on_page(self, "ranking"))
        rlhf_labeler_ranking_view_move_selected_to(self->ranking_view, digit - 1);
    else
        rlhf_labeler_pair_view_press_digit(self->pair_view, digit);
}

static void action_flag(GtkWidget *widget, const char *name, GVariant *parameter) {
    (void)name;
    rlhf_labeler_pair_view_toggle_flag(RLHF_LABELER_WINDOW(widget)->pair_view, g_variant_get_string(parameter, NULL));
}

static void action_flag_index(GtkWidget *widget, const char *name, GVariant *parameter) {
    (void)name;
    rlhf_labeler_pair_view_toggle_flag_index(RLHF_LABELER_WINDOW(widget)->pair_view, g_variant_get_int32(parameter));
}

static void action_clear(GtkWidget *widget, const char *name, GVariant *parameter) {
    (void)name;
    (void)parameter;
    RlhfLabelerWindow *self = RLHF_LABELER_WINDOW(widget);
    if (rlhf_labeler_pair_view_rationale_has_focus(self->pair_view))
        gtk_window_set_focus(GTK_WINDOW(self), NULL);
    else
        rlhf_labeler_pair_view_step_back(self->pair_view);
}

static void action_focus_rationale(GtkWidget *widget, const char *name, GVariant *parameter) {
    (void)name;
    (void)parameter;
    rlhf_labeler_pair_view_focus_rationale(RLHF_LABELER_WINDOW(widget)->pair_view);
}

static void action_submit(GtkWidget *widget, const char *name, GVariant *parameter) {
    (void)name;
    (void)parameter;
    submit(RLHF_LABELER_WINDOW(widget));
}

/* Tries the unsaved decision again, as it is on screen now: the annotator may have changed
 * it since the write failed, and what they see is what is stored (submit keeps the first
 * attempt's time taken). A draft that cannot be submitted yet waits for Enter. */
static void action_retry(GtkWidget *widget, const char *name, GVariant *parameter) {
    (void)name;
    (void)parameter;
    RlhfLabelerWindow *self = RLHF_LABELER_WINDOW(widget);
    if (self->unsaved == NULL || self->busy) return;
    if (on_page(self, "pairs") && !rlhf_labeler_pair_view_get_can_submit(self->pair_view)) {
        /* the draft was taken apart since: no retry can run until it is whole again */
        clear_retry(self);
        char *text = g_strdup_printf("Your last decision is not saved yet: %s. Finish the decision and press Enter "
                                     "to save it.", self->unsaved->error);
        gtk_label_set_text(self->unsaved_label, text);
        g_free(text);
        return;
    }
    submit(self);
}

static void action_undo(GtkWidget *widget, const char *name, GVariant *parameter) {
    (void)name;
    (void)parameter;
    RlhfLabelerWindow *self = RLHF_LABELER_WINDOW(widget);
    LabelerWrite *last = g_queue_peek_head(&self->history);
    if (self->busy || self->unsaved != NULL || self->annotator_id <= 0 || last == NULL) return;
    /* this window's own last label, by its row: never another window's or session's */
    LabelerWrite *write = g_new0(LabelerWrite, 1);
    write->kind = WRITE_UNDO;
    write->undo_id = last->result_id;
    write->undo_ranking = last->kind == WRITE_RANKING;
    start_write(self, write);
}

static void action_rank_move(GtkWidget *widget, const char *name, GVariant *parameter) {
    (void)name;
    gint32 from, to;
    g_variant_get(parameter, "(ii)", &from, &to);
    RlhfLabelerWindow *self = RLHF_LABELER_WINDOW(widget);
    if (rlhf_labeler_ranking_view_move(self->ranking_view, from, to))
        rlhf_labeler_ranking_view_select(self->ranking_view, to);
}

static void action_rank_step(GtkWidget *widget, const char *name, GVariant *parameter) {
    (void)name;
    rlhf_labeler_ranking_view_move_selected(RLHF_LABELER_WINDOW(widget)->ranking_view, g_variant_get_int32(parameter));
}

static void action_reload(GtkWidget *widget, const char *name, GVariant *parameter) {
    (void)name;
    (void)parameter;
    load_next(RLHF_LABELER_WINDOW(widget));
}

static void show_start(RlhfLabelerWindow *self) {
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
    update_progress(self);
    rlhf_labeler_start_page_focus(self->start_page);
}

static void action_switch_annotator(GtkWidget *widget, const char *name, GVariant *parameter) {
    (void)name;
    (void)parameter;
    RlhfLabelerWindow *self = RLHF_LABELER_WINDOW(widget);
    self->annotator_id = 0;
    g_clear_pointer(&self->annotator, g_free);
    labeler_pair_clear(&self->pair);
    labeler_task_clear(&self->task);
    self->have_pair = self->have_task = FALSE;
    g_queue_clear_full(&self->history, (GDestroyNotify)labeler_write_free);
    rlhf_labeler_start_page_set_name(self->start_page, NULL);
    rlhf_labeler_start_page_set_error(self->start_page, NULL);
    show_start(self);
}

static void action_about(GtkWidget *widget, const char *name, GVariant *parameter) {
    (void)name;
    (void)parameter;
    GtkWidget *about = adw_about_window_new();
    g_object_set(about, "transient-for", widget, "modal", TRUE, "application-name", "Labeler", "application-icon",
                 "document-edit-symbolic", "version", RLHF_VERSION, "developer-name", "The rlhf authors",
                 "comments",
                 "Compare and rank model responses. Every decision is saved to the preference store as you go.",
                 "license-type", GTK_LICENSE_MIT_X11, NULL);
    gtk_window_present(GTK_WINDOW(about));
}

/* Arrow keys and Enter: GtkWindow binds them itself (focus movement, the default widget),
 * so they are caught before it, in the capture phase, and only when they mean a choice:
 * never inside a text entry, nor Up/Down inside the ranking list. */
static gboolean focus_wants_keys(RlhfLabelerWindow *self, gboolean vertical) {
    GtkWidget *focus = gtk_root_get_focus(GTK_ROOT(self));
    if (focus == NULL) return FALSE;
    if (GTK_IS_EDITABLE(focus) || GTK_IS_TEXT_VIEW(focus)) return TRUE;
    for (GtkWidget *w = focus; w != NULL; w = gtk_widget_get_parent(w))
        if (GTK_IS_EDITABLE(w) || (vertical && GTK_IS_LIST_BOX(w)) || GTK_IS_POPOVER(w)) return TRUE;
    return FALSE;
}

static gboolean navigation_key(GtkWidget *widget, GVariant *args, gpointer data) {
    (void)data;
    RlhfLabelerWindow *self = RLHF_LABELER_WINDOW(widget);
    const char *key = g_variant_get_string(args, NULL);
    gboolean pairs = self->have_pair && on_page(self, "pairs") && !self->busy && self->annotator_id > 0;
    gboolean ranking = self->have_task && on_page(self, "ranking") && !self->busy && self->annotator_id > 0;
    if (strcmp(key, "enter") == 0) {
        if (focus_wants_keys(self, FALSE) && !rlhf_labeler_pair_view_rationale_has_focus(self->pair_view)) return FALSE;
        if (ranking || (pairs && rlhf_labeler_pair_view_get_can_submit(self->pair_view))) {
            submit(self);
            return TRUE;
        }
        return pairs;   /* an incomplete decision: swallow Enter rather than press a button */
    }
    if (!pairs || focus_wants_keys(self, TRUE)) return FALSE;
    if (strcmp(key, "left") == 0) {
        rlhf_labeler_pair_view_set_choice(self->pair_view, RLHF_UI_CHOICE_A);
        return TRUE;
    }
    if (strcmp(key, "right") == 0) {
        rlhf_labeler_pair_view_set_choice(self->pair_view, RLHF_UI_CHOICE_B);
        return TRUE;
    }
    if (strcmp(key, "up") == 0) return rlhf_labeler_pair_view_step_strength(self->pair_view, 1);
    if (strcmp(key, "down") == 0) return rlhf_labeler_pair_view_step_strength(self->pair_view, -1);
    return FALSE;
}

static void add_navigation_keys(RlhfLabelerWindow *self) {
    static const struct {
        guint keyval;
        const char *key;
    } keys[] = {
        {GDK_KEY_Return, "enter"}, {GDK_KEY_KP_Enter, "enter"}, {GDK_KEY_ISO_Enter, "enter"},
        {GDK_KEY_Left, "left"},    {GDK_KEY_KP_Left, "left"},   {GDK_KEY_Right, "right"},
        {GDK_KEY_KP_Right, "right"}, {GDK_KEY_Up, "up"},        {GDK_KEY_KP_Up, "up"},
        {GDK_KEY_Down, "down"},    {GDK_KEY_KP_Down, "down"},
    };
    GtkEventController *controller = gtk_shortcut_controller_new();
    gtk_event_controller_set_name(controller, "labeler-navigation-keys");
    gtk_event_controller_set_propagation_phase(controller, GTK_PHASE_CAPTURE);
    for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
        GtkShortcut *shortcut = gtk_shortcut_new(gtk_keyval_trigger_new(keys[i].keyval, 0),
                                                 gtk_callback_action_new(navigation_key, NULL, NULL));
        gtk_shortcut_set_arguments(shortcut, g_variant_new_string(keys[i].key));
        gtk_shortcut_controller_add_shortcut(GTK_SHORTCUT_CONTROLLER(controller), shortcut);
    }
    gtk_widget_add_controller(GTK_WIDGET(self), controller);
}

/* ------------------------------------------------------------------ session */

gboolean rlhf_labeler_window_start(RlhfLabelerWindow *self, const char *annotator) {
    g_return_val_if_fail(RLHF_IS_LABELER_WINDOW(self), FALSE);
    if (self->db == NULL) return FALSE;
    rlhf_error error = {{0}};
    int64_t id = 0;
    if (annotator == NULL || store_annotator(self->db, annotator, STORE_ANNOTATOR_HUMAN, &id, &error) != 0) {
        rlhf_labeler_start_page_set_name(self->start_page, annotator);
        rlhf_labeler_start_page_set_error(self->start_page,
                                          annotator == NULL ? "Type your name first." : error.message);
        show_start(self);
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
    load_next(self);
    return TRUE;
}

static void annotator_chosen(RlhfLabelerStartPage *page, const char *name, RlhfLabelerWindow *self) {
    (void)page;
    rlhf_labeler_window_start(self, name);
}

static void can_submit_changed(RlhfLabelerWindow *self) { update_actions(self); }

/* ------------------------------------------------------------------ closing */

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

RlhfLabelerWindow *rlhf_labeler_window_new(GtkApplication *application, store *db) {
    RlhfLabelerWindow *self = g_object_new(RLHF_TYPE_LABELER_WINDOW, "application", application, NULL);
    self->db = db;
    if (stat(store_path(db), &self->db_file) != 0) memset(&self->db_file, 0, sizeof self->db_file);
    show_start(self);
    return self;
}

RlhfLabelerWindow *rlhf_labeler_window_new_for_problem(GtkApplication *application, const char *title,
                                                       const char *message) {
    RlhfLabelerWindow *self = g_object_new(RLHF_TYPE_LABELER_WINDOW, "application", application, NULL);
    show_problem(self, title, message, FALSE);
    update_progress(self);
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

gboolean rlhf_labeler_window_get_pair(RlhfLabelerWindow *self, int64_t *pair_id, int64_t *left_completion_id,
                                      int64_t *right_completion_id, gboolean *left_is_a) {
    g_return_val_if_fail(RLHF_IS_LABELER_WINDOW(self), FALSE);
    gboolean shown = self->have_pair && on_page(self, "pairs");
    if (pair_id != NULL) *pair_id = shown ? self->pair.pair_id : 0;
    if (left_completion_id != NULL) *left_completion_id = shown ? self->pair.left_id : 0;
    if (right_completion_id != NULL) *right_completion_id = shown ? self->pair.right_id : 0;
    if (left_is_a != NULL) *left_is_a = shown && self->pair.left_is_a;
    return shown;
}

int64_t rlhf_labeler_window_get_ranking_prompt(RlhfLabelerWindow *self) {
    g_return_val_if_fail(RLHF_IS_LABELER_WINDOW(self), 0);
    return self->have_task && on_page(self, "ranking") ? self->task.prompt_id : 0;
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

void rlhf_labeler_window_set_mode(RlhfLabelerWindow *self, const char *mode) {
    g_return_if_fail(RLHF_IS_LABELER_WINDOW(self));
    if (g_strcmp0(mode, "pairs") != 0 && g_strcmp0(mode, "ranking") != 0) {
        g_warning("unknown mode '%s'", mode);
        return;
    }
    if (g_strcmp0(self->mode, mode) == 0) return;
    if (self->busy || self->unsaved != NULL) return;
    g_free(self->mode);
    self->mode = g_strdup(mode);
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_MODE]);
    if (self->annotator_id > 0) load_next(self);
}

gboolean rlhf_labeler_window_get_monospace(RlhfLabelerWindow *self) {
    g_return_val_if_fail(RLHF_IS_LABELER_WINDOW(self), FALSE);
    return self->monospace;
}

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

static void rlhf_labeler_window_dispose(GObject *object) {
    RlhfLabelerWindow *self = RLHF_LABELER_WINDOW(object);
    clear_retry(self);
    if (self->poll_source != 0) {
        g_source_remove(self->poll_source);
        self->poll_source = 0;
    }
    gtk_widget_dispose_template(GTK_WIDGET(object), RLHF_TYPE_LABELER_WINDOW);
    G_OBJECT_CLASS(rlhf_labeler_window_parent_class)->dispose(object);
}

static void rlhf_labeler_window_finalize(GObject *object) {
    RlhfLabelerWindow *self = RLHF_LABELER_WINDOW(object);
    /* No write can be running: each holds a reference to the window. */
    labeler_write_free(self->unsaved);
    g_queue_clear_full(&self->history, (GDestroyNotify)labeler_write_free);
    labeler_pair_clear(&self->pair);
    labeler_task_clear(&self->task);
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

    gtk_widget_class_install_action(widget_class, "labeler.choose", "s", action_choose);
    gtk_widget_class_install_action(widget_class, "labeler.strength", "i", action_strength);
    gtk_widget_class_install_action(widget_class, "labeler.strength-step", "i", action_strength_step);
    gtk_widget_class_install_action(widget_class, "labeler.key", "i", action_key);
    gtk_widget_class_install_action(widget_class, "labeler.flag", "s", action_flag);
    gtk_widget_class_install_action(widget_class, "labeler.flag-index", "i", action_flag_index);
    gtk_widget_class_install_action(widget_class, "labeler.clear", NULL, action_clear);
    gtk_widget_class_install_action(widget_class, "labeler.focus-rationale", NULL, action_focus_rationale);
    gtk_widget_class_install_action(widget_class, "labeler.submit", NULL, action_submit);
    gtk_widget_class_install_action(widget_class, "labeler.retry", NULL, action_retry);
    gtk_widget_class_install_action(widget_class, "labeler.undo", NULL, action_undo);
    gtk_widget_class_install_action(widget_class, "labeler.rank-move", "(ii)", action_rank_move);
    gtk_widget_class_install_action(widget_class, "labeler.rank-step", "i", action_rank_step);
    gtk_widget_class_install_action(widget_class, "labeler.reload", NULL, action_reload);
    gtk_widget_class_install_action(widget_class, "labeler.switch-annotator", NULL, action_switch_annotator);
    gtk_widget_class_install_action(widget_class, "labeler.about", NULL, action_about);
    gtk_widget_class_install_property_action(widget_class, "labeler.mode", "mode");
    gtk_widget_class_install_property_action(widget_class, "labeler.monospace", "monospace");

    /* Keys. Digits reach the window only when no text entry takes them; arrows and Enter
     * are routed in add_navigation_keys(). */
    for (int digit = 1; digit <= 9; digit++) {
        gtk_widget_class_add_binding_action(widget_class, GDK_KEY_0 + digit, 0, "labeler.key", "i", digit);
        gtk_widget_class_add_binding_action(widget_class, GDK_KEY_KP_0 + digit, 0, "labeler.key", "i", digit);
        gtk_widget_class_add_binding_action(widget_class, GDK_KEY_0 + digit, GDK_CONTROL_MASK, "labeler.flag-index",
                                            "i", digit - 1);
    }
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_Escape, 0, "labeler.clear", NULL);
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_z, GDK_CONTROL_MASK, "labeler.undo", NULL);
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_m, GDK_CONTROL_MASK, "labeler.monospace", NULL);
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_l, GDK_CONTROL_MASK, "labeler.focus-rationale", NULL);
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_Up, GDK_ALT_MASK, "labeler.rank-step", "i", -1);
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_Down, GDK_ALT_MASK, "labeler.rank-step", "i", 1);
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_F5, 0, "labeler.reload", NULL);
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_w, GDK_CONTROL_MASK, "window.close", NULL);
}

static void rlhf_labeler_window_init(RlhfLabelerWindow *self) {
    self->mode = g_strdup("pairs");
    g_queue_init(&self->history);
    gtk_widget_init_template(GTK_WIDGET(self));
    add_navigation_keys(self);
    update_actions(self);
}
