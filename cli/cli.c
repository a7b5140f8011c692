/* Option parsing, error printing and progress bars for the rlhf command. */
#include "cli/cli.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rlhf/nn.h"
#include "rlhf/tokenizer.h"
#include "rlhf/util.h"

/* Prints the usage line, summary and every option with its default to stream. */
void cli_print_help(const cli_command *command, FILE *stream) {
    fprintf(stream, "usage: rlhf %s\n\n%s\n\noptions:\n", command->usage, command->summary);
    for (const cli_option *o = command->options; o && o->name; o++) {
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", o->name, o->value_name ? " " : "", o->value_name ? o->value_name : "");
        fprintf(stream, "  %-24s %s", left, o->help);
        if (o->default_value) fprintf(stream, " (default: %s)", o->default_value);
        fputc('\n', stream);
    }
    fprintf(stream, "  %-24s %s\n", "--help", "show this help");
}

/* Prints one "rlhf: error: ..." line on stderr. */
static void print_error(const char *format, va_list arguments) {
    fputs("rlhf: error: ", stderr);
    vfprintf(stderr, format, arguments);
    fputc('\n', stderr);
}

/* Prints "rlhf: error: ..." and returns 1, the exit status of a failure. */
int cli_fail(const char *format, ...) {
    va_list arguments;
    va_start(arguments, format);
    print_error(format, arguments);
    va_end(arguments);
    return 1;
}

/* Prints "rlhf: error: ..." and returns 2, the exit status of a misused command line. */
int cli_usage_error(const char *format, ...) {
    va_list arguments;
    va_start(arguments, format);
    print_error(format, arguments);
    va_end(arguments);
    return 2;
}

/* Index of the option named name[0 .. length) in command's table, or -1. */
static int option_index(const cli_command *command, const char *name, size_t length) {
    int i = 0;
    for (const cli_option *o = command->options; o && o->name; o++, i++)
        if (strlen(o->name) == length && strncmp(o->name, name, length) == 0) return i;
    return -1;
}

/* Whether value is one of choices ("a|b|c"). */
static bool is_choice(const char *choices, const char *value) {
    size_t length = strlen(value);
    for (const char *at = choices; *at;) {
        const char *end = strchr(at, '|');
        size_t n = end ? (size_t)(end - at) : strlen(at);
        if (n == length && strncmp(at, value, n) == 0) return true;
        if (!end) break;
        at = end + 1;
    }
    return false;
}

/* cli_parse_arguments allowing no positional arguments. */
int cli_parse(const cli_command *command, int argc, char **argv, cli_args *args) {
    return cli_parse_arguments(command, 0, argc, argv, args);
}

/* Parses argv into args (see cli.h): 1 after printing --help, -1 after printing an error, else 0. */
int cli_parse_arguments(const cli_command *command, int max_arguments, int argc, char **argv, cli_args *args) {
    memset(args, 0, sizeof *args);
    args->command = command;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            cli_print_help(command, stdout);
            return 1;
        }
        if (strncmp(arg, "--", 2) != 0 || strlen(arg) == 2) {
            /* a stray word (a forgotten quote, say) must not be ignored */
            if (args->positional_count >= max_arguments || args->positional_count == 8) {
                cli_fail("%s: unexpected argument '%s' (options start with --; see rlhf %s --help)", command->name, arg,
                         command->name);
                return -1;
            }
            args->positional[args->positional_count++] = arg;
            continue;
        }
        const char *name = arg + 2;
        const char *equals = strchr(name, '=');
        size_t length = equals ? (size_t)(equals - name) : strlen(name);
        int index = option_index(command, name, length);
        if (index < 0) {
            cli_fail("%s: unknown option '%.*s' (see rlhf %s --help)", command->name, (int)(length + 2), arg, command->name);
            return -1;
        }
        const cli_option *o = &command->options[index];
        if (o->value_name) {
            if (equals) args->values[index] = equals + 1;
            else if (i + 1 < argc) args->values[index] = argv[++i];
            else {
                cli_fail("%s: option --%s needs a value (%s)", command->name, o->name, o->value_name);
                return -1;
            }
            if (args->given_count == (int)(sizeof args->given_values / sizeof args->given_values[0])) {
                cli_fail("%s: too many options (at most %d values)", command->name, args->given_count);
                return -1;
            }
            args->given_options[args->given_count] = index;
            args->given_values[args->given_count++] = args->values[index];
        } else if (equals) {
            cli_fail("%s: option --%s takes no value", command->name, o->name);
            return -1;
        }
        if (o->value_name && strchr(o->value_name, '|') && !is_choice(o->value_name, args->values[index])) {
            char listed[256];
            size_t used = 0;
            for (const char *c = o->value_name; *c && used + 3 < sizeof listed; c++) {
                if (*c == '|') {
                    listed[used++] = ',';
                    listed[used++] = ' ';
                } else {
                    listed[used++] = *c;
                }
            }
            listed[used] = '\0';
            cli_fail("%s: --%s must be one of %s; got '%s'", command->name, o->name, listed, args->values[index]);
            return -1;
        }
        args->present[index] = true;
    }
    return 0;
}

/* The option's value as given, else its default (NULL when neither). */
const char *cli_string(const cli_args *args, const char *name) {
    int index = option_index(args->command, name, strlen(name));
    if (index < 0) return NULL;
    return args->present[index] ? args->values[index] : args->command->options[index].default_value;
}

/* Every value of a repeatable option in command-line order: the first most into values; returns how
 * many were given. */
int cli_strings(const cli_args *args, const char *name, const char **values, int most) {
    int index = option_index(args->command, name, strlen(name)), given = 0;
    for (int i = 0; index >= 0 && i < args->given_count; i++)
        if (args->given_options[i] == index) {
            if (given < most) values[given] = args->given_values[i];
            given++;
        }
    return given;
}

/* Whether the flag was given. */
bool cli_flag(const cli_args *args, const char *name) {
    int index = option_index(args->command, name, strlen(name));
    return index >= 0 && args->present[index];
}

/* "%.6g" of x into text, or "null" when x is not finite; returns text. */
const char *cli_json_number_text(char text[32], double x) {
    if (isfinite(x)) snprintf(text, 32, "%.6g", x);
    else snprintf(text, 32, "null");
    return text;
}

/* A JSON real, or null when x is not finite. */
json_t *cli_json_number(double x) { return isfinite(x) ? json_real(x) : json_null(); }

/* png's stem (its ".png" dropped, any case) + suffix into path; -1 (error set) when it would be cut
 * short. */
int cli_png_sibling(char *path, size_t size, const char *png, const char *suffix, rlhf_error *error) {
    size_t stem = strlen(png);
    if (stem > 4 && strcasecmp(png + stem - 4, ".png") == 0) stem -= 4;
    int written = snprintf(path, size, "%.*s%s", (int)stem, png, suffix);
    if (written < 0 || (size_t)written >= size) {
        if (size > 0) path[0] = '\0';
        rlhf_error_set(error, "%s: the name of the picture beside it (%s) would be longer than %zu bytes", png, suffix,
                       size - 1);
        return -1;
    }
    return 0;
}

/* Reports an option value outside its range and returns 2. */
int cli_refuse(const char *command, const char *name, const char *wanted, double value) {
    return cli_usage_error("%s: --%s must be %s, got %g", command, name, wanted, value);
}

/* Refuses --lr <= 0 and negative --warmup, --weight-decay or --grad-clip (returns 2), else 0. */
int cli_check_optimizer(const char *command, const nn_lr_schedule *schedule, const nn_adamw_config *adamw) {
    /* cli_float has already refused nan and infinities */
    if (!(schedule->peak > 0)) return cli_refuse(command, "lr", "a finite number above 0", schedule->peak);
    if (schedule->warmup_steps < 0) return cli_refuse(command, "warmup", "at least 0", schedule->warmup_steps);
    if (!(adamw->weight_decay >= 0)) return cli_refuse(command, "weight-decay", "at least 0", adamw->weight_decay);
    if (!(adamw->max_grad_norm >= 0))
        return cli_refuse(command, "grad-clip", "at least 0 (0: off)", adamw->max_grad_norm);
    return 0;
}

/* Whether a missing option was already reported: a command that checks several required
 * options in a row then fails with one error line, not one per missing option. */
static bool missing_option_reported;

/* The option's value, or NULL after reporting it missing (only the first missing option of a run is
 * reported). */
const char *cli_require(const cli_args *args, const char *name) {
    const char *value = cli_string(args, name);
    if (!value && !missing_option_reported) {
        cli_fail("%s: missing --%s (see rlhf %s --help)", args->command->name, name, args->command->name);
        missing_option_reported = true;
    }
    return value;
}

/* The option as a whole decimal long into *out; -1 after printing why when it is missing or not one. */
int cli_long(const cli_args *args, const char *name, long *out) {
    const char *text = cli_string(args, name);
    if (!text) {
        cli_fail("%s: missing --%s", args->command->name, name);
        return -1;
    }
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno == ERANGE && end != text && !*end) { /* an integer, too large for any option */
        cli_fail("%s: --%s is out of range (%s)", args->command->name, name, text);
        return -1;
    }
    if (errno || end == text || *end) {
        cli_fail("%s: --%s expects an integer, got '%s'", args->command->name, name, text);
        return -1;
    }
    *out = value;
    return 0;
}

/* cli_long limited to the int range. */
int cli_int(const cli_args *args, const char *name, int *out) {
    long value;
    if (cli_long(args, name, &value) != 0) return -1;
    if (value < -2147483647L || value > 2147483647L) {
        cli_fail("%s: --%s is out of range (%ld)", args->command->name, name, value);
        return -1;
    }
    *out = (int)value;
    return 0;
}

/* The option as a finite float into *out; -1 after printing why (nan, inf and a non-zero value that
 * reads as 0 are refused). */
int cli_float(const cli_args *args, const char *name, float *out) {
    const char *text = cli_string(args, name);
    if (!text) {
        cli_fail("%s: missing --%s", args->command->name, name);
        return -1;
    }
    char *end;
    errno = 0;
    float value = strtof(text, &end);
    /* no option of rlhf takes nan or inf; an underflow to a denormal (1e-39) is a usable
     * finite number, but one all the way to 0 (1e-50) is refused, since 0 can mean "off"
     * (--top-p), the opposite of a tiny value; an overflow is inf and refused */
    if (errno == ERANGE && value == 0.0f && end != text && !*end) {
        cli_fail("%s: --%s %s is too small for a 32-bit float (it would read as 0)", args->command->name, name, text);
        return -1;
    }
    if ((errno && errno != ERANGE) || end == text || *end || !isfinite(value)) {
        cli_fail("%s: --%s expects a finite number, got '%s'", args->command->name, name, text);
        return -1;
    }
    *out = value;
    return 0;
}

/* Starts a progress bar of total steps, drawn only when stderr is a terminal. */
void cli_progress_start(cli_progress *progress, long total) {
    progress->enabled = isatty(STDERR_FILENO);
    progress->total = total;
    progress->start = rlhf_seconds();
    progress->last_draw = 0.0;
}

/* Redraws the bar at done steps with detail and an estimate of the time left, at most ten times a
 * second. */
void cli_progress_update(cli_progress *progress, long done, const char *detail) {
    if (!progress->enabled) return;
    double now = rlhf_seconds();
    if (done < progress->total && now - progress->last_draw < 0.1) return;
    progress->last_draw = now;
    int width = 30;
    int filled = progress->total > 0 ? (int)(width * done / progress->total) : width;
    char bar[64];
    for (int i = 0; i < width; i++) bar[i] = i < filled ? '#' : '-';
    bar[width] = '\0';
    double elapsed = now - progress->start;
    double eta = done > 0 ? elapsed * (double)(progress->total - done) / (double)done : 0.0;
    fprintf(stderr, "\r[%s] %ld/%ld %s %.0fs left  ", bar, done, progress->total, detail ? detail : "", eta);
    fflush(stderr);
}

/* Ends the bar's line. */
void cli_progress_finish(cli_progress *progress) {
    if (progress->enabled) fputc('\n', stderr);
}

/* Selects the backend, checks dir is a finished model directory, loads its tokenizer and model; prints
 * and returns 1 on failure. */
int cli_load_model(const char *dir, const char *device_option, tokenizer **tok, gpt_model *model, const char **device) {
    rlhf_error error;
    const nn_backend *backend = nn_backend_select(device_option, device, &error);
    if (!backend) return cli_fail("%s", error.message);
    /* what is wrong with the directory itself first, before what it lacks */
    struct stat info;
    if (stat(dir, &info) != 0) return cli_fail("%s: %s (a model is a directory)", dir, strerror(errno));
    if (!S_ISDIR(info.st_mode))
        return cli_fail("%s: not a directory (a model is a directory: config.json, model.safetensors and the tokenizer)",
                        dir);
    if (nn_run_check_finished(dir, &error) != 0) return cli_fail("%s", error.message);
    if (tokenizer_load(tok, dir, &error) != 0) return cli_fail("%s", error.message);
    if (gpt_load(model, dir, backend, &error) != 0) {
        tokenizer_free(*tok);
        *tok = NULL;
        return cli_fail("%s", error.message);
    }
    return 0;
}

/* Prints a command group's usage and members. */
static void print_group_usage(FILE *stream, const char *group, const char *description, const cli_subcommand *members,
                              int count) {
    fprintf(stream, "usage: rlhf %s COMMAND [OPTIONS]\n\n%s\n\ncommands:\n", group, description);
    for (int i = 0; i < count; i++) fprintf(stream, "  %-8s %s\n", members[i].name, members[i].summary);
    fprintf(stream, "\nrun 'rlhf %s COMMAND --help' for a command's options.\n", group);
}

/* Runs the member named by argv[0] with the arguments after it, or prints the group's usage (0 for
 * --help, 2 otherwise). */
int cli_dispatch(const char *group, const char *description, const cli_subcommand *members, int count, int argc,
                 char **argv) {
    if (argc < 1) { /* usage, then the one error line every failure ends with */
        print_group_usage(stderr, group, description, members, count);
        return cli_usage_error("%s: missing COMMAND", group);
    }
    if (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "help") == 0) {
        print_group_usage(stdout, group, description, members, count);
        return 0;
    }
    for (int i = 0; i < count; i++)
        if (strcmp(argv[0], members[i].name) == 0) return members[i].run(argc - 1, argv + 1);
    return cli_usage_error("%s: unknown %s '%s' (see rlhf %s --help)", group,
                           strncmp(argv[0], "-", 1) == 0 ? "option" : "command", argv[0], group);
}
