/* labeler-decision: the annotator's choice as the window shows it, and its mapping to the
 * store. On screen "A" is always the response shown on the left and "B" the one on the
 * right; the store names the pair's completions instead (completion_a / completion_b), and
 * the store randomised which of them is shown on the left (store_pair.left_is_a). */
#pragma once

#include <glib.h>

#include "rlhf/store.h"

G_BEGIN_DECLS

typedef enum {
    RLHF_UI_CHOICE_NONE,
    RLHF_UI_CHOICE_A,        /* "a": the left response is better */
    RLHF_UI_CHOICE_TIE,      /* "tie" */
    RLHF_UI_CHOICE_B,        /* "b": the right response is better */
    RLHF_UI_CHOICE_BOTH_BAD, /* "both-bad" */
    RLHF_UI_CHOICE_SKIP,     /* "skip" */
} RlhfUiChoice;

/* The action parameter names: "", "a", "tie", "b", "both-bad", "skip". */
const char *rlhf_ui_choice_to_string(RlhfUiChoice choice);
gboolean rlhf_ui_choice_from_string(const char *text, RlhfUiChoice *choice);

/* The choice key: 1 A, 2 tie, 3 B, 4 both bad, 5 skip (0 for none). */
RlhfUiChoice rlhf_ui_choice_from_key(int key);

/* Whether the choice says one side is better (and so takes a strength). */
gboolean rlhf_ui_choice_is_side(RlhfUiChoice choice);

/* The store's choice for what the annotator chose on screen. */
store_choice rlhf_ui_choice_to_store(RlhfUiChoice choice, gboolean left_is_a);
/* And back: what the screen showed for a stored choice. */
RlhfUiChoice rlhf_ui_choice_from_store(store_choice choice, gboolean left_is_a);

/* "factually-wrong" or "factually_wrong" -> "Factually wrong" (newly allocated). */
char *rlhf_flag_display_name(const char *flag);

/* Short and long names of a strength (1..4): "Negligibly", "negligibly better". */
const char *rlhf_strength_short_name(int strength);

G_END_DECLS
