# What the shell tests share (sourced, after they set their own arguments): a scratch
# folder $work removed on exit, fail (prints and counts a failure), expect_error, json_value
# and close for one-line JSON results, tiny_policy, and finish (the last line and the exit status).

work=$(mktemp -d "/tmp/rlhf-$(basename "$0" .sh)-XXXXXX")
trap 'rm -rf "$work"' EXIT
failures=0

# fail MESSAGE...: prints "FAIL: MESSAGE" (backslashes kept) and counts it.
fail() {
    printf 'FAIL: %s\n' "$*"
    failures=$((failures + 1))
}

# json_value KEY FILE: the first value after "KEY": in the file (a number or a string's
# text), in reading order: a top-level key that a nested object repeats later is found.
json_value() {
    awk -v key="\"$1\":" '{
        at = index($0, key)
        if (at) { rest = substr($0, at + length(key)); sub(/^ *"?/, "", rest); match(rest, /[^",}]*/); print substr(rest, RSTART, RLENGTH); exit }
    }' "$2"
}

# close A B TOLERANCE: whether |A - B| <= TOLERANCE * |B| (both numbers: an empty value or
# a word such as null is never close).
close() {
    awk -v a="$1" -v b="$2" -v tolerance="$3" \
        'BEGIN { number = "^[-+]?[0-9.]+([eE][-+]?[0-9]+)?$"
                 d = a - b; if (d < 0) d = -d; s = b < 0 ? -b : b; exit !(a ~ number && b ~ number && d <= tolerance * s) }'
}

# expect_error STATUS NEEDLE COMMAND...: the command exits with STATUS and its stderr holds
# an "rlhf: error: ..." line containing NEEDLE (with EXPECT_ONE_LINE=1: stderr is that one
# line and nothing else).
expect_error() {
    want=$1 needle=$2
    shift 2
    "$@" > "$work/out" 2> "$work/err"
    got=$?
    [ "$got" -eq "$want" ] || fail "$* exited $got, expected $want"
    if [ "${EXPECT_ONE_LINE:-0}" = 1 ] && [ "$(wc -l < "$work/err")" -ne 1 ]; then
        fail "$*: stderr is not one error line with '$needle': $(cat "$work/err")"
    else
        grep -q "^rlhf: error: .*$needle" "$work/err" || fail "$*: stderr lacks '$needle': $(cat "$work/err")"
    fi
}

# tiny_policy DIR: a tokenizer (300 tokens) and a `tiny` GPT-2 pretrained for one step on the
# first 20 kB of the fixture corpus, in DIR (a policy directory; the tokenizer also in
# $work/tok, the corpus in $work/corpus.txt). Needs $rlhf and $fixtures.
tiny_policy() {
    head -c 20000 "$fixtures/tokenizer/corpus.txt" > "$work/corpus.txt"
    "$rlhf" tokenizer train --corpus "$work/corpus.txt" --vocab-size 300 --out "$work/tok" > /dev/null ||
        fail "tokenizer train"
    "$rlhf" pretrain --corpus "$work/corpus.txt" --tokenizer "$work/tok" --config tiny --steps 1 --batch-size 2 \
        --seq-len 16 --val-fraction 0 --out "$1" --device cpu --quiet > /dev/null || fail "pretrain"
}

# finish MESSAGE: prints MESSAGE and exits 0 when nothing failed, else the count and exit 1.
finish() {
    if [ "$failures" -eq 0 ]; then
        echo "$1"
        exit 0
    fi
    echo "$failures check(s) failed"
    exit 1
}
