/* labeler-util: helpers shared by the labeler's widgets. */
#include "labeler-util.h"

#include <stdlib.h>
#include <string.h>

#include "rlhf/util.h"

/* The scroller's content or page size changed: show its vertical scrollbar only when the
 * content is taller than the page (GTK_POLICY_EXTERNAL otherwise, so it grows instead). */
static void adjustment_changed(GtkAdjustment *adjustment, GParamSpec *pspec, GtkScrolledWindow *scroller) {
    (void)pspec;
    gboolean overflows = gtk_adjustment_get_upper(adjustment) - gtk_adjustment_get_lower(adjustment) >
                         gtk_adjustment_get_page_size(adjustment) + 0.5;
    GtkPolicyType wanted = overflows ? GTK_POLICY_AUTOMATIC : GTK_POLICY_EXTERNAL;
    GtkPolicyType horizontal, vertical;
    gtk_scrolled_window_get_policy(scroller, &horizontal, &vertical);
    if (vertical != wanted) gtk_scrolled_window_set_policy(scroller, horizontal, wanted);
}

/* Starts the scroller without a vertical scrollbar and keeps adjustment_changed watching
 * its content (for as long as the scroller lives). */
void rlhf_labeler_scroll_only_when_needed(GtkScrolledWindow *scroller) {
    GtkPolicyType horizontal, vertical;
    gtk_scrolled_window_get_policy(scroller, &horizontal, &vertical);
    gtk_scrolled_window_set_policy(scroller, horizontal, GTK_POLICY_EXTERNAL);
    GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment(scroller);
    g_signal_connect_object(adjustment, "notify::upper", G_CALLBACK(adjustment_changed), scroller, 0);
    g_signal_connect_object(adjustment, "notify::page-size", G_CALLBACK(adjustment_changed), scroller, 0);
}

/* Valid UTF-8 of at most RLHF_LABELER_SHOWN_BYTES_MAX bytes of text (cut on a character
 * boundary, with a note), "" for NULL; never NULL (g_free it). */
char *rlhf_labeler_displayable_text(const char *text) {
    if (text == NULL) return g_strdup("");
    size_t length = strlen(text);
    size_t shown_length = length;
    if (length > RLHF_LABELER_SHOWN_BYTES_MAX) {
        shown_length = RLHF_LABELER_SHOWN_BYTES_MAX;
        /* not inside a character */
        while (shown_length > 0 && ((unsigned char)text[shown_length] & 0xC0) == 0x80) shown_length--;
    }
    char *shown = rlhf_utf8_repair(text, shown_length, NULL); /* the exports' rule: one U+FFFD per maximal subpart */
    /* malloc'd by util; out of memory ends the app as every GLib allocation here does */
    if (shown == NULL) g_error("out of memory showing a text of %zu bytes", shown_length);
    char *result = shown_length == length ? g_strdup(shown)
                                          : g_strdup_printf("%s\n\n[... %zu more bytes of this text are not shown]",
                                                            shown, length - shown_length);
    free(shown);
    return result;
}
