/* RlhfLabelerWindow, actions: the "labeler.*" actions the buttons and menus activate, and
 * the keys bound to them (labeler-window.h lists them). */
#include "labeler-window-private.h"

#include <string.h>

/* ------------------------------------------------------------------ actions */

/* labeler.choose (s): sets the choice by name ("a", "tie", "b", "both-bad", "skip"). */
static void action_choose(GtkWidget *widget, const char *name, GVariant *parameter) {
    (void)name;
    RlhfLabelerWindow *self = RLHF_LABELER_WINDOW(widget);
    RlhfUiChoice choice;
    if (rlhf_ui_choice_from_string(g_variant_get_string(parameter, NULL), &choice))
        rlhf_labeler_pair_view_set_choice(self->pair_view, choice);
}

/* labeler.strength (i): sets the strength 1..4 (refused unless A or B is chosen). */
static void action_strength(GtkWidget *widget, const char *name, GVariant *parameter) {
    (void)name;
    rlhf_labeler_pair_view_set_strength(RLHF_LABELER_WINDOW(widget)->pair_view, g_variant_get_int32(parameter));
}

/* labeler.strength-step (i): one step stronger (+1) or weaker (-1). */
static void action_strength_step(GtkWidget *widget, const char *name, GVariant *parameter) {
    (void)name;
    rlhf_labeler_pair_view_step_strength(RLHF_LABELER_WINDOW(widget)->pair_view, g_variant_get_int32(parameter));
}

/* labeler.key (i): a digit; in ranking mode it moves the selected response to that rank,
 * otherwise it chooses or sets the strength as the pair view decides. */
static void action_key(GtkWidget *widget, const char *name, GVariant *parameter) {
    (void)name;
    RlhfLabelerWindow *self = RLHF_LABELER_WINDOW(widget);
    int digit = g_variant_get_int32(parameter);
    if (rlhf_labeler_window_on_page(self, "ranking"))
        rlhf_labeler_ranking_view_move_selected_to(self->ranking_view, digit - 1);
    else
        rlhf_labeler_pair_view_press_digit(self->pair_view, digit);
}

/* labeler.flag (s): toggles the flag of that name. */
static void action_flag(GtkWidget *widget, const char *name, GVariant *parameter) {
    (void)name;
    rlhf_labeler_pair_view_toggle_flag(RLHF_LABELER_WINDOW(widget)->pair_view, g_variant_get_string(parameter, NULL));
}

/* labeler.flag-index (i): toggles the flag at that 0-based position. */
static void action_flag_index(GtkWidget *widget, const char *name, GVariant *parameter) {
    (void)name;
    rlhf_labeler_pair_view_toggle_flag_index(RLHF_LABELER_WINDOW(widget)->pair_view, g_variant_get_int32(parameter));
}

/* labeler.clear (Esc): leaves the rationale entry if it has focus, else drops the choice
 * (and its strength); the rationale stays. */
static void action_clear(GtkWidget *widget, const char *name, GVariant *parameter) {
    (void)name;
    (void)parameter;
    RlhfLabelerWindow *self = RLHF_LABELER_WINDOW(widget);
    if (rlhf_labeler_pair_view_rationale_has_focus(self->pair_view))
        gtk_window_set_focus(GTK_WINDOW(self), NULL);
    else
        rlhf_labeler_pair_view_step_back(self->pair_view);
}

static void action_focus_rationale(GtkWidget *widget, const char *name, GVariant *parameter) {
    (void)name;
    (void)parameter;
    rlhf_labeler_pair_view_focus_rationale(RLHF_LABELER_WINDOW(widget)->pair_view);
}

static void action_submit(GtkWidget *widget, const char *name, GVariant *parameter) {
    (void)name;
    (void)parameter;
    rlhf_labeler_window_submit(RLHF_LABELER_WINDOW(widget));
}

/* Tries the unsaved decision again, as it is on screen now: the annotator may have changed
 * it since the write failed, and what they see is what is stored (submit keeps the first
 * attempt's time taken). A draft that cannot be submitted yet waits for Enter. */
static void action_retry(GtkWidget *widget, const char *name, GVariant *parameter) {
    (void)name;
    (void)parameter;
    RlhfLabelerWindow *self = RLHF_LABELER_WINDOW(widget);
    if (self->unsaved == NULL || self->busy) return;
    if (rlhf_labeler_window_on_page(self, "pairs") && !rlhf_labeler_pair_view_get_can_submit(self->pair_view)) {
        /* the draft was taken apart since: no retry can run until it is whole again */
        rlhf_labeler_window_clear_retry(self);
        char *text = g_strdup_printf("Your last decision is not saved yet: %s. Finish the decision and press Enter "
                                     "to save it.", self->unsaved->error);
        gtk_label_set_text(self->unsaved_label, text);
        g_free(text);
        return;
    }
    rlhf_labeler_window_submit(self);
}

/* labeler.undo: removes this window's last saved label from the store (by its row id) and,
 * once that lands, puts the decision back on screen; nothing while a write is pending. */
static void action_undo(GtkWidget *widget, const char *name, GVariant *parameter) {
    (void)name;
    (void)parameter;
    RlhfLabelerWindow *self = RLHF_LABELER_WINDOW(widget);
    LabelerWrite *last = g_queue_peek_head(&self->history);
    if (self->busy || self->unsaved != NULL || self->annotator_id <= 0 || last == NULL) return;
    /* this window's own last label, by its row: never another window's or session's */
    LabelerWrite *write = g_new0(LabelerWrite, 1);
    write->kind = LABELER_WRITE_UNDO;
    write->undo_id = last->result_id;
    write->undo_ranking = last->kind == LABELER_WRITE_RANKING;
    rlhf_labeler_window_start_write(self, write);
}

/* labeler.rank-move ((ii)): moves the response at from to to (0-based), as dragging does,
 * and selects it. */
static void action_rank_move(GtkWidget *widget, const char *name, GVariant *parameter) {
    (void)name;
    gint32 from, to;
    g_variant_get(parameter, "(ii)", &from, &to);
    RlhfLabelerWindow *self = RLHF_LABELER_WINDOW(widget);
    if (rlhf_labeler_ranking_view_move(self->ranking_view, from, to))
        rlhf_labeler_ranking_view_select(self->ranking_view, to);
}

/* labeler.rank-step (i): moves the selected response up (-1) or down (+1). */
static void action_rank_step(GtkWidget *widget, const char *name, GVariant *parameter) {
    (void)name;
    rlhf_labeler_ranking_view_move_selected(RLHF_LABELER_WINDOW(widget)->ranking_view, g_variant_get_int32(parameter));
}

/* labeler.reload: rereads the queue and shows the next work. */
static void action_reload(GtkWidget *widget, const char *name, GVariant *parameter) {
    (void)name;
    (void)parameter;
    rlhf_labeler_window_load_next(RLHF_LABELER_WINDOW(widget));
}

/* labeler.switch-annotator: ends this annotator's session (their undo history too) and
 * goes back to the start page. */
static void action_switch_annotator(GtkWidget *widget, const char *name, GVariant *parameter) {
    (void)name;
    (void)parameter;
    RlhfLabelerWindow *self = RLHF_LABELER_WINDOW(widget);
    self->annotator_id = 0;
    g_clear_pointer(&self->annotator, g_free);
    rlhf_labeler_pair_clear(&self->pair);
    rlhf_labeler_task_clear(&self->task);
    self->have_pair = self->have_task = FALSE;
    g_queue_clear_full(&self->history, (GDestroyNotify)rlhf_labeler_write_free);
    rlhf_labeler_start_page_set_name(self->start_page, NULL);
    rlhf_labeler_start_page_set_error(self->start_page, NULL);
    rlhf_labeler_window_show_start(self);
}

/* labeler.about: the About window. */
static void action_about(GtkWidget *widget, const char *name, GVariant *parameter) {
    (void)name;
    (void)parameter;
    GtkWidget *about = adw_about_window_new();
    g_object_set(about, "transient-for", widget, "modal", TRUE, "application-name", "Labeler", "application-icon",
                 "document-edit-symbolic", "version", RLHF_VERSION, "developer-name", "The rlhf authors",
                 "comments",
                 "Compare and rank model responses. Every decision is saved to the preference store as you go.",
                 "license-type", GTK_LICENSE_MIT_X11, NULL);
    gtk_window_present(GTK_WINDOW(about));
}

/* ------------------------------------------------------------------ arrows and Enter */

/* Arrow keys and Enter: GtkWindow binds them itself (focus movement, the default widget),
 * so they are caught before it, in the capture phase, and only when they mean a choice:
 * never inside a text entry, nor Up/Down inside the ranking list. */

/* Whether the focused widget needs the key itself: a text entry or popover always, the
 * ranking list for Up and Down (vertical). */
static gboolean focus_wants_keys(RlhfLabelerWindow *self, gboolean vertical) {
    GtkWidget *focus = gtk_root_get_focus(GTK_ROOT(self));
    if (focus == NULL) return FALSE;
    if (GTK_IS_EDITABLE(focus) || GTK_IS_TEXT_VIEW(focus)) return TRUE;
    for (GtkWidget *w = focus; w != NULL; w = gtk_widget_get_parent(w))
        if (GTK_IS_EDITABLE(w) || (vertical && GTK_IS_LIST_BOX(w)) || GTK_IS_POPOVER(w)) return TRUE;
    return FALSE;
}

/* One of the captured keys (args: "enter", "left", "right", "up" or "down"): Enter submits
 * a complete decision, the arrows choose A / B and step the strength. Returns whether the
 * key was used (FALSE lets it go on to the focused widget). */
static gboolean navigation_key(GtkWidget *widget, GVariant *args, gpointer data) {
    (void)data;
    RlhfLabelerWindow *self = RLHF_LABELER_WINDOW(widget);
    const char *key = g_variant_get_string(args, NULL);
    gboolean pairs = rlhf_labeler_window_pairs_ready(self);
    gboolean ranking = rlhf_labeler_window_ranking_ready(self);
    if (strcmp(key, "enter") == 0) {
        if (focus_wants_keys(self, FALSE) && !rlhf_labeler_pair_view_rationale_has_focus(self->pair_view)) return FALSE;
        if (ranking || (pairs && rlhf_labeler_pair_view_get_can_submit(self->pair_view))) {
            rlhf_labeler_window_submit(self);
            return TRUE;
        }
        return pairs;   /* an incomplete decision: swallow Enter rather than press a button */
    }
    if (!pairs || focus_wants_keys(self, TRUE)) return FALSE;
    if (strcmp(key, "left") == 0) {
        rlhf_labeler_pair_view_set_choice(self->pair_view, RLHF_UI_CHOICE_A);
        return TRUE;
    }
    if (strcmp(key, "right") == 0) {
        rlhf_labeler_pair_view_set_choice(self->pair_view, RLHF_UI_CHOICE_B);
        return TRUE;
    }
    if (strcmp(key, "up") == 0) return rlhf_labeler_pair_view_step_strength(self->pair_view, 1);
    if (strcmp(key, "down") == 0) return rlhf_labeler_pair_view_step_strength(self->pair_view, -1);
    return FALSE;
}

/* Adds the capture-phase shortcuts for the arrows and Enter (navigation_key) to the window. */
void rlhf_labeler_window_add_navigation_keys(RlhfLabelerWindow *self) {
    static const struct {
        guint keyval;
        const char *key;
    } keys[] = {
        {GDK_KEY_Return, "enter"}, {GDK_KEY_KP_Enter, "enter"}, {GDK_KEY_ISO_Enter, "enter"},
        {GDK_KEY_Left, "left"},    {GDK_KEY_KP_Left, "left"},   {GDK_KEY_Right, "right"},
        {GDK_KEY_KP_Right, "right"}, {GDK_KEY_Up, "up"},        {GDK_KEY_KP_Up, "up"},
        {GDK_KEY_Down, "down"},    {GDK_KEY_KP_Down, "down"},
    };
    GtkEventController *controller = gtk_shortcut_controller_new();
    gtk_event_controller_set_name(controller, "labeler-navigation-keys");
    gtk_event_controller_set_propagation_phase(controller, GTK_PHASE_CAPTURE);
    for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
        GtkShortcut *shortcut = gtk_shortcut_new(gtk_keyval_trigger_new(keys[i].keyval, 0),
                                                 gtk_callback_action_new(navigation_key, NULL, NULL));
        gtk_shortcut_set_arguments(shortcut, g_variant_new_string(keys[i].key));
        gtk_shortcut_controller_add_shortcut(GTK_SHORTCUT_CONTROLLER(controller), shortcut);
    }
    gtk_widget_add_controller(GTK_WIDGET(self), controller);
}

/* ------------------------------------------------------------------ installing them */

/* Installs the "labeler.*" actions and their key bindings; called once from class_init,
 * after the "mode" and "monospace" properties the property actions stand for. */
void rlhf_labeler_window_class_add_actions(GtkWidgetClass *widget_class) {
    gtk_widget_class_install_action(widget_class, "labeler.choose", "s", action_choose);
    gtk_widget_class_install_action(widget_class, "labeler.strength", "i", action_strength);
    gtk_widget_class_install_action(widget_class, "labeler.strength-step", "i", action_strength_step);
    gtk_widget_class_install_action(widget_class, "labeler.key", "i", action_key);
    gtk_widget_class_install_action(widget_class, "labeler.flag", "s", action_flag);
    gtk_widget_class_install_action(widget_class, "labeler.flag-index", "i", action_flag_index);
    gtk_widget_class_install_action(widget_class, "labeler.clear", NULL, action_clear);
    gtk_widget_class_install_action(widget_class, "labeler.focus-rationale", NULL, action_focus_rationale);
    gtk_widget_class_install_action(widget_class, "labeler.submit", NULL, action_submit);
    gtk_widget_class_install_action(widget_class, "labeler.retry", NULL, action_retry);
    gtk_widget_class_install_action(widget_class, "labeler.undo", NULL, action_undo);
    gtk_widget_class_install_action(widget_class, "labeler.rank-move", "(ii)", action_rank_move);
    gtk_widget_class_install_action(widget_class, "labeler.rank-step", "i", action_rank_step);
    gtk_widget_class_install_action(widget_class, "labeler.reload", NULL, action_reload);
    gtk_widget_class_install_action(widget_class, "labeler.switch-annotator", NULL, action_switch_annotator);
    gtk_widget_class_install_action(widget_class, "labeler.about", NULL, action_about);
    gtk_widget_class_install_property_action(widget_class, "labeler.mode", "mode");
    gtk_widget_class_install_property_action(widget_class, "labeler.monospace", "monospace");

    /* Keys. Digits reach the window only when no text entry takes them; arrows and Enter
     * are routed in rlhf_labeler_window_add_navigation_keys(). */
    for (int digit = 1; digit <= 9; digit++) {
        gtk_widget_class_add_binding_action(widget_class, GDK_KEY_0 + digit, 0, "labeler.key", "i", digit);
        gtk_widget_class_add_binding_action(widget_class, GDK_KEY_KP_0 + digit, 0, "labeler.key", "i", digit);
        gtk_widget_class_add_binding_action(widget_class, GDK_KEY_0 + digit, GDK_CONTROL_MASK, "labeler.flag-index",
                                            "i", digit - 1);
    }
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_Escape, 0, "labeler.clear", NULL);
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_z, GDK_CONTROL_MASK, "labeler.undo", NULL);
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_m, GDK_CONTROL_MASK, "labeler.monospace", NULL);
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_l, GDK_CONTROL_MASK, "labeler.focus-rationale", NULL);
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_Up, GDK_ALT_MASK, "labeler.rank-step", "i", -1);
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_Down, GDK_ALT_MASK, "labeler.rank-step", "i", 1);
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_F5, 0, "labeler.reload", NULL);
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_w, GDK_CONTROL_MASK, "window.close", NULL);
}
