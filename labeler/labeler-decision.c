/* labeler-decision: on-screen choices and their store equivalents. */
#include "labeler-decision.h"

#include <string.h>

static const char *const choice_names[] = {"", "a", "tie", "b", "both-bad", "skip"};

/* The action parameter name of choice; "" for none or an unknown value. */
const char *rlhf_ui_choice_to_string(RlhfUiChoice choice) {
    if ((int)choice < 0 || (size_t)choice >= G_N_ELEMENTS(choice_names)) return "";
    return choice_names[choice];
}

/* Parses an action parameter name into *choice; FALSE (choice untouched) for an unknown one. */
gboolean rlhf_ui_choice_from_string(const char *text, RlhfUiChoice *choice) {
    if (text == NULL) return FALSE;
    for (size_t i = 0; i < G_N_ELEMENTS(choice_names); i++)
        if (strcmp(text, choice_names[i]) == 0) {
            *choice = (RlhfUiChoice)i;
            return TRUE;
        }
    return FALSE;
}

/* The choice digit key (1..5) means; RLHF_UI_CHOICE_NONE for any other. */
RlhfUiChoice rlhf_ui_choice_from_key(int key) {
    return key >= 1 && key <= 5 ? (RlhfUiChoice)key : RLHF_UI_CHOICE_NONE;
}

gboolean rlhf_ui_choice_is_side(RlhfUiChoice choice) {
    return choice == RLHF_UI_CHOICE_A || choice == RLHF_UI_CHOICE_B;
}

/* The store's choice (completion a or b) for a side on screen; none and skip are a skip. */
store_choice rlhf_ui_choice_to_store(RlhfUiChoice choice, gboolean left_is_a) {
    switch (choice) {
    case RLHF_UI_CHOICE_A: return left_is_a ? STORE_CHOICE_A : STORE_CHOICE_B;
    case RLHF_UI_CHOICE_B: return left_is_a ? STORE_CHOICE_B : STORE_CHOICE_A;
    case RLHF_UI_CHOICE_TIE: return STORE_CHOICE_TIE;
    case RLHF_UI_CHOICE_BOTH_BAD: return STORE_CHOICE_BOTH_BAD;
    case RLHF_UI_CHOICE_SKIP:
    case RLHF_UI_CHOICE_NONE:
    default: return STORE_CHOICE_SKIP;
    }
}

/* The on-screen side for a stored choice, given which completion was shown on the left. */
RlhfUiChoice rlhf_ui_choice_from_store(store_choice choice, gboolean left_is_a) {
    switch (choice) {
    case STORE_CHOICE_A: return left_is_a ? RLHF_UI_CHOICE_A : RLHF_UI_CHOICE_B;
    case STORE_CHOICE_B: return left_is_a ? RLHF_UI_CHOICE_B : RLHF_UI_CHOICE_A;
    case STORE_CHOICE_TIE: return RLHF_UI_CHOICE_TIE;
    case STORE_CHOICE_BOTH_BAD: return RLHF_UI_CHOICE_BOTH_BAD;
    case STORE_CHOICE_SKIP:
    default: return RLHF_UI_CHOICE_SKIP;
    }
}

/* A flag name for people: '-' and '_' become spaces, first letter capitalised (g_free it). */
char *rlhf_flag_display_name(const char *flag) {
    char *name = g_strdup(flag != NULL ? flag : "");
    for (char *p = name; *p; p++)
        if (*p == '-' || *p == '_') *p = ' ';
    if (name[0] != '\0' && g_ascii_islower(name[0])) name[0] = g_ascii_toupper(name[0]);
    return name;
}

/* "Negligibly" .. "Significantly" for strength 1..4; "" otherwise. */
const char *rlhf_strength_short_name(int strength) {
    switch (strength) {
    case 1: return "Negligibly";
    case 2: return "Slightly";
    case 3: return "Better";
    case 4: return "Significantly";
    default: return "";
    }
}
