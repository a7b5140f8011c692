/* labeler-util: helpers shared by the labeler's widgets. */
#include "labeler-util.h"

#include <stdlib.h>
#include <string.h>

#include "rlhf/util.h"

static void adjustment_changed(GtkAdjustment *adjustment, GParamSpec *pspec, GtkScrolledWindow *scroller) {
    (void)pspec;
    gboolean overflows = gtk_adjustment_get_upper(adjustment) - gtk_adjustment_get_lower(adjustment) >
                         gtk_adjustment_get_page_size(adjustment) + 0.5;
    GtkPolicyType wanted = overflows ? GTK_POLICY_AUTOMATIC : GTK_POLICY_EXTERNAL;
    GtkPolicyType horizontal, vertical;
    gtk_scrolled_window_get_policy(scroller, &horizontal, &vertical);
    if (vertical != wanted) gtk_scrolled_window_set_policy(scroller, horizontal, wanted);
}

void rlhf_labeler_scroll_only_when_needed(GtkScrolledWindow *scroller) {
    GtkPolicyType horizontal, vertical;
    gtk_scrolled_window_get_policy(scroller, &horizontal, &vertical);
    gtk_scrolled_window_set_policy(scroller, horizontal, GTK_POLICY_EXTERNAL);
    GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment(scroller);
    g_signal_connect_object(adjustment, "notify::upper", G_CALLBACK(adjustment_changed), scroller, 0);
    g_signal_connect_object(adjustment, "notify::page-size", G_CALLBACK(adjustment_changed), scroller, 0);
}

char *rlhf_labeler_displayable_text(const char *text) {
    if (text == NULL) return g_strdup("");
    size_t length = strlen(text);
    size_t shown_length = length;
    if (length > RLHF_LABELER_SHOWN_BYTES_MAX) {
        shown_length = RLHF_LABELER_SHOWN_BYTES_MAX;
        while (shown_length > 0 && ((unsigned char)text[shown_length] & 0xC0) == 0x80) shown_length--; /* not inside a character */
    }
    char *shown = rlhf_utf8_repair(text, shown_length, NULL); /* the exports' rule: one U+FFFD per maximal subpart */
    char *result = shown_length == length ? g_strdup(shown)
                                          : g_strdup_printf("%s\n\n[... %zu more bytes of this text are not shown]",
                                                            shown, length - shown_length);
    free(shown);
    return result;
}
