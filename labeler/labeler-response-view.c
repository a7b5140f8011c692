/* RlhfLabelerResponseView: a titled, scrollable, word-wrapped response. */
#include "labeler-response-view.h"
#include "labeler-util.h"

struct _RlhfLabelerResponseView {
    GtkWidget parent_instance;

    GtkLabel *title_label;
    GtkScrolledWindow *scroller;
    GtkTextView *text_view;
    char *title;
};

G_DEFINE_FINAL_TYPE(RlhfLabelerResponseView, rlhf_labeler_response_view, GTK_TYPE_WIDGET)

enum { PROP_0, PROP_TITLE, PROP_TEXT, PROP_MONOSPACE, N_PROPS };
static GParamSpec *properties[N_PROPS];

/* Screen readers call the view and its text "Response <title>". */
static void update_accessible_label(RlhfLabelerResponseView *self) {
    char *label = g_strdup_printf("Response %s", self->title != NULL ? self->title : "");
    gtk_accessible_update_property(GTK_ACCESSIBLE(self->text_view), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
    gtk_accessible_update_property(GTK_ACCESSIBLE(self), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
    g_free(label);
}

void rlhf_labeler_response_view_set_title(RlhfLabelerResponseView *self, const char *title) {
    g_return_if_fail(RLHF_IS_LABELER_RESPONSE_VIEW(self));
    if (g_strcmp0(self->title, title) == 0) return;
    g_free(self->title);
    self->title = g_strdup(title);
    gtk_label_set_text(self->title_label, title != NULL ? title : "");
    update_accessible_label(self);
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_TITLE]);
}

const char *rlhf_labeler_response_view_get_title(RlhfLabelerResponseView *self) {
    g_return_val_if_fail(RLHF_IS_LABELER_RESPONSE_VIEW(self), NULL);
    return self->title;
}

/* Shows text (made displayable, see labeler-util.h), scrolled to its top. */
void rlhf_labeler_response_view_set_text(RlhfLabelerResponseView *self, const char *text) {
    g_return_if_fail(RLHF_IS_LABELER_RESPONSE_VIEW(self));
    char *shown = rlhf_labeler_displayable_text(text);
    gtk_text_buffer_set_text(gtk_text_view_get_buffer(self->text_view), shown, -1);
    g_free(shown);
    /* A new response starts at its top. */
    GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment(self->scroller);
    gtk_adjustment_set_value(adjustment, gtk_adjustment_get_lower(adjustment));
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_TEXT]);
}

/* The text shown (g_free it). */
char *rlhf_labeler_response_view_dup_text(RlhfLabelerResponseView *self) {
    g_return_val_if_fail(RLHF_IS_LABELER_RESPONSE_VIEW(self), NULL);
    GtkTextBuffer *buffer = gtk_text_view_get_buffer(self->text_view);
    GtkTextIter start, end;
    gtk_text_buffer_get_bounds(buffer, &start, &end);
    return gtk_text_buffer_get_text(buffer, &start, &end, FALSE);
}

void rlhf_labeler_response_view_set_monospace(RlhfLabelerResponseView *self, gboolean monospace) {
    g_return_if_fail(RLHF_IS_LABELER_RESPONSE_VIEW(self));
    monospace = !!monospace;
    if (gtk_text_view_get_monospace(self->text_view) == monospace) return;
    gtk_text_view_set_monospace(self->text_view, monospace);
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_MONOSPACE]);
}

gboolean rlhf_labeler_response_view_get_monospace(RlhfLabelerResponseView *self) {
    g_return_val_if_fail(RLHF_IS_LABELER_RESPONSE_VIEW(self), FALSE);
    return gtk_text_view_get_monospace(self->text_view);
}

void rlhf_labeler_response_view_set_preferred(RlhfLabelerResponseView *self, gboolean preferred) {
    g_return_if_fail(RLHF_IS_LABELER_RESPONSE_VIEW(self));
    if (preferred)
        gtk_widget_add_css_class(GTK_WIDGET(self), "preferred");
    else
        gtk_widget_remove_css_class(GTK_WIDGET(self), "preferred");
}

static void rlhf_labeler_response_view_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec) {
    RlhfLabelerResponseView *self = RLHF_LABELER_RESPONSE_VIEW(object);
    switch (prop_id) {
    case PROP_TITLE: g_value_set_string(value, self->title); break;
    case PROP_TEXT: g_value_take_string(value, rlhf_labeler_response_view_dup_text(self)); break;
    case PROP_MONOSPACE: g_value_set_boolean(value, rlhf_labeler_response_view_get_monospace(self)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void rlhf_labeler_response_view_set_property(GObject *object, guint prop_id, const GValue *value,
                                                    GParamSpec *pspec) {
    RlhfLabelerResponseView *self = RLHF_LABELER_RESPONSE_VIEW(object);
    switch (prop_id) {
    case PROP_TITLE: rlhf_labeler_response_view_set_title(self, g_value_get_string(value)); break;
    case PROP_TEXT: rlhf_labeler_response_view_set_text(self, g_value_get_string(value)); break;
    case PROP_MONOSPACE: rlhf_labeler_response_view_set_monospace(self, g_value_get_boolean(value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void rlhf_labeler_response_view_dispose(GObject *object) {
    gtk_widget_dispose_template(GTK_WIDGET(object), RLHF_TYPE_LABELER_RESPONSE_VIEW);
    GtkWidget *child;
    while ((child = gtk_widget_get_first_child(GTK_WIDGET(object))) != NULL) gtk_widget_unparent(child);
    G_OBJECT_CLASS(rlhf_labeler_response_view_parent_class)->dispose(object);
}

static void rlhf_labeler_response_view_finalize(GObject *object) {
    g_free(RLHF_LABELER_RESPONSE_VIEW(object)->title);
    G_OBJECT_CLASS(rlhf_labeler_response_view_parent_class)->finalize(object);
}

static void rlhf_labeler_response_view_class_init(RlhfLabelerResponseViewClass *klass) {
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

    object_class->get_property = rlhf_labeler_response_view_get_property;
    object_class->set_property = rlhf_labeler_response_view_set_property;
    object_class->dispose = rlhf_labeler_response_view_dispose;
    object_class->finalize = rlhf_labeler_response_view_finalize;

    properties[PROP_TITLE] = g_param_spec_string("title", NULL, NULL, NULL,
                                                 G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
    properties[PROP_TEXT] = g_param_spec_string("text", NULL, NULL, NULL,
                                                G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
    properties[PROP_MONOSPACE] = g_param_spec_boolean(
        "monospace", NULL, NULL, FALSE, G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(object_class, N_PROPS, properties);

    gtk_widget_class_set_template_from_resource(widget_class, "/org/rlhf/Labeler/labeler-response-view.ui");
    gtk_widget_class_bind_template_child(widget_class, RlhfLabelerResponseView, title_label);
    gtk_widget_class_bind_template_child(widget_class, RlhfLabelerResponseView, scroller);
    gtk_widget_class_bind_template_child(widget_class, RlhfLabelerResponseView, text_view);
    gtk_widget_class_set_css_name(widget_class, "responseview");
    gtk_widget_class_set_accessible_role(widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void rlhf_labeler_response_view_init(RlhfLabelerResponseView *self) {
    gtk_widget_init_template(GTK_WIDGET(self));
}
