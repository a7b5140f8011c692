/* RlhfLabelerPairView: a pair on screen and the decision being drafted for it. */
#include "labeler-pair-view.h"

#include "labeler-util.h"

#include "labeler-response-view.h"

struct _RlhfLabelerPairView {
    GtkWidget parent_instance;

    /* template children */
    GtkScrolledWindow *prompt_scroller;
    GtkLabel *prompt_label;
    RlhfLabelerResponseView *response_a;
    RlhfLabelerResponseView *response_b;
    GtkWidget *decision_box;  /* everything the annotator decides with, locked while saving */
    GtkWidget *choice_box;
    GtkWidget *strength_box;
    GtkLabel *strength_title;
    GtkWidget *flags_box;
    GtkEntry *rationale_entry;
    GtkWidget *submit_button;
    GtkSpinner *submit_spinner;
    GtkLabel *hint_label;

    /* the draft */
    RlhfUiChoice choice;
    int strength;
    GPtrArray *flag_names;    /* char *, the store's order */
    GPtrArray *flag_buttons;  /* GtkToggleButton *, parallel to flag_names */
};

G_DEFINE_FINAL_TYPE(RlhfLabelerPairView, rlhf_labeler_pair_view, GTK_TYPE_WIDGET)

enum { PROP_0, PROP_CHOICE, PROP_STRENGTH, PROP_RATIONALE, PROP_CAN_SUBMIT, N_PROPS };
static GParamSpec *properties[N_PROPS];

/* Brings the view in line with the draft: which step is highlighted (choice or strength),
 * the strength question, the preferred response and the hint line. */
static void update_stage(RlhfLabelerPairView *self) {
    gboolean side = rlhf_ui_choice_is_side(self->choice);
    gtk_widget_set_sensitive(self->strength_box, side);
    if (side && self->strength == 0) {
        gtk_widget_add_css_class(self->strength_box, "current-stage");
        gtk_widget_remove_css_class(self->choice_box, "current-stage");
    } else if (self->choice == RLHF_UI_CHOICE_NONE) {
        gtk_widget_add_css_class(self->choice_box, "current-stage");
        gtk_widget_remove_css_class(self->strength_box, "current-stage");
    } else {
        gtk_widget_remove_css_class(self->choice_box, "current-stage");
        gtk_widget_remove_css_class(self->strength_box, "current-stage");
    }

    const char *side_name = self->choice == RLHF_UI_CHOICE_B ? "B" : "A";
    char *title = g_strdup_printf("How much better is %s?", side_name);
    gtk_label_set_text(self->strength_title, title);
    g_free(title);

    rlhf_labeler_response_view_set_preferred(self->response_a, self->choice == RLHF_UI_CHOICE_A);
    rlhf_labeler_response_view_set_preferred(self->response_b, self->choice == RLHF_UI_CHOICE_B);

    const char *hint;
    if (self->choice == RLHF_UI_CHOICE_NONE)
        hint = "Which response is better? Press 1–5, or ← for A and → for B";
    else if (side && self->strength == 0)
        hint = "How much better? Press 1–4 (or ↑ ↓) · Esc changes the choice";
    else
        hint = "Press Enter to submit · Esc changes the choice · Ctrl+Z undoes the last label";
    gtk_label_set_text(self->hint_label, hint);
}

/* After a draft change: updates the view and notifies choice / strength (when they changed)
 * and can-submit. */
static void notify_draft(RlhfLabelerPairView *self, gboolean choice, gboolean strength) {
    update_stage(self);
    if (choice) g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_CHOICE]);
    if (strength) g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_STRENGTH]);
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_CAN_SUBMIT]);
}

RlhfUiChoice rlhf_labeler_pair_view_get_choice(RlhfLabelerPairView *self) {
    g_return_val_if_fail(RLHF_IS_LABELER_PAIR_VIEW(self), RLHF_UI_CHOICE_NONE);
    return self->choice;
}

/* Sets the choice; one that is not A or B drops the strength. */
void rlhf_labeler_pair_view_set_choice(RlhfLabelerPairView *self, RlhfUiChoice choice) {
    g_return_if_fail(RLHF_IS_LABELER_PAIR_VIEW(self));
    if (self->choice == choice) return;
    self->choice = choice;
    gboolean strength_changed = FALSE;
    if (!rlhf_ui_choice_is_side(choice) && self->strength != 0) {
        self->strength = 0;
        strength_changed = TRUE;
    }
    notify_draft(self, TRUE, strength_changed);
}

int rlhf_labeler_pair_view_get_strength(RlhfLabelerPairView *self) {
    g_return_val_if_fail(RLHF_IS_LABELER_PAIR_VIEW(self), 0);
    return self->strength;
}

/* Sets the strength (0..4; 1..4 only while A or B is chosen); FALSE if refused. */
gboolean rlhf_labeler_pair_view_set_strength(RlhfLabelerPairView *self, int strength) {
    g_return_val_if_fail(RLHF_IS_LABELER_PAIR_VIEW(self), FALSE);
    if (strength < 0 || strength > 4) return FALSE;
    if (strength != 0 && !rlhf_ui_choice_is_side(self->choice)) return FALSE;
    if (self->strength != strength) {
        self->strength = strength;
        notify_draft(self, FALSE, TRUE);
    }
    return TRUE;
}

/* Position of the flag called name among the toggles, or -1. */
static int flag_index(RlhfLabelerPairView *self, const char *name) {
    for (guint i = 0; i < self->flag_names->len; i++)
        if (g_strcmp0(g_ptr_array_index(self->flag_names, i), name) == 0) return (int)i;
    return -1;
}

/* Flips the flag toggle at index (0-based); FALSE when there is none. */
gboolean rlhf_labeler_pair_view_toggle_flag_index(RlhfLabelerPairView *self, int index) {
    g_return_val_if_fail(RLHF_IS_LABELER_PAIR_VIEW(self), FALSE);
    if (index < 0 || (guint)index >= self->flag_buttons->len) return FALSE;
    GtkToggleButton *button = g_ptr_array_index(self->flag_buttons, index);
    gtk_toggle_button_set_active(button, !gtk_toggle_button_get_active(button));
    return TRUE;
}

gboolean rlhf_labeler_pair_view_toggle_flag(RlhfLabelerPairView *self, const char *name) {
    g_return_val_if_fail(RLHF_IS_LABELER_PAIR_VIEW(self), FALSE);
    return rlhf_labeler_pair_view_toggle_flag_index(self, flag_index(self, name));
}

/* Whether the flag called name is set (FALSE for an unknown flag). */
gboolean rlhf_labeler_pair_view_get_flag(RlhfLabelerPairView *self, const char *name) {
    g_return_val_if_fail(RLHF_IS_LABELER_PAIR_VIEW(self), FALSE);
    int index = flag_index(self, name);
    return index >= 0 && gtk_toggle_button_get_active(g_ptr_array_index(self->flag_buttons, index));
}

/* The flags set, in the store's order (NULL-terminated; g_strfreev it). */
char **rlhf_labeler_pair_view_dup_flags(RlhfLabelerPairView *self) {
    g_return_val_if_fail(RLHF_IS_LABELER_PAIR_VIEW(self), NULL);
    GStrvBuilder *builder = g_strv_builder_new();
    for (guint i = 0; i < self->flag_buttons->len; i++)
        if (gtk_toggle_button_get_active(g_ptr_array_index(self->flag_buttons, i)))
            g_strv_builder_add(builder, g_ptr_array_index(self->flag_names, i));
    char **flags = g_strv_builder_end(builder);
    g_strv_builder_unref(builder);
    return flags;
}

const char *rlhf_labeler_pair_view_get_rationale(RlhfLabelerPairView *self) {
    g_return_val_if_fail(RLHF_IS_LABELER_PAIR_VIEW(self), NULL);
    return gtk_editable_get_text(GTK_EDITABLE(self->rationale_entry));
}

void rlhf_labeler_pair_view_set_rationale(RlhfLabelerPairView *self, const char *rationale) {
    g_return_if_fail(RLHF_IS_LABELER_PAIR_VIEW(self));
    gtk_editable_set_text(GTK_EDITABLE(self->rationale_entry), rationale != NULL ? rationale : "");
}

/* Whether the draft is complete: a choice, and a strength if it is A or B. */
gboolean rlhf_labeler_pair_view_get_can_submit(RlhfLabelerPairView *self) {
    g_return_val_if_fail(RLHF_IS_LABELER_PAIR_VIEW(self), FALSE);
    if (self->choice == RLHF_UI_CHOICE_NONE) return FALSE;
    return !rlhf_ui_choice_is_side(self->choice) || self->strength != 0;
}

/* Replaces the whole draft (choice, strength, flags, rationale), as after an undo. */
void rlhf_labeler_pair_view_set_draft(RlhfLabelerPairView *self, RlhfUiChoice choice, int strength,
                                      const char *const *flags, const char *rationale) {
    g_return_if_fail(RLHF_IS_LABELER_PAIR_VIEW(self));
    rlhf_labeler_pair_view_set_choice(self, choice);
    rlhf_labeler_pair_view_set_strength(self, rlhf_ui_choice_is_side(choice) ? strength : 0);
    for (guint i = 0; i < self->flag_buttons->len; i++) {
        const char *name = g_ptr_array_index(self->flag_names, i);
        gboolean active = flags != NULL && g_strv_contains(flags, name);
        gtk_toggle_button_set_active(g_ptr_array_index(self->flag_buttons, i), active);
    }
    rlhf_labeler_pair_view_set_rationale(self, rationale);
}

void rlhf_labeler_pair_view_clear_draft(RlhfLabelerPairView *self) {
    rlhf_labeler_pair_view_set_draft(self, RLHF_UI_CHOICE_NONE, 0, NULL, NULL);
}

/* Shows prompt and the two responses (made displayable) and starts an empty draft. */
void rlhf_labeler_pair_view_set_pair(RlhfLabelerPairView *self, const char *prompt, const char *left_text,
                                     const char *right_text) {
    g_return_if_fail(RLHF_IS_LABELER_PAIR_VIEW(self));
    char *shown_prompt = rlhf_labeler_displayable_text(prompt);
    gtk_label_set_text(self->prompt_label, shown_prompt);
    g_free(shown_prompt);
    rlhf_labeler_response_view_set_text(self->response_a, left_text);
    rlhf_labeler_response_view_set_text(self->response_b, right_text);
    rlhf_labeler_pair_view_clear_draft(self);
}

/* Replaces the flag toggles by one per name (Ctrl+1..9 for the first nine); none set. */
void rlhf_labeler_pair_view_set_flag_kinds(RlhfLabelerPairView *self, const char *const *names, int count) {
    g_return_if_fail(RLHF_IS_LABELER_PAIR_VIEW(self));
    for (guint i = 0; i < self->flag_buttons->len; i++)
        gtk_box_remove(GTK_BOX(self->flags_box), g_ptr_array_index(self->flag_buttons, i));
    g_ptr_array_set_size(self->flag_buttons, 0);
    g_ptr_array_set_size(self->flag_names, 0);
    for (int i = 0; i < count; i++) {
        char *display = rlhf_flag_display_name(names[i]);
        GtkWidget *button = gtk_toggle_button_new_with_label(display);
        gtk_widget_set_focus_on_click(button, FALSE);
        gtk_widget_add_css_class(button, "flag");
        char *tooltip = i < 9 ? g_strdup_printf("Flag: %s (Ctrl+%d)", display, i + 1)
                              : g_strdup_printf("Flag: %s", display);
        gtk_widget_set_tooltip_text(button, tooltip);
        char *accessible = g_strdup_printf("Flag as %s", display);
        gtk_accessible_update_property(GTK_ACCESSIBLE(button), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);
        if (i < 9) {
            char *shortcut = g_strdup_printf("Control+%d", i + 1);
            gtk_accessible_update_property(GTK_ACCESSIBLE(button), GTK_ACCESSIBLE_PROPERTY_KEY_SHORTCUTS, shortcut, -1);
            g_free(shortcut);
        }
        gtk_box_append(GTK_BOX(self->flags_box), button);
        g_ptr_array_add(self->flag_buttons, button);
        g_ptr_array_add(self->flag_names, g_strdup(names[i]));
        g_free(accessible);
        g_free(tooltip);
        g_free(display);
    }
    gtk_widget_set_visible(self->flags_box, count > 0);
}

void rlhf_labeler_pair_view_set_monospace(RlhfLabelerPairView *self, gboolean monospace) {
    g_return_if_fail(RLHF_IS_LABELER_PAIR_VIEW(self));
    rlhf_labeler_response_view_set_monospace(self->response_a, monospace);
    rlhf_labeler_response_view_set_monospace(self->response_b, monospace);
}

/* A digit key: the strength once A or B is chosen, else the choice (1..5); whether it did. */
gboolean rlhf_labeler_pair_view_press_digit(RlhfLabelerPairView *self, int digit) {
    g_return_val_if_fail(RLHF_IS_LABELER_PAIR_VIEW(self), FALSE);
    if (rlhf_ui_choice_is_side(self->choice)) return rlhf_labeler_pair_view_set_strength(self, digit) && digit != 0;
    RlhfUiChoice choice = rlhf_ui_choice_from_key(digit);
    if (choice == RLHF_UI_CHOICE_NONE) return FALSE;
    rlhf_labeler_pair_view_set_choice(self, choice);
    return TRUE;
}

/* One step stronger (+) or weaker (-), starting from the middle; only while A or B is chosen. */
gboolean rlhf_labeler_pair_view_step_strength(RlhfLabelerPairView *self, int delta) {
    g_return_val_if_fail(RLHF_IS_LABELER_PAIR_VIEW(self), FALSE);
    if (!rlhf_ui_choice_is_side(self->choice)) return FALSE;
    int strength = self->strength == 0 ? (delta > 0 ? 3 : 2) : CLAMP(self->strength + delta, 1, 4);
    return rlhf_labeler_pair_view_set_strength(self, strength);
}

/* Esc: drops the choice (and with it any strength); FALSE when there was none. */
gboolean rlhf_labeler_pair_view_step_back(RlhfLabelerPairView *self) {
    g_return_val_if_fail(RLHF_IS_LABELER_PAIR_VIEW(self), FALSE);
    if (self->choice == RLHF_UI_CHOICE_NONE) return FALSE;
    rlhf_labeler_pair_view_set_choice(self, RLHF_UI_CHOICE_NONE);
    return TRUE;
}

void rlhf_labeler_pair_view_focus_rationale(RlhfLabelerPairView *self) {
    g_return_if_fail(RLHF_IS_LABELER_PAIR_VIEW(self));
    gtk_widget_grab_focus(GTK_WIDGET(self->rationale_entry));
}

/* Whether the keyboard focus is in the rationale entry. */
gboolean rlhf_labeler_pair_view_rationale_has_focus(RlhfLabelerPairView *self) {
    g_return_val_if_fail(RLHF_IS_LABELER_PAIR_VIEW(self), FALSE);
    GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));
    GtkWidget *focus = root != NULL ? gtk_root_get_focus(root) : NULL;
    return focus != NULL && (focus == GTK_WIDGET(self->rationale_entry) ||
                             gtk_widget_is_ancestor(focus, GTK_WIDGET(self->rationale_entry)));
}

/* While saving: the decision controls locked and a spinner on Submit. */
void rlhf_labeler_pair_view_set_saving(RlhfLabelerPairView *self, gboolean saving) {
    g_return_if_fail(RLHF_IS_LABELER_PAIR_VIEW(self));
    /* a change made while the decision is being written would never be stored */
    gtk_widget_set_sensitive(self->decision_box, !saving);
    gtk_spinner_set_spinning(self->submit_spinner, saving);
    gtk_widget_set_visible(GTK_WIDGET(self->submit_spinner), saving);
}

/* The response view of side 0 (A, left) or 1 (B, right). */
GtkWidget *rlhf_labeler_pair_view_get_response(RlhfLabelerPairView *self, int side) {
    g_return_val_if_fail(RLHF_IS_LABELER_PAIR_VIEW(self), NULL);
    return GTK_WIDGET(side == 0 ? self->response_a : self->response_b);
}

/* Enter in the rationale entry submits, as the window's Enter does. */
static void rationale_activated(GtkEntry *entry, RlhfLabelerPairView *self) {
    (void)entry;
    gtk_widget_activate_action(GTK_WIDGET(self), "labeler.submit", NULL);
}

static void rationale_changed(RlhfLabelerPairView *self) {
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_RATIONALE]);
}

static void rlhf_labeler_pair_view_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec) {
    RlhfLabelerPairView *self = RLHF_LABELER_PAIR_VIEW(object);
    switch (prop_id) {
    case PROP_CHOICE: g_value_set_string(value, rlhf_ui_choice_to_string(self->choice)); break;
    case PROP_STRENGTH: g_value_set_int(value, self->strength); break;
    case PROP_RATIONALE: g_value_set_string(value, rlhf_labeler_pair_view_get_rationale(self)); break;
    case PROP_CAN_SUBMIT: g_value_set_boolean(value, rlhf_labeler_pair_view_get_can_submit(self)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void rlhf_labeler_pair_view_set_property(GObject *object, guint prop_id, const GValue *value,
                                                GParamSpec *pspec) {
    RlhfLabelerPairView *self = RLHF_LABELER_PAIR_VIEW(object);
    switch (prop_id) {
    case PROP_CHOICE: {
        RlhfUiChoice choice;
        if (rlhf_ui_choice_from_string(g_value_get_string(value), &choice))
            rlhf_labeler_pair_view_set_choice(self, choice);
        else
            g_warning("unknown choice '%s'", g_value_get_string(value));
        break;
    }
    case PROP_STRENGTH: rlhf_labeler_pair_view_set_strength(self, g_value_get_int(value)); break;
    case PROP_RATIONALE: rlhf_labeler_pair_view_set_rationale(self, g_value_get_string(value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

/* Forgets the flag toggles before the template's children (which hold them) go. */
static void rlhf_labeler_pair_view_dispose(GObject *object) {
    RlhfLabelerPairView *self = RLHF_LABELER_PAIR_VIEW(object);
    if (self->flag_buttons != NULL) g_ptr_array_set_size(self->flag_buttons, 0);
    gtk_widget_dispose_template(GTK_WIDGET(object), RLHF_TYPE_LABELER_PAIR_VIEW);
    GtkWidget *child;
    while ((child = gtk_widget_get_first_child(GTK_WIDGET(object))) != NULL) gtk_widget_unparent(child);
    G_OBJECT_CLASS(rlhf_labeler_pair_view_parent_class)->dispose(object);
}

static void rlhf_labeler_pair_view_finalize(GObject *object) {
    RlhfLabelerPairView *self = RLHF_LABELER_PAIR_VIEW(object);
    g_ptr_array_unref(self->flag_buttons);
    g_ptr_array_unref(self->flag_names);
    G_OBJECT_CLASS(rlhf_labeler_pair_view_parent_class)->finalize(object);
}

static void rlhf_labeler_pair_view_class_init(RlhfLabelerPairViewClass *klass) {
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

    object_class->get_property = rlhf_labeler_pair_view_get_property;
    object_class->set_property = rlhf_labeler_pair_view_set_property;
    object_class->dispose = rlhf_labeler_pair_view_dispose;
    object_class->finalize = rlhf_labeler_pair_view_finalize;

    properties[PROP_CHOICE] = g_param_spec_string("choice", NULL, NULL, "",
                                                  G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
    properties[PROP_STRENGTH] = g_param_spec_int("strength", NULL, NULL, 0, 4, 0,
                                                 G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
    properties[PROP_RATIONALE] = g_param_spec_string(
        "rationale", NULL, NULL, "", G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
    properties[PROP_CAN_SUBMIT] =
        g_param_spec_boolean("can-submit", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(object_class, N_PROPS, properties);

    g_type_ensure(RLHF_TYPE_LABELER_RESPONSE_VIEW);
    gtk_widget_class_set_template_from_resource(widget_class, "/org/rlhf/Labeler/labeler-pair-view.ui");
    gtk_widget_class_bind_template_child(widget_class, RlhfLabelerPairView, prompt_scroller);
    gtk_widget_class_bind_template_child(widget_class, RlhfLabelerPairView, prompt_label);
    gtk_widget_class_bind_template_child(widget_class, RlhfLabelerPairView, response_a);
    gtk_widget_class_bind_template_child(widget_class, RlhfLabelerPairView, response_b);
    gtk_widget_class_bind_template_child(widget_class, RlhfLabelerPairView, decision_box);
    gtk_widget_class_bind_template_child(widget_class, RlhfLabelerPairView, choice_box);
    gtk_widget_class_bind_template_child(widget_class, RlhfLabelerPairView, strength_box);
    gtk_widget_class_bind_template_child(widget_class, RlhfLabelerPairView, strength_title);
    gtk_widget_class_bind_template_child(widget_class, RlhfLabelerPairView, flags_box);
    gtk_widget_class_bind_template_child(widget_class, RlhfLabelerPairView, rationale_entry);
    gtk_widget_class_bind_template_child(widget_class, RlhfLabelerPairView, submit_button);
    gtk_widget_class_bind_template_child(widget_class, RlhfLabelerPairView, submit_spinner);
    gtk_widget_class_bind_template_child(widget_class, RlhfLabelerPairView, hint_label);
    gtk_widget_class_bind_template_callback(widget_class, rationale_activated);
    gtk_widget_class_bind_template_callback(widget_class, rationale_changed);

    /* The buttons' actions: radio-like, their state is the draft's. */
    gtk_widget_class_install_property_action(widget_class, "pair.choice", "choice");
    gtk_widget_class_install_property_action(widget_class, "pair.strength", "strength");

    gtk_widget_class_set_css_name(widget_class, "pairview");
}

static void rlhf_labeler_pair_view_init(RlhfLabelerPairView *self) {
    self->flag_names = g_ptr_array_new_with_free_func(g_free);
    self->flag_buttons = g_ptr_array_new();
    gtk_widget_init_template(GTK_WIDGET(self));
    rlhf_labeler_scroll_only_when_needed(self->prompt_scroller);
    update_stage(self);
}
