/* RlhfLabelerWindow: the labeling app's window. It owns one store connection and the
 * annotator's session: the start page, the labeling view for the next pair in their queue,
 * ranking mode, the empty-queue page, progress in the header, undo, and the safe writing of
 * every decision (committed before the next pair appears; a failed write is kept on screen,
 * reported in the window and retried, never dropped).
 *
 * Actions (group "labeler"; the key that triggers each in brackets):
 *   choose (s: "a" left, "tie", "b" right, "both-bad", "skip")   [1-5 when nothing chosen; ← a; → b]
 *   strength (i: 1..4, after a or b)                               [1-4 once a or b is chosen]
 *   strength-step (i: +1 stronger / -1 weaker)                     [↑ ↓]
 *   key (i: a digit: chooses, sets the strength, or in ranking mode moves the selected response to that rank) [1-9]
 *   flag (s: flag name), flag-index (i: 0-based)                   [Ctrl+1..9]
 *   clear                                                          [Esc: drop the strength / choice; leave the rationale]
 *   focus-rationale                                                [Ctrl+L]
 *   submit                                                         [Enter]
 *   undo: the last submitted label goes and its pair comes back   [Ctrl+Z]
 *   retry: writes the decision that failed to save again
 *   rank-move (ii: from, to, 0-based), rank-step (i: -1 up, +1 down, the selected response) [Alt+↑ Alt+↓]
 *   mode (s: "pairs" or "ranking"), monospace (b)                  [Ctrl+M for monospace]
 *   reload                                                         [F5]
 *   switch-annotator, about
 */
#pragma once

#include <adwaita.h>

#include "labeler-pair-view.h"
#include "labeler-ranking-view.h"
#include "labeler-start-page.h"
#include "rlhf/store.h"

G_BEGIN_DECLS

#define RLHF_TYPE_LABELER_WINDOW (rlhf_labeler_window_get_type())
G_DECLARE_FINAL_TYPE(RlhfLabelerWindow, rlhf_labeler_window, RLHF, LABELER_WINDOW, AdwApplicationWindow)

/* A window on an open store, which it takes (closed with the window). application may be
 * NULL. The window starts on the start page. */
RlhfLabelerWindow *rlhf_labeler_window_new(GtkApplication *application, store *db);
/* A window that can only say why there is no store (db could not be opened). */
RlhfLabelerWindow *rlhf_labeler_window_new_for_problem(GtkApplication *application, const char *title,
                                                       const char *message);

/* Starts labeling as annotator (created if new, as --annotator does). On failure the start
 * page shows why, with the name filled in, and FALSE is returned. */
gboolean rlhf_labeler_window_start(RlhfLabelerWindow *self, const char *annotator);

/* State, for the app and its tests. */
/* "start", "pairs", "ranking", "empty", "problem" */
const char *rlhf_labeler_window_get_page(RlhfLabelerWindow *self);
/* Whether a write is in flight. */
gboolean rlhf_labeler_window_get_busy(RlhfLabelerWindow *self);
/* The message of a decision that could not be saved and is waiting to be retried, or NULL. */
const char *rlhf_labeler_window_get_unsaved_error(RlhfLabelerWindow *self);
int64_t rlhf_labeler_window_get_annotator_id(RlhfLabelerWindow *self);
/* The pair on screen; FALSE when none. Any out pointer may be NULL. */
gboolean rlhf_labeler_window_get_pair(RlhfLabelerWindow *self, int64_t *pair_id, int64_t *left_completion_id,
                                      int64_t *right_completion_id, gboolean *left_is_a);
/* The prompt being ranked, or 0. */
int64_t rlhf_labeler_window_get_ranking_prompt(RlhfLabelerWindow *self);
/* What the header shows: labels done and pairs still in the queue. */
void rlhf_labeler_window_get_progress(RlhfLabelerWindow *self, long *done, long *remaining);
const char *rlhf_labeler_window_get_mode(RlhfLabelerWindow *self);
void rlhf_labeler_window_set_mode(RlhfLabelerWindow *self, const char *mode);
gboolean rlhf_labeler_window_get_monospace(RlhfLabelerWindow *self);
void rlhf_labeler_window_set_monospace(RlhfLabelerWindow *self, gboolean monospace);

RlhfLabelerStartPage *rlhf_labeler_window_get_start_page(RlhfLabelerWindow *self);
RlhfLabelerPairView *rlhf_labeler_window_get_pair_view(RlhfLabelerWindow *self);
RlhfLabelerRankingView *rlhf_labeler_window_get_ranking_view(RlhfLabelerWindow *self);

G_END_DECLS
