/* labeler-util: small helpers shared by the labeler's widgets (no types of their own). */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Makes a scrolled window that shows short content at its natural height (no room kept for
 * a scrollbar) and shows a scrollbar once the content outgrows max-content-height: used for
 * prompts, which are usually a line and sometimes a page. */
void rlhf_labeler_scroll_only_when_needed(GtkScrolledWindow *scroller);

G_END_DECLS
