/* RlhfLabelerPairView: the labeling view for one pair: the prompt on top, responses "A"
 * (shown left) and "B" (shown right) side by side, and the decision being drafted: the
 * choice, its strength, flags and an optional one-line rationale.
 *
 * The view only shows and drafts; the window owns the store, the keys and submission. Its
 * buttons activate the view's own property actions "pair.choice" (s) and "pair.strength"
 * (i), and "labeler.submit" on the window. */
#pragma once

#include <gtk/gtk.h>

#include "labeler-decision.h"

G_BEGIN_DECLS

#define RLHF_TYPE_LABELER_PAIR_VIEW (rlhf_labeler_pair_view_get_type())
G_DECLARE_FINAL_TYPE(RlhfLabelerPairView, rlhf_labeler_pair_view, RLHF, LABELER_PAIR_VIEW, GtkWidget)

/* Shows a pair and starts an empty draft. */
void rlhf_labeler_pair_view_set_pair(RlhfLabelerPairView *self, const char *prompt, const char *left_text,
                                     const char *right_text);
/* The flags offered as toggles (store_flag_kinds); the draft's flags are cleared. */
void rlhf_labeler_pair_view_set_flag_kinds(RlhfLabelerPairView *self, const char *const *names, int count);
void rlhf_labeler_pair_view_set_monospace(RlhfLabelerPairView *self, gboolean monospace);

/* The draft. */
RlhfUiChoice rlhf_labeler_pair_view_get_choice(RlhfLabelerPairView *self);
void rlhf_labeler_pair_view_set_choice(RlhfLabelerPairView *self, RlhfUiChoice choice);
/* 1..4, only while the choice is A or B (returns FALSE otherwise); 0 clears. */
int rlhf_labeler_pair_view_get_strength(RlhfLabelerPairView *self);
gboolean rlhf_labeler_pair_view_set_strength(RlhfLabelerPairView *self, int strength);
/* Toggles a flag by name or by its position (0-based); FALSE if there is no such flag. */
gboolean rlhf_labeler_pair_view_toggle_flag(RlhfLabelerPairView *self, const char *name);
gboolean rlhf_labeler_pair_view_toggle_flag_index(RlhfLabelerPairView *self, int index);
gboolean rlhf_labeler_pair_view_get_flag(RlhfLabelerPairView *self, const char *name);
/* The flags set, in the store's order (NULL-terminated; free with g_strfreev). */
char **rlhf_labeler_pair_view_dup_flags(RlhfLabelerPairView *self);
const char *rlhf_labeler_pair_view_get_rationale(RlhfLabelerPairView *self);
void rlhf_labeler_pair_view_set_rationale(RlhfLabelerPairView *self, const char *rationale);
/* Whether the draft is complete: a choice, and a strength for A or B. */
gboolean rlhf_labeler_pair_view_get_can_submit(RlhfLabelerPairView *self);
/* Puts a whole draft back (after an undo). */
void rlhf_labeler_pair_view_set_draft(RlhfLabelerPairView *self, RlhfUiChoice choice, int strength,
                                      const char *const *flags, const char *rationale);
void rlhf_labeler_pair_view_clear_draft(RlhfLabelerPairView *self);

/* Keys, as the window forwards them. A digit chooses (1 A, 2 tie, 3 B, 4 both bad,
 * 5 skip) or, once A or B is chosen, sets the strength (1..4). Returns whether it did. */
gboolean rlhf_labeler_pair_view_press_digit(RlhfLabelerPairView *self, int digit);
/* Up/down: strength one step stronger (+1) or weaker (-1) while A or B is chosen. */
gboolean rlhf_labeler_pair_view_step_strength(RlhfLabelerPairView *self, int delta);
/* Escape: clears the choice (and so its strength). Returns whether anything changed. */
gboolean rlhf_labeler_pair_view_step_back(RlhfLabelerPairView *self);

void rlhf_labeler_pair_view_focus_rationale(RlhfLabelerPairView *self);
gboolean rlhf_labeler_pair_view_rationale_has_focus(RlhfLabelerPairView *self);
/* Shows that a submission is being written (a spinner on Submit). */
void rlhf_labeler_pair_view_set_saving(RlhfLabelerPairView *self, gboolean saving);

/* The response views, for tests and screenshots. */
GtkWidget *rlhf_labeler_pair_view_get_response(RlhfLabelerPairView *self, int side);

G_END_DECLS
