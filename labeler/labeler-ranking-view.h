/* RlhfLabelerRankingView: ranking mode (InstructGPT-style) for a prompt with K > 2
 * responses: the prompt, then the responses as a list the annotator orders best first, by
 * dragging, with each row's buttons, or from the keyboard (the window forwards Alt+Up /
 * Alt+Down and digits to move the selected response). */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define RLHF_TYPE_LABELER_RANKING_VIEW (rlhf_labeler_ranking_view_get_type())
G_DECLARE_FINAL_TYPE(RlhfLabelerRankingView, rlhf_labeler_ranking_view, RLHF, LABELER_RANKING_VIEW, GtkWidget)

/* Shows a task: the responses in the order given (the first is rank 1 until moved). */
void rlhf_labeler_ranking_view_set_task(RlhfLabelerRankingView *self, const char *prompt, const gint64 *completion_ids,
                                        const char *const *texts, int count);
int rlhf_labeler_ranking_view_get_count(RlhfLabelerRankingView *self);
/* The completion ids best first (count of them; free with g_free). */
gint64 *rlhf_labeler_ranking_view_dup_order(RlhfLabelerRankingView *self);
/* Puts the responses in this order (after an undo); ids not shown are ignored. */
void rlhf_labeler_ranking_view_set_order(RlhfLabelerRankingView *self, const gint64 *best_first, int count);

/* Moves the response at position from (0-based) to position to. FALSE if out of range. */
gboolean rlhf_labeler_ranking_view_move(RlhfLabelerRankingView *self, int from, int to);
/* The selected response's position, or -1; selecting also focuses it. */
int rlhf_labeler_ranking_view_get_selected(RlhfLabelerRankingView *self);
void rlhf_labeler_ranking_view_select(RlhfLabelerRankingView *self, int position);
/* Moves the selected response by delta places, or to a position (0-based). */
gboolean rlhf_labeler_ranking_view_move_selected(RlhfLabelerRankingView *self, int delta);
gboolean rlhf_labeler_ranking_view_move_selected_to(RlhfLabelerRankingView *self, int position);

void rlhf_labeler_ranking_view_set_monospace(RlhfLabelerRankingView *self, gboolean monospace);
void rlhf_labeler_ranking_view_set_saving(RlhfLabelerRankingView *self, gboolean saving);

G_END_DECLS
