/* RlhfLabelerRankingRow: one response in ranking mode: its rank, its text, buttons to move
 * it up or down, and a drag handle (the whole row drags and accepts drops). */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define RLHF_TYPE_LABELER_RANKING_ROW (rlhf_labeler_ranking_row_get_type())
G_DECLARE_FINAL_TYPE(RlhfLabelerRankingRow, rlhf_labeler_ranking_row, RLHF, LABELER_RANKING_ROW, GtkListBoxRow)

/* Signals: "move-requested" (int delta: -1 up, +1 down) from its buttons, and
 * "row-dropped" (RlhfLabelerRankingRow *source) when another row is dropped on it. */
GtkWidget *rlhf_labeler_ranking_row_new(gint64 completion_id, const char *text);
gint64 rlhf_labeler_ranking_row_get_completion_id(RlhfLabelerRankingRow *self);
const char *rlhf_labeler_ranking_row_get_text(RlhfLabelerRankingRow *self);
/* The 1-based rank shown, and how many there are (for the buttons' sensitivity). */
void rlhf_labeler_ranking_row_set_rank(RlhfLabelerRankingRow *self, int rank, int count);
int rlhf_labeler_ranking_row_get_rank(RlhfLabelerRankingRow *self);
void rlhf_labeler_ranking_row_set_monospace(RlhfLabelerRankingRow *self, gboolean monospace);

G_END_DECLS
