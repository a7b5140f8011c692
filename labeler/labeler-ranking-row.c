/* RlhfLabelerRankingRow: a draggable, reorderable response in ranking mode. */
#include "labeler-ranking-row.h"
#include "labeler-util.h"

struct _RlhfLabelerRankingRow {
    GtkListBoxRow parent_instance;

    GtkLabel *rank_label;
    GtkLabel *text_label;
    GtkWidget *up_button;
    GtkWidget *down_button;

    gint64 completion_id;
    char *text;
    int rank;
};

G_DEFINE_FINAL_TYPE(RlhfLabelerRankingRow, rlhf_labeler_ranking_row, GTK_TYPE_LIST_BOX_ROW)

enum { SIGNAL_MOVE_REQUESTED, SIGNAL_ROW_DROPPED, N_SIGNALS };
static guint signals[N_SIGNALS];

/* A row for one completion; its text is made displayable (see labeler-util.h). */
GtkWidget *rlhf_labeler_ranking_row_new(gint64 completion_id, const char *text) {
    RlhfLabelerRankingRow *self = g_object_new(RLHF_TYPE_LABELER_RANKING_ROW, NULL);
    self->completion_id = completion_id;
    self->text = rlhf_labeler_displayable_text(text);
    gtk_label_set_text(self->text_label, self->text);
    return GTK_WIDGET(self);
}

gint64 rlhf_labeler_ranking_row_get_completion_id(RlhfLabelerRankingRow *self) {
    g_return_val_if_fail(RLHF_IS_LABELER_RANKING_ROW(self), 0);
    return self->completion_id;
}

/* The text as shown (displayable), owned by the row. */
const char *rlhf_labeler_ranking_row_get_text(RlhfLabelerRankingRow *self) {
    g_return_val_if_fail(RLHF_IS_LABELER_RANKING_ROW(self), NULL);
    return self->text;
}

/* Shows rank (1-based) of count: the number, the buttons' sensitivity, the accessible label. */
void rlhf_labeler_ranking_row_set_rank(RlhfLabelerRankingRow *self, int rank, int count) {
    g_return_if_fail(RLHF_IS_LABELER_RANKING_ROW(self));
    self->rank = rank;
    char *text = g_strdup_printf("%d", rank);
    gtk_label_set_text(self->rank_label, text);
    g_free(text);
    gtk_widget_set_sensitive(self->up_button, rank > 1);
    gtk_widget_set_sensitive(self->down_button, rank < count);
    char *accessible = g_strdup_printf("Rank %d of %d", rank, count);
    gtk_accessible_update_property(GTK_ACCESSIBLE(self), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible,
                                   GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, self->text, -1);
    g_free(accessible);
}

int rlhf_labeler_ranking_row_get_rank(RlhfLabelerRankingRow *self) {
    g_return_val_if_fail(RLHF_IS_LABELER_RANKING_ROW(self), 0);
    return self->rank;
}

void rlhf_labeler_ranking_row_set_monospace(RlhfLabelerRankingRow *self, gboolean monospace) {
    g_return_if_fail(RLHF_IS_LABELER_RANKING_ROW(self));
    if (monospace)
        gtk_widget_add_css_class(GTK_WIDGET(self->text_label), "monospace");
    else
        gtk_widget_remove_css_class(GTK_WIDGET(self->text_label), "monospace");
}

/* The row's buttons ask the view to move it up (-1) or down (+1). */
static void up_clicked(RlhfLabelerRankingRow *self) { g_signal_emit(self, signals[SIGNAL_MOVE_REQUESTED], 0, -1); }
static void down_clicked(RlhfLabelerRankingRow *self) { g_signal_emit(self, signals[SIGNAL_MOVE_REQUESTED], 0, 1); }

/* Drag and drop: the row itself is the payload. */
static GdkContentProvider *drag_prepare(GtkDragSource *source, double x, double y, RlhfLabelerRankingRow *self) {
    (void)source;
    (void)x;
    (void)y;
    GValue value = G_VALUE_INIT;
    g_value_init(&value, RLHF_TYPE_LABELER_RANKING_ROW);
    g_value_set_object(&value, self);
    GdkContentProvider *provider = gdk_content_provider_new_for_value(&value);
    g_value_unset(&value);
    return provider;
}

/* Drag begins: the row's picture as the icon, the row marked as dragging. */
static void drag_begin(GtkDragSource *source, GdkDrag *drag, RlhfLabelerRankingRow *self) {
    (void)drag;
    GdkPaintable *paintable = gtk_widget_paintable_new(GTK_WIDGET(self));
    gtk_drag_source_set_icon(source, paintable, 20, 20);
    g_object_unref(paintable);
    gtk_widget_add_css_class(GTK_WIDGET(self), "dragging");
}

/* Drag over (dropped or not): the row is no longer marked as dragging. */
static void drag_end(GtkDragSource *source, GdkDrag *drag, gboolean delete_data, RlhfLabelerRankingRow *self) {
    (void)source;
    (void)drag;
    (void)delete_data;
    gtk_widget_remove_css_class(GTK_WIDGET(self), "dragging");
}

/* Another row was dropped here: "row-dropped" with it; FALSE for the row itself. */
static gboolean drop(GtkDropTarget *target, const GValue *value, double x, double y, RlhfLabelerRankingRow *self) {
    (void)target;
    (void)x;
    (void)y;
    RlhfLabelerRankingRow *source = g_value_get_object(value);
    if (source == NULL || source == self) return FALSE;
    g_signal_emit(self, signals[SIGNAL_ROW_DROPPED], 0, source);
    return TRUE;
}

static void rlhf_labeler_ranking_row_dispose(GObject *object) {
    gtk_widget_dispose_template(GTK_WIDGET(object), RLHF_TYPE_LABELER_RANKING_ROW);
    G_OBJECT_CLASS(rlhf_labeler_ranking_row_parent_class)->dispose(object);
}

static void rlhf_labeler_ranking_row_finalize(GObject *object) {
    g_free(RLHF_LABELER_RANKING_ROW(object)->text);
    G_OBJECT_CLASS(rlhf_labeler_ranking_row_parent_class)->finalize(object);
}

static void rlhf_labeler_ranking_row_class_init(RlhfLabelerRankingRowClass *klass) {
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

    object_class->dispose = rlhf_labeler_ranking_row_dispose;
    object_class->finalize = rlhf_labeler_ranking_row_finalize;

    signals[SIGNAL_MOVE_REQUESTED] = g_signal_new("move-requested", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
                                                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);
    signals[SIGNAL_ROW_DROPPED] = g_signal_new("row-dropped", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                               NULL, NULL, G_TYPE_NONE, 1, RLHF_TYPE_LABELER_RANKING_ROW);

    gtk_widget_class_set_template_from_resource(widget_class, "/org/rlhf/Labeler/labeler-ranking-row.ui");
    gtk_widget_class_bind_template_child(widget_class, RlhfLabelerRankingRow, rank_label);
    gtk_widget_class_bind_template_child(widget_class, RlhfLabelerRankingRow, text_label);
    gtk_widget_class_bind_template_child(widget_class, RlhfLabelerRankingRow, up_button);
    gtk_widget_class_bind_template_child(widget_class, RlhfLabelerRankingRow, down_button);
    gtk_widget_class_bind_template_callback(widget_class, up_clicked);
    gtk_widget_class_bind_template_callback(widget_class, down_clicked);
}

static void rlhf_labeler_ranking_row_init(RlhfLabelerRankingRow *self) {
    gtk_widget_init_template(GTK_WIDGET(self));

    GtkDragSource *source = gtk_drag_source_new();
    gtk_drag_source_set_actions(source, GDK_ACTION_MOVE);
    g_signal_connect(source, "prepare", G_CALLBACK(drag_prepare), self);
    g_signal_connect(source, "drag-begin", G_CALLBACK(drag_begin), self);
    g_signal_connect(source, "drag-end", G_CALLBACK(drag_end), self);
    gtk_widget_add_controller(GTK_WIDGET(self), GTK_EVENT_CONTROLLER(source));

    GtkDropTarget *target = gtk_drop_target_new(RLHF_TYPE_LABELER_RANKING_ROW, GDK_ACTION_MOVE);
    g_signal_connect(target, "drop", G_CALLBACK(drop), self);
    gtk_widget_add_controller(GTK_WIDGET(self), GTK_EVENT_CONTROLLER(target));
}
