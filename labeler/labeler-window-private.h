/* RlhfLabelerWindow's insides, shared by the files that make up the window, as
 * gnome-text-editor's editor-window-private.h is: labeler-window.c (the type, its template,
 * construction and what is on screen), labeler-window-saving.c (writing decisions to the
 * store on a worker thread, undo, the decision that could not be saved) and
 * labeler-window-actions.c (the window's actions and keys). Nothing outside these three
 * includes it. */
#pragma once

#include <stdbool.h>
#include <sys/stat.h>

#include "labeler-decision.h"
#include "labeler-window.h"

G_BEGIN_DECLS

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

/* ------------------------------------------------------------------ writes */

/* One write to the store, run on a worker thread so the window stays responsive while
 * SQLite waits out another app's lock. A submitted decision keeps everything needed to
 * write it again (after a failure) and to put it back on screen (after an undo). */
typedef enum { LABELER_WRITE_COMPARISON, LABELER_WRITE_RANKING, LABELER_WRITE_UNDO } LabelerWriteKind;

typedef struct {
    LabelerWriteKind kind;
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

/* ------------------------------------------------------------------ shared within the window */

/* Each function's contract is at its definition. */

/* labeler-window.c: copies and state */
void rlhf_labeler_pair_clear(LabelerPair *pair);
void rlhf_labeler_pair_copy(LabelerPair *to, const LabelerPair *from);
void rlhf_labeler_task_clear(LabelerTask *task);
void rlhf_labeler_task_copy(LabelerTask *to, const LabelerTask *from);
gboolean rlhf_labeler_window_on_page(RlhfLabelerWindow *self, const char *page);
void rlhf_labeler_window_update_actions(RlhfLabelerWindow *self);
gboolean rlhf_labeler_window_pairs_ready(RlhfLabelerWindow *self);
gboolean rlhf_labeler_window_ranking_ready(RlhfLabelerWindow *self);
void rlhf_labeler_window_update_progress(RlhfLabelerWindow *self);
void rlhf_labeler_window_set_busy(RlhfLabelerWindow *self, gboolean busy);
void rlhf_labeler_window_toast(RlhfLabelerWindow *self, const char *text);
void rlhf_labeler_window_show_pair(RlhfLabelerWindow *self);
void rlhf_labeler_window_show_task(RlhfLabelerWindow *self);
void rlhf_labeler_window_show_start(RlhfLabelerWindow *self);
void rlhf_labeler_window_load_next(RlhfLabelerWindow *self);
void rlhf_labeler_window_switch_mode(RlhfLabelerWindow *self, const char *mode);

/* labeler-window-saving.c: writes, undo, the unsaved decision */
void rlhf_labeler_write_free(LabelerWrite *write);
void rlhf_labeler_window_submit(RlhfLabelerWindow *self);
void rlhf_labeler_window_start_write(RlhfLabelerWindow *self, LabelerWrite *write);
void rlhf_labeler_window_clear_retry(RlhfLabelerWindow *self);

/* labeler-window-actions.c: actions and keys */
void rlhf_labeler_window_class_add_actions(GtkWidgetClass *widget_class);
void rlhf_labeler_window_add_navigation_keys(RlhfLabelerWindow *self);

G_END_DECLS
