/* RlhfLabelerStartPage: "Who is labeling?": the store's annotators to pick from, and an
 * entry for a new name. Emits "annotator-chosen" (const char *name). */
#pragma once

#include <gtk/gtk.h>

#include "rlhf/store.h"

G_BEGIN_DECLS

#define RLHF_TYPE_LABELER_START_PAGE (rlhf_labeler_start_page_get_type())
G_DECLARE_FINAL_TYPE(RlhfLabelerStartPage, rlhf_labeler_start_page, RLHF, LABELER_START_PAGE, GtkWidget)

/* Lists the people to pick from (scripted "oracle:" annotators are left out). */
void rlhf_labeler_start_page_set_annotators(RlhfLabelerStartPage *self, const store_annotator_info *annotators,
                                            int count);
/* Names listed, in order (NULL-terminated; free with g_strfreev). */
char **rlhf_labeler_start_page_dup_names(RlhfLabelerStartPage *self);
void rlhf_labeler_start_page_set_name(RlhfLabelerStartPage *self, const char *name);
/* Shows an error under the entry (NULL hides it). */
void rlhf_labeler_start_page_set_error(RlhfLabelerStartPage *self, const char *message);
/* Emits "annotator-chosen" for the name typed in the entry, as Start does. */
void rlhf_labeler_start_page_activate_entry(RlhfLabelerStartPage *self);
void rlhf_labeler_start_page_focus(RlhfLabelerStartPage *self);

G_END_DECLS
