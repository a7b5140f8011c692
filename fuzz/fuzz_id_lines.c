/* Fuzzes the token-id file reader (util/id_lines.c: rlhf_id_lines_read), once with any
 * non-negative id allowed and once with a vocabulary of 1000. An accepted file must give
 * lines that partition the ids, each line non-empty and every id in range. */
#include <stdint.h>

#include "fuzz/fuzz_support.h"
#include "rlhf/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_write_input("input", data, size);
    static const int vocab_sizes[2] = {0, 1000};
    for (int i = 0; i < 2; i++) {
        rlhf_error error = {{0}};
        rlhf_id_lines lines;
        if (rlhf_id_lines_read(&lines, path, vocab_sizes[i], &error) != 0) {
            FUZZ_CHECK(error.message[0] != '\0');
            FUZZ_CHECK(lines.ids == NULL && lines.starts == NULL && lines.count == 0);
            continue;
        }
        FUZZ_CHECK(lines.count > 0 && lines.starts[0] == 0 && lines.starts[lines.count] == lines.total);
        for (size_t line = 0; line < lines.count; line++) FUZZ_CHECK(lines.starts[line] < lines.starts[line + 1]);
        for (size_t j = 0; j < lines.total; j++)
            FUZZ_CHECK(lines.ids[j] >= 0 && (vocab_sizes[i] == 0 || lines.ids[j] < vocab_sizes[i]));
        rlhf_id_lines_free(&lines);
    }
    return 0;
}
