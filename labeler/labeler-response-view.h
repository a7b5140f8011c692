/* RlhfLabelerResponseView: one response of a pair, under its big "A" or "B" label,
 * scrollable and word-wrapped, optionally in a monospace font for code. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define RLHF_TYPE_LABELER_RESPONSE_VIEW (rlhf_labeler_response_view_get_type())
G_DECLARE_FINAL_TYPE(RlhfLabelerResponseView, rlhf_labeler_response_view, RLHF, LABELER_RESPONSE_VIEW, GtkWidget)

void rlhf_labeler_response_view_set_title(RlhfLabelerResponseView *self, const char *title);
const char *rlhf_labeler_response_view_get_title(RlhfLabelerResponseView *self);
void rlhf_labeler_response_view_set_text(RlhfLabelerResponseView *self, const char *text);
/* The text shown (newly allocated). */
char *rlhf_labeler_response_view_dup_text(RlhfLabelerResponseView *self);
void rlhf_labeler_response_view_set_monospace(RlhfLabelerResponseView *self, gboolean monospace);
gboolean rlhf_labeler_response_view_get_monospace(RlhfLabelerResponseView *self);
/* Marks the view as the one the current choice prefers (a highlight), or not. */
void rlhf_labeler_response_view_set_preferred(RlhfLabelerResponseView *self, gboolean preferred);

G_END_DECLS
