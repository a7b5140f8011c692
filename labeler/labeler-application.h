/* RlhfLabelerApplication: the rlhf-labeler program: its command line (--db FILE,
 * --annotator NAME, --version, --help) and one window per run. Not a single-instance
 * application: two annotators can run two copies on one store at once. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define RLHF_LABELER_APPLICATION_ID "org.rlhf.Labeler"

#define RLHF_TYPE_LABELER_APPLICATION (rlhf_labeler_application_get_type())
G_DECLARE_FINAL_TYPE(RlhfLabelerApplication, rlhf_labeler_application, RLHF, LABELER_APPLICATION, AdwApplication)

RlhfLabelerApplication *rlhf_labeler_application_new(void);

G_END_DECLS
