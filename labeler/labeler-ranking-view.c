/* RlhfLabelerRankingView: order K responses best first. */
#include "labeler-ranking-view.h"

#include "labeler-util.h"

#include "labeler-ranking-row.h"

struct _RlhfLabelerRankingView {
    GtkWidget parent_instance;

    GtkScrolledWindow *prompt_scroller;
    GtkLabel *prompt_label;
    GtkListBox *list;
    GtkSpinner *submit_spinner;

    GPtrArray *rows;   /* RlhfLabelerRankingRow *, best first (the list box's order) */
    gboolean monospace;
};

G_DEFINE_FINAL_TYPE(RlhfLabelerRankingView, rlhf_labeler_ranking_view, GTK_TYPE_WIDGET)

/* Shows each row's rank from its place in self->rows. */
static void renumber(RlhfLabelerRankingView *self) {
    for (guint i = 0; i < self->rows->len; i++)
        rlhf_labeler_ranking_row_set_rank(g_ptr_array_index(self->rows, i), (int)i + 1, (int)self->rows->len);
}

/* The row's place in self->rows (0-based), or -1. */
static int row_position(RlhfLabelerRankingView *self, RlhfLabelerRankingRow *row) {
    guint index;
    return g_ptr_array_find(self->rows, row, &index) ? (int)index : -1;
}

/* Moves the row at from to to (0-based), keeping its selection and focus; FALSE if either
 * is out of range. */
gboolean rlhf_labeler_ranking_view_move(RlhfLabelerRankingView *self, int from, int to) {
    g_return_val_if_fail(RLHF_IS_LABELER_RANKING_VIEW(self), FALSE);
    int count = (int)self->rows->len;
    if (from < 0 || from >= count || to < 0 || to >= count) return FALSE;
    if (from == to) return TRUE;
    GtkWidget *row = g_object_ref(g_ptr_array_index(self->rows, from));
    GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));
    gboolean had_focus = root != NULL && gtk_root_get_focus(root) != NULL &&
                         (gtk_root_get_focus(root) == row || gtk_widget_is_ancestor(gtk_root_get_focus(root), row));
    gboolean selected = gtk_list_box_row_is_selected(GTK_LIST_BOX_ROW(row));
    g_ptr_array_remove_index(self->rows, from);
    g_ptr_array_insert(self->rows, to, row);
    /* Unselected first: a removed row keeps its selected flag, and GtkListBox would then
     * refuse to select it again. */
    gtk_list_box_unselect_row(self->list, GTK_LIST_BOX_ROW(row));
    gtk_list_box_remove(self->list, row);
    gtk_list_box_insert(self->list, row, to);
    if (selected) gtk_list_box_select_row(self->list, GTK_LIST_BOX_ROW(row));
    if (had_focus) gtk_widget_grab_focus(row);
    g_object_unref(row);
    renumber(self);
    return TRUE;
}

/* The selected row's place (0-based), or -1. */
int rlhf_labeler_ranking_view_get_selected(RlhfLabelerRankingView *self) {
    g_return_val_if_fail(RLHF_IS_LABELER_RANKING_VIEW(self), -1);
    GtkListBoxRow *row = gtk_list_box_get_selected_row(self->list);
    return row != NULL ? row_position(self, RLHF_LABELER_RANKING_ROW(row)) : -1;
}

/* Selects (and, once shown, focuses) the row at position; out of range selects none. */
void rlhf_labeler_ranking_view_select(RlhfLabelerRankingView *self, int position) {
    g_return_if_fail(RLHF_IS_LABELER_RANKING_VIEW(self));
    if (position < 0 || (guint)position >= self->rows->len) {
        gtk_list_box_unselect_all(self->list);
        return;
    }
    GtkWidget *row = g_ptr_array_index(self->rows, position);
    gtk_list_box_select_row(self->list, GTK_LIST_BOX_ROW(row));
    if (gtk_widget_get_root(row) != NULL) gtk_widget_grab_focus(row);   /* so ↑ ↓ move from here */
}

/* Moves the selected row delta places, stopping at either end; whether it moved. */
gboolean rlhf_labeler_ranking_view_move_selected(RlhfLabelerRankingView *self, int delta) {
    g_return_val_if_fail(RLHF_IS_LABELER_RANKING_VIEW(self), FALSE);
    int from = rlhf_labeler_ranking_view_get_selected(self);
    if (from < 0) return FALSE;
    int to = CLAMP(from + delta, 0, (int)self->rows->len - 1);
    return to != from && rlhf_labeler_ranking_view_move(self, from, to);
}

/* Moves the selected row to position (0-based); FALSE with none selected or out of range. */
gboolean rlhf_labeler_ranking_view_move_selected_to(RlhfLabelerRankingView *self, int position) {
    g_return_val_if_fail(RLHF_IS_LABELER_RANKING_VIEW(self), FALSE);
    int from = rlhf_labeler_ranking_view_get_selected(self);
    return from >= 0 && rlhf_labeler_ranking_view_move(self, from, position);
}

/* A row's up / down button: selects it and moves it one place. */
static void row_move_requested(RlhfLabelerRankingRow *row, int delta, RlhfLabelerRankingView *self) {
    int from = row_position(self, row);
    if (from < 0) return;
    gtk_list_box_select_row(self->list, GTK_LIST_BOX_ROW(row));
    rlhf_labeler_ranking_view_move(self, from, CLAMP(from + delta, 0, (int)self->rows->len - 1));
}

/* A row dropped on another: the dropped row takes the target's place. */
static void row_dropped(RlhfLabelerRankingRow *target, RlhfLabelerRankingRow *source, RlhfLabelerRankingView *self) {
    int from = row_position(self, source), to = row_position(self, target);
    if (from < 0 || to < 0) return;
    gtk_list_box_select_row(self->list, GTK_LIST_BOX_ROW(source));
    rlhf_labeler_ranking_view_move(self, from, to);
}

/* Shows prompt and count responses, in that order, the first selected. */
void rlhf_labeler_ranking_view_set_task(RlhfLabelerRankingView *self, const char *prompt, const gint64 *completion_ids,
                                        const char *const *texts, int count) {
    g_return_if_fail(RLHF_IS_LABELER_RANKING_VIEW(self));
    char *shown_prompt = rlhf_labeler_displayable_text(prompt);
    gtk_label_set_text(self->prompt_label, shown_prompt);
    g_free(shown_prompt);
    for (guint i = 0; i < self->rows->len; i++) gtk_list_box_remove(self->list, g_ptr_array_index(self->rows, i));
    g_ptr_array_set_size(self->rows, 0);
    for (int i = 0; i < count; i++) {
        GtkWidget *row = rlhf_labeler_ranking_row_new(completion_ids[i], texts[i]);
        rlhf_labeler_ranking_row_set_monospace(RLHF_LABELER_RANKING_ROW(row), self->monospace);
        g_signal_connect(row, "move-requested", G_CALLBACK(row_move_requested), self);
        g_signal_connect(row, "row-dropped", G_CALLBACK(row_dropped), self);
        gtk_list_box_append(self->list, row);
        g_ptr_array_add(self->rows, row);
    }
    renumber(self);
    if (count > 0) gtk_list_box_select_row(self->list, g_ptr_array_index(self->rows, 0));
}

int rlhf_labeler_ranking_view_get_count(RlhfLabelerRankingView *self) {
    g_return_val_if_fail(RLHF_IS_LABELER_RANKING_VIEW(self), 0);
    return (int)self->rows->len;
}

/* The completion ids best first, then a 0 (g_free it). */
gint64 *rlhf_labeler_ranking_view_dup_order(RlhfLabelerRankingView *self) {
    g_return_val_if_fail(RLHF_IS_LABELER_RANKING_VIEW(self), NULL);
    gint64 *order = g_new0(gint64, self->rows->len + 1);
    for (guint i = 0; i < self->rows->len; i++)
        order[i] = rlhf_labeler_ranking_row_get_completion_id(g_ptr_array_index(self->rows, i));
    return order;
}

/* Reorders the rows to best_first (after an undo); ids not shown are skipped. */
void rlhf_labeler_ranking_view_set_order(RlhfLabelerRankingView *self, const gint64 *best_first, int count) {
    g_return_if_fail(RLHF_IS_LABELER_RANKING_VIEW(self));
    int place = 0;
    for (int i = 0; i < count; i++)
        for (guint j = (guint)place; j < self->rows->len; j++)
            if (rlhf_labeler_ranking_row_get_completion_id(g_ptr_array_index(self->rows, j)) == best_first[i]) {
                rlhf_labeler_ranking_view_move(self, (int)j, place++);
                break;
            }
}

void rlhf_labeler_ranking_view_set_monospace(RlhfLabelerRankingView *self, gboolean monospace) {
    g_return_if_fail(RLHF_IS_LABELER_RANKING_VIEW(self));
    self->monospace = !!monospace;
    for (guint i = 0; i < self->rows->len; i++)
        rlhf_labeler_ranking_row_set_monospace(g_ptr_array_index(self->rows, i), self->monospace);
}

/* While saving: the list locked and a spinner shown. */
void rlhf_labeler_ranking_view_set_saving(RlhfLabelerRankingView *self, gboolean saving) {
    g_return_if_fail(RLHF_IS_LABELER_RANKING_VIEW(self));
    /* a reordering made while the ranking is being written would never be stored */
    gtk_widget_set_sensitive(GTK_WIDGET(self->list), !saving);
    gtk_spinner_set_spinning(self->submit_spinner, saving);
    gtk_widget_set_visible(GTK_WIDGET(self->submit_spinner), saving);
}

static void rlhf_labeler_ranking_view_dispose(GObject *object) {
    RlhfLabelerRankingView *self = RLHF_LABELER_RANKING_VIEW(object);
    if (self->rows != NULL) g_ptr_array_set_size(self->rows, 0);
    gtk_widget_dispose_template(GTK_WIDGET(object), RLHF_TYPE_LABELER_RANKING_VIEW);
    GtkWidget *child;
    while ((child = gtk_widget_get_first_child(GTK_WIDGET(object))) != NULL) gtk_widget_unparent(child);
    G_OBJECT_CLASS(rlhf_labeler_ranking_view_parent_class)->dispose(object);
}

static void rlhf_labeler_ranking_view_finalize(GObject *object) {
    g_ptr_array_unref(RLHF_LABELER_RANKING_VIEW(object)->rows);
    G_OBJECT_CLASS(rlhf_labeler_ranking_view_parent_class)->finalize(object);
}

static void rlhf_labeler_ranking_view_class_init(RlhfLabelerRankingViewClass *klass) {
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

    object_class->dispose = rlhf_labeler_ranking_view_dispose;
    object_class->finalize = rlhf_labeler_ranking_view_finalize;

    gtk_widget_class_set_template_from_resource(widget_class, "/org/rlhf/Labeler/labeler-ranking-view.ui");
    gtk_widget_class_bind_template_child(widget_class, RlhfLabelerRankingView, prompt_scroller);
    gtk_widget_class_bind_template_child(widget_class, RlhfLabelerRankingView, prompt_label);
    gtk_widget_class_bind_template_child(widget_class, RlhfLabelerRankingView, list);
    gtk_widget_class_bind_template_child(widget_class, RlhfLabelerRankingView, submit_spinner);
    gtk_widget_class_set_css_name(widget_class, "rankingview");
}

static void rlhf_labeler_ranking_view_init(RlhfLabelerRankingView *self) {
    self->rows = g_ptr_array_new();
    gtk_widget_init_template(GTK_WIDGET(self));
    rlhf_labeler_scroll_only_when_needed(self->prompt_scroller);
}
