/* RlhfLabelerApplication: command line and windows. */
#include "labeler-application.h"

#include <stdio.h>

#include "labeler-window.h"

struct _RlhfLabelerApplication {
    AdwApplication parent_instance;

    char *db_path;
    char *annotator;
};

G_DEFINE_FINAL_TYPE(RlhfLabelerApplication, rlhf_labeler_application, ADW_TYPE_APPLICATION)

static const GOptionEntry option_entries[] = {
    {"db", 0, 0, G_OPTION_ARG_FILENAME, NULL, "The preference store to label (an SQLite file made by 'rlhf init')",
     "FILE"},
    {"annotator", 0, 0, G_OPTION_ARG_STRING, NULL, "Label as NAME (created if new) instead of asking on the start page",
     "NAME"},
    {"version", 0, 0, G_OPTION_ARG_NONE, NULL, "Print the version and exit", NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

/* Runs before the application registers: --version prints and exits 0, a missing --db or
 * empty --annotator is an error (exit 2); otherwise keeps the options and returns -1 to go on. */
static gint handle_local_options(GApplication *application, GVariantDict *options) {
    RlhfLabelerApplication *self = RLHF_LABELER_APPLICATION(application);
    if (g_variant_dict_contains(options, "version")) {
        printf("rlhf-labeler %s\n", RLHF_VERSION);
        return 0;
    }
    const char *db = NULL, *annotator = NULL;
    g_variant_dict_lookup(options, "db", "^&ay", &db);
    g_variant_dict_lookup(options, "annotator", "&s", &annotator);
    if (db == NULL || db[0] == '\0') {
        fprintf(stderr, "rlhf-labeler: error: missing --db FILE (see rlhf-labeler --help)\n");
        return 2;
    }
    if (annotator != NULL && annotator[0] == '\0') {
        fprintf(stderr, "rlhf-labeler: error: --annotator needs a name\n");
        return 2;
    }
    g_free(self->db_path);
    self->db_path = g_strdup(db);
    g_free(self->annotator);
    self->annotator = g_strdup(annotator);
    return -1;
}

/* Presents the window (the existing one if any) on --db: a missing or unreadable store gets
 * a window that says why (never an empty new store); --annotator starts labeling at once. */
static void activate(GApplication *application) {
    RlhfLabelerApplication *self = RLHF_LABELER_APPLICATION(application);
    GtkWindow *active = gtk_application_get_active_window(GTK_APPLICATION(application));
    if (active != NULL) {
        gtk_window_present(active);
        return;
    }
    RlhfLabelerWindow *window;
    if (!g_file_test(self->db_path, G_FILE_TEST_IS_REGULAR)) {
        /* Never create an empty store from a typo: labeling one would show nothing. */
        char *message = g_strdup_printf("There is no store at %s. Create one with 'rlhf init --db %s'.",
                                        self->db_path, self->db_path);
        fprintf(stderr, "rlhf-labeler: error: no store at %s\n", self->db_path);
        window = rlhf_labeler_window_new_for_problem(GTK_APPLICATION(application), "No Store Found", message);
        g_free(message);
    } else {
        store *db = NULL;
        rlhf_error error = {{0}};
        if (store_open_existing(&db, self->db_path, &error) != 0) {
            fprintf(stderr, "rlhf-labeler: error: %s\n", error.message);
            window = rlhf_labeler_window_new_for_problem(GTK_APPLICATION(application), "Cannot Open the Store",
                                                         error.message);
        } else {
            window = rlhf_labeler_window_new(GTK_APPLICATION(application), db);
            if (self->annotator != NULL) rlhf_labeler_window_start(window, self->annotator);
        }
    }
    gtk_window_present(GTK_WINDOW(window));
}

/* Binds Ctrl+Q to app.quit. */
static void startup(GApplication *application) {
    G_APPLICATION_CLASS(rlhf_labeler_application_parent_class)->startup(application);
    static const char *quit_accels[] = {"<Control>q", NULL};
    gtk_application_set_accels_for_action(GTK_APPLICATION(application), "app.quit", quit_accels);
}

/* app.quit: asks every window to close; each may refuse while a decision is unsaved. */
static void quit_activated(GSimpleAction *action, GVariant *parameter, gpointer data) {
    (void)action;
    (void)parameter;
    /* Closing each window lets it refuse while a decision is unsaved. */
    GList *windows = gtk_application_get_windows(GTK_APPLICATION(data));
    for (GList *l = windows; l != NULL; l = l->next) gtk_window_close(GTK_WINDOW(l->data));
}

static void rlhf_labeler_application_finalize(GObject *object) {
    RlhfLabelerApplication *self = RLHF_LABELER_APPLICATION(object);
    g_free(self->db_path);
    g_free(self->annotator);
    G_OBJECT_CLASS(rlhf_labeler_application_parent_class)->finalize(object);
}

static void rlhf_labeler_application_class_init(RlhfLabelerApplicationClass *klass) {
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GApplicationClass *application_class = G_APPLICATION_CLASS(klass);
    object_class->finalize = rlhf_labeler_application_finalize;
    application_class->handle_local_options = handle_local_options;
    application_class->activate = activate;
    application_class->startup = startup;
}

static void rlhf_labeler_application_init(RlhfLabelerApplication *self) {
    g_application_add_main_option_entries(G_APPLICATION(self), option_entries);
    g_application_set_option_context_parameter_string(G_APPLICATION(self), "--db FILE [--annotator NAME]");
    g_application_set_option_context_summary(G_APPLICATION(self),
                                             "The rlhf labeling app: compare pairs of model responses (or rank "
                                             "several) and save\neach decision to the preference store.");
    g_application_set_option_context_description(
        G_APPLICATION(self),
        "Usually opened by 'rlhf label --db FILE [--annotator NAME]'. Several copies may label one\n"
        "store at once, one per annotator. Keys: 1-5 choose (A better, tie, B better, both bad,\n"
        "skip), then 1-4 the strength; Enter submits; Ctrl+Z undoes; Ctrl+? lists every key.");
    static const GActionEntry actions[] = {{"quit", quit_activated, NULL, NULL, NULL, {0}}};
    g_action_map_add_action_entries(G_ACTION_MAP(self), actions, G_N_ELEMENTS(actions), self);
}

/* A non-unique application (one copy per annotator) with the labeler's resources. */
RlhfLabelerApplication *rlhf_labeler_application_new(void) {
    return g_object_new(RLHF_TYPE_LABELER_APPLICATION, "application-id", RLHF_LABELER_APPLICATION_ID, "flags",
                        G_APPLICATION_NON_UNIQUE, "resource-base-path", "/org/rlhf/Labeler", NULL);
}
