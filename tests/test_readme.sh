#!/bin/sh
# The README's commands, run: every ```sh block after the first (the first is the two set-up
# commands, which are this test suite and the demo themselves), in order, in one scratch
# folder, with the sizes shortened (the table below) so the whole README runs in about a
# minute. A command that fails fails the test, naming the block's line, so the README
# cannot drift from what the commands accept.
# Usage: test_readme.sh README RLHF_BINARY RLHF_BENCH_BINARY
set -u
readme=$1
rlhf=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
bench=$(cd "$(dirname "$3")" && pwd)/$(basename "$3")
fixtures=""
. "$(dirname "$0")/shell_support.sh"
export OMP_NUM_THREADS=2

# The shortenings: the README's sizes -> a test's. Each must match somewhere, so a README edit
# that drops one is noticed here.
shorten='s|--size-mb 8|--size-mb 0.3|
s|--count 12288|--count 96|
s|--vocab-size 4096|--vocab-size 512|
s|--steps 1350|--steps 30|
s|--steps 25|--steps 2|
s|--steps 300|--steps 10|
s|--limit 2048|--limit 48|
s|--eval-every 400|--eval-every 20|
s|--config gpt2 -B 4 -T 256|--config tiny -B 2 -T 32 --steps 1|'

# the blocks, each to its own file, with the line it starts on
awk -v dir="$work" '
    /^```sh$/ { block++; inside = 1; if (block > 1) { file = dir "/block" block ".sh"; print "# README line " NR > file }; next }
    /^```$/ && inside { inside = 0; if (block > 1) close(file); next }
    inside && block > 1 { print > file }
' "$readme"
ls "$work"/block*.sh > /dev/null 2>&1 || fail "no sh blocks after the first in $readme"
for pattern in $(echo "$shorten" | sed 's/^s|\([^|]*\)|.*/\1/' | tr ' ' '@'); do
    grep -q -- "$(echo "$pattern" | tr '@' ' ')" "$work"/block*.sh ||
        fail "the shortening of '$(echo "$pattern" | tr '@' ' ')' matches no README command (update this test)"
done

# what the blocks read that the README assumes is there: token-id files for "--ids"
awk 'BEGIN { srand(5); for (l = 0; l < 200; l++) { line = ""; for (i = 0; i < 32; i++) line = line " " int(rand() * 256); print line } }' \
    > "$work/train.txt"
head -n 20 "$work/train.txt" > "$work/heldout.txt"

cd "$work" || exit 1
for block in $(ls block*.sh | sort -V); do
    start=$(head -n 1 "$block")
    # backslash continuations joined, the binaries and sizes replaced
    sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$block" | sed "$shorten" |
        sed "s|build/cli/rlhf|$rlhf|g; s|build/bench/rlhf-bench|$bench|g" > "run-$block"
    while IFS= read -r line; do
        case $line in "" | "#"*) continue ;; esac
        if ! sh -c "$line" > out.txt 2> err.txt; then
            fail "$start: '$line' failed: $(tail -n 3 err.txt)"
            break
        fi
    done < "run-$block"
done
finish "README: every command ran"
