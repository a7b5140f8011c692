/* The rlhf command: dispatches to one file per subcommand. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

typedef struct subcommand {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} subcommand;

static const subcommand subcommands[] = {
    {"demo", cmd_demo, "the demo task: generated reviews, prompts, gold sentiment score"},
    {"tokenizer", cmd_tokenizer, "train, inspect and use a byte-level BPE tokenizer"},
    {"pretrain", cmd_pretrain, "train a language model from scratch on a corpus"},
    {"sft", cmd_sft, "supervised fine-tuning on prompt/response pairs"},
    {"sample", cmd_sample, "generate text from a model"},
    {"ppl", cmd_ppl, "mean next-token loss and perplexity of a text or token ids"},
    {"init", cmd_init, "create or migrate the preference store"},
    {"prompts", cmd_prompts, "import prompts into the store"},
    {"generate", cmd_generate, "sample completions of stored prompts and queue pairs for labeling"},
    {"label", cmd_label, "label the queue: the app for people, or a scripted oracle"},
    {"oracle", cmd_oracle, "the scripted annotator's gold score of a text"},
    {"prefs", cmd_prefs, "import or export preference pairs (TRL JSONL)"},
    {"stats", cmd_stats, "label counts, agreement, gold accuracy, position bias"},
    {"rm", cmd_rm, "reward model: train, eval, score"},
    {"ppo", cmd_ppo, "PPO of a policy against a reward model, with a KL penalty"},
    {"report", cmd_report, "plots of a run's curves"},
};

/* Prints the command's usage and its subcommands to stream. */
static void print_usage(FILE *stream) {
    fprintf(stream,
            "usage: rlhf [--version] [--help] COMMAND [OPTIONS]\n\n"
            "A native toolkit for the whole RLHF loop.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
        fprintf(stream, "  %-12s %s\n", subcommands[i].name, subcommands[i].summary);
    fprintf(stream, "\nrun 'rlhf COMMAND --help' for a command's options.\n");
}

/* rlhf: runs the subcommand named by argv[1] and returns its exit status. */
int main(int argc, char **argv) {
    if (argc < 2) { /* usage, then the one error line every failure ends with */
        print_usage(stderr);
        return cli_usage_error("missing COMMAND");
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        print_usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("rlhf %s\n", RLHF_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
        if (strcmp(argv[1], subcommands[i].name) == 0) return subcommands[i].run(argc - 2, argv + 2);
    return cli_usage_error("unknown %s '%s' (see rlhf --help)", strncmp(argv[1], "-", 1) == 0 ? "option" : "command",
                           argv[1]);
}
