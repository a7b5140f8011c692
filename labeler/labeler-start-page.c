/* RlhfLabelerStartPage: pick or create the annotator. */
#include "labeler-start-page.h"

#include <adwaita.h>
#include <string.h>

struct _RlhfLabelerStartPage {
    GtkWidget parent_instance;

    GtkListBox *annotator_list;
    GtkEntry *name_entry;
    GtkLabel *error_label;

    GPtrArray *names;
};

G_DEFINE_FINAL_TYPE(RlhfLabelerStartPage, rlhf_labeler_start_page, GTK_TYPE_WIDGET)

enum { SIGNAL_ANNOTATOR_CHOSEN, N_SIGNALS };
static guint signals[N_SIGNALS];

/* One row per annotator with their label count, "oracle:" ones left out; replaces the list. */
void rlhf_labeler_start_page_set_annotators(RlhfLabelerStartPage *self, const store_annotator_info *annotators,
                                            int count) {
    g_return_if_fail(RLHF_IS_LABELER_START_PAGE(self));
    GtkWidget *child;
    while ((child = gtk_widget_get_first_child(GTK_WIDGET(self->annotator_list))) != NULL)
        gtk_list_box_remove(self->annotator_list, child);
    g_ptr_array_set_size(self->names, 0);
    for (int i = 0; i < count; i++) {
        const char *name = annotators[i].name;
        if (name == NULL || g_str_has_prefix(name, "oracle:")) continue;
        GtkWidget *row = adw_action_row_new();
        char *escaped = g_markup_escape_text(name, -1);
        adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), escaped);
        char *subtitle = g_strdup_printf(annotators[i].labels == 1 ? "%ld label" : "%ld labels", annotators[i].labels);
        adw_action_row_set_subtitle(ADW_ACTION_ROW(row), subtitle);
        gtk_list_box_row_set_activatable(GTK_LIST_BOX_ROW(row), TRUE);
        GtkWidget *arrow = gtk_image_new_from_icon_name("go-next-symbolic");
        gtk_accessible_update_property(GTK_ACCESSIBLE(arrow), GTK_ACCESSIBLE_PROPERTY_LABEL, "Continue", -1);
        adw_action_row_add_suffix(ADW_ACTION_ROW(row), arrow);
        char *accessible = g_strdup_printf("Continue as %s", name);
        gtk_accessible_update_property(GTK_ACCESSIBLE(row), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);
        g_object_set_data_full(G_OBJECT(row), "annotator-name", g_strdup(name), g_free);
        gtk_list_box_append(self->annotator_list, row);
        g_ptr_array_add(self->names, g_strdup(name));
        g_free(accessible);
        g_free(subtitle);
        g_free(escaped);
    }
    gtk_widget_set_visible(GTK_WIDGET(self->annotator_list), self->names->len > 0);
}

/* The names listed, in order (NULL-terminated; g_strfreev it). */
char **rlhf_labeler_start_page_dup_names(RlhfLabelerStartPage *self) {
    g_return_val_if_fail(RLHF_IS_LABELER_START_PAGE(self), NULL);
    char **names = g_new0(char *, self->names->len + 1);
    for (guint i = 0; i < self->names->len; i++) names[i] = g_strdup(g_ptr_array_index(self->names, i));
    return names;
}

void rlhf_labeler_start_page_set_name(RlhfLabelerStartPage *self, const char *name) {
    g_return_if_fail(RLHF_IS_LABELER_START_PAGE(self));
    gtk_editable_set_text(GTK_EDITABLE(self->name_entry), name != NULL ? name : "");
}

/* Shows message under the entry; NULL or "" hides it. */
void rlhf_labeler_start_page_set_error(RlhfLabelerStartPage *self, const char *message) {
    g_return_if_fail(RLHF_IS_LABELER_START_PAGE(self));
    gtk_label_set_text(self->error_label, message != NULL ? message : "");
    gtk_widget_set_visible(GTK_WIDGET(self->error_label), message != NULL && message[0] != '\0');
}

/* Emits "annotator-chosen" with the typed name trimmed, or asks for a name if it is empty. */
void rlhf_labeler_start_page_activate_entry(RlhfLabelerStartPage *self) {
    g_return_if_fail(RLHF_IS_LABELER_START_PAGE(self));
    char *name = g_strstrip(g_strdup(gtk_editable_get_text(GTK_EDITABLE(self->name_entry))));
    if (name[0] == '\0')
        rlhf_labeler_start_page_set_error(self, "Type your name first.");
    else
        g_signal_emit(self, signals[SIGNAL_ANNOTATOR_CHOSEN], 0, name);
    g_free(name);
}

/* Focuses the first annotator row, or the entry when there is none. */
void rlhf_labeler_start_page_focus(RlhfLabelerStartPage *self) {
    g_return_if_fail(RLHF_IS_LABELER_START_PAGE(self));
    GtkListBoxRow *first = gtk_list_box_get_row_at_index(self->annotator_list, 0);
    if (first != NULL)
        gtk_widget_grab_focus(GTK_WIDGET(first));
    else
        gtk_widget_grab_focus(GTK_WIDGET(self->name_entry));
}

/* A listed annotator was activated: "annotator-chosen" with their name. */
static void row_activated(GtkListBox *list, GtkListBoxRow *row, RlhfLabelerStartPage *self) {
    (void)list;
    const char *name = g_object_get_data(G_OBJECT(row), "annotator-name");
    if (name != NULL) g_signal_emit(self, signals[SIGNAL_ANNOTATOR_CHOSEN], 0, name);
}

static void entry_activated(RlhfLabelerStartPage *self) { rlhf_labeler_start_page_activate_entry(self); }

static void rlhf_labeler_start_page_dispose(GObject *object) {
    gtk_widget_dispose_template(GTK_WIDGET(object), RLHF_TYPE_LABELER_START_PAGE);
    GtkWidget *child;
    while ((child = gtk_widget_get_first_child(GTK_WIDGET(object))) != NULL) gtk_widget_unparent(child);
    G_OBJECT_CLASS(rlhf_labeler_start_page_parent_class)->dispose(object);
}

static void rlhf_labeler_start_page_finalize(GObject *object) {
    g_ptr_array_unref(RLHF_LABELER_START_PAGE(object)->names);
    G_OBJECT_CLASS(rlhf_labeler_start_page_parent_class)->finalize(object);
}

static void rlhf_labeler_start_page_class_init(RlhfLabelerStartPageClass *klass) {
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

    object_class->dispose = rlhf_labeler_start_page_dispose;
    object_class->finalize = rlhf_labeler_start_page_finalize;

    signals[SIGNAL_ANNOTATOR_CHOSEN] = g_signal_new("annotator-chosen", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
                                                    NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

    gtk_widget_class_set_template_from_resource(widget_class, "/org/rlhf/Labeler/labeler-start-page.ui");
    gtk_widget_class_bind_template_child(widget_class, RlhfLabelerStartPage, annotator_list);
    gtk_widget_class_bind_template_child(widget_class, RlhfLabelerStartPage, name_entry);
    gtk_widget_class_bind_template_child(widget_class, RlhfLabelerStartPage, error_label);
    gtk_widget_class_bind_template_callback(widget_class, row_activated);
    gtk_widget_class_bind_template_callback(widget_class, entry_activated);
    gtk_widget_class_set_layout_manager_type(widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void rlhf_labeler_start_page_init(RlhfLabelerStartPage *self) {
    self->names = g_ptr_array_new_with_free_func(g_free);
    gtk_widget_init_template(GTK_WIDGET(self));
}
