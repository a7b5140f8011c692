/* labeler-util: small helpers shared by the labeler's widgets (no types of their own). */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Makes a scrolled window that shows short content at its natural height (no room kept for
 * a scrollbar) and shows a scrollbar once the content outgrows max-content-height: used for
 * prompts, which are usually a line and sometimes a page. */
void rlhf_labeler_scroll_only_when_needed(GtkScrolledWindow *scroller);

/* Text as the labeler shows it (free with g_free): GTK takes only valid UTF-8, and a model
 * can stop inside a character, so each invalid sequence becomes U+FFFD, as the exports do;
 * and text views lay out their whole text on the main thread (a megabyte-long imported
 * response froze the window for a minute), so beyond RLHF_LABELER_SHOWN_BYTES_MAX bytes the
 * rest is replaced by a note saying how much is not shown. The stored text is untouched:
 * a label refers to the whole stored response. */
#define RLHF_LABELER_SHOWN_BYTES_MAX 200000
char *rlhf_labeler_displayable_text(const char *text);

G_END_DECLS
