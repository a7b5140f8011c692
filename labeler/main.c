/* rlhf-labeler: the labeling app. `rlhf label --db F [--annotator NAME]` runs it. */
#include <locale.h>

#include "labeler-application.h"

int main(int argc, char **argv) {
    setlocale(LC_ALL, "");
    RlhfLabelerApplication *application = rlhf_labeler_application_new();
    int status = g_application_run(G_APPLICATION(application), argc, argv);
    g_object_unref(application);
    return status;
}
