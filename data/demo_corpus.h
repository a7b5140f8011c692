/* Internal to data/ (and its tests): what the generator meant to say in its last review. */
#ifndef RLHF_DATA_DEMO_CORPUS_H
#define RLHF_DATA_DEMO_CORPUS_H

#include "rlhf/demo.h"

/* The sum of the sentiment values of the phrases the generator put into its last review,
 * and how many sentiment units they hold, as the scorer counts them phrase by phrase. The
 * scorer's demo_sentiment_raw on the whole review must give the same: the templates around
 * the phrases are neutral and never reach into them. */
void demo_generator_intended(const demo_generator *generator, double *sum, int *units);

#endif
