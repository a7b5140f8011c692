/* Shared pieces of the rlhf command: option parsing, errors, progress bars.
 * Only cli/ prints to the terminal. */
#ifndef RLHF_CLI_H
#define RLHF_CLI_H

#include <stdbool.h>
#include <stdio.h>

/* One option a subcommand accepts. value_name NULL means a flag without a value. */
typedef struct cli_option {
    const char *name;        /* without the leading dashes */
    const char *value_name;  /* e.g. "DIR"; NULL for a flag */
    const char *help;
    const char *default_value;
} cli_option;

typedef struct cli_command {
    const char *name;        /* e.g. "pretrain" */
    const char *usage;       /* one line after "rlhf " */
    const char *summary;
    const cli_option *options;  /* terminated by a zero entry */
} cli_command;

/* Parsed command line: values by option index (an option given twice keeps its last
 * value); positional arguments in order; every value of every option in command-line order,
 * for options that may be repeated (cli_strings). */
typedef struct cli_args {
    const cli_command *command;
    const char *values[64];
    bool present[64];
    const char *positional[8];
    int positional_count;
    const char *given_values[64];
    int given_options[64];   /* option index of given_values[i] */
    int given_count;
} cli_args;

/* Parses argv (after the subcommand name). Prints help and returns 1 for --help;
 * returns -1 after printing an error; 0 on success. An option whose value_name lists its
 * values ("auto|cpu|cuda") takes only those. Any argument that is not an option is refused
 * (a forgotten quote must not pass unnoticed); cli_parse_arguments takes up to
 * max_arguments of them, in args->positional. */
int cli_parse(const cli_command *command, int argc, char **argv, cli_args *args);
int cli_parse_arguments(const cli_command *command, int max_arguments, int argc, char **argv, cli_args *args);
void cli_print_help(const cli_command *command, FILE *stream);

/* A command group's members (rlhf tokenizer train|encode|decode, rlhf rm ...). */
typedef struct cli_subcommand {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} cli_subcommand;

/* Runs the member named by argv[0], or prints the group's usage (to stdout for --help,
 * exit 0; to stderr when missing, exit 2; an unknown name is a misused command line too,
 * exit 2). */
int cli_dispatch(const char *group, const char *description, const cli_subcommand *members, int count, int argc,
                 char **argv);

/* Option accessors: the value given, else the default. cli_int / cli_float fail (print
 * and return -1) on text that is not a number. */
const char *cli_string(const cli_args *args, const char *name);
/* Every value given to option name, in order (--run 3 --run 4: "3", "4"): the first `most`
 * into values; returns how many were given (0 when none, whatever its default). */
int cli_strings(const cli_args *args, const char *name, const char **values, int most);
bool cli_flag(const cli_args *args, const char *name);
int cli_int(const cli_args *args, const char *name, int *out);
int cli_long(const cli_args *args, const char *name, long *out);
int cli_float(const cli_args *args, const char *name, float *out); /* finite numbers only */
/* Fails with "missing --NAME" when an option without default was not given (only the first
 * missing option of a run is reported, so a command fails with one error line). */
const char *cli_require(const cli_args *args, const char *name);

/* Reports an option value outside its range: "COMMAND: --NAME must be WANTED, got VALUE".
 * Returns 2, the exit status of a misused command line. */
int cli_refuse(const char *command, const char *name, const char *wanted, double value);
struct nn_lr_schedule;
struct nn_adamw_config;
/* Checks the optimiser options every training command shares (--lr above 0,
 * --warmup, --weight-decay and --grad-clip at least 0); reports the first bad one with
 * cli_refuse and returns 2, or returns 0. */
int cli_check_optimizer(const char *command, const struct nn_lr_schedule *schedule,
                        const struct nn_adamw_config *adamw);

/* A number for --json output where NaN or infinity means "no such value": "%.6g" written
 * into text (returned), or "null". */
const char *cli_json_number_text(char text[32], double x);
struct json_t;
/* The same as a jansson value: a real, or JSON null. */
struct json_t *cli_json_number(double x);

/* The file beside a picture: png with its ".png" (any case) replaced by suffix, or suffix
 * appended when it has none (plot.png, "-curves.png" -> plot-curves.png), into path[size];
 * -1 with error set when it would not fit, so a cut-short name is never written. */
struct rlhf_error;
int cli_png_sibling(char *path, size_t size, const char *png, const char *suffix, struct rlhf_error *error);

/* Prints "rlhf: error: MESSAGE" on stderr. Returns 1, the exit status to use. */
int cli_fail(const char *format, ...) __attribute__((format(printf, 1, 2)));
/* The same for a misused command line (wrong or missing options). Returns 2. */
int cli_usage_error(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* Loads a model directory (model and its tokenizer) on the backend named by --device.
 * Prints the error and returns the exit status (1) on failure, 0 on success; *device gets
 * the backend's name. */
struct tokenizer;
struct gpt_model;
int cli_load_model(const char *dir, const char *device_option, struct tokenizer **tokenizer, struct gpt_model *model,
                   const char **device);

/* A progress bar on stderr, drawn only when stderr is a terminal. */
typedef struct cli_progress {
    bool enabled;
    long total;
    double start;
    double last_draw;
} cli_progress;
void cli_progress_start(cli_progress *progress, long total);
void cli_progress_update(cli_progress *progress, long done, const char *detail);
void cli_progress_finish(cli_progress *progress);

/* Subcommands. Each takes argc/argv after its name and returns the exit status. */
int cmd_pretrain(int argc, char **argv);
int cmd_ppl(int argc, char **argv);
int cmd_tokenizer(int argc, char **argv);
int cmd_sample(int argc, char **argv);
int cmd_sft(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_demo_summary(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_prompts(int argc, char **argv);
int cmd_prefs(int argc, char **argv);
int cmd_generate(int argc, char **argv);
int cmd_label(int argc, char **argv);
int cmd_oracle(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_ppo(int argc, char **argv);
int cmd_report(int argc, char **argv);

#endif
