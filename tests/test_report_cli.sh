#!/bin/sh
# rlhf report as a user runs it: two reward-model runs trained on a tiny model, overlaid with
# --run given twice and as a list (a PNG of three panels abreast, JSON listing both runs),
# rm eval --plot's curves of one run, and the errors: an unknown run id (named, exit 1, no
# file), a bad or repeated id (exit 2).  Usage: test_report_cli.sh RLHF_BINARY FIXTURES_DIR
set -u
rlhf=$1
fixtures=$2
. "$(dirname "$0")/shell_support.sh"
# the model is tiny: one thread trains it in a second, where OpenMP's threads spinning
# against other work on a busy machine take many
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1

EXPECT_ONE_LINE=1 # every error here is one line

# png_size FILE: "WIDTH HEIGHT" from the PNG's IHDR chunk, or nothing when FILE does not
# start with the PNG signature.
png_size() {
    [ "$(od -An -tx1 -N8 "$1" | tr -d ' \n')" = "89504e470d0a1a0a" ] || return 0
    od -An -tu1 -j16 -N8 "$1" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4, $5 * 16777216 + $6 * 65536 + $7 * 256 + $8 }'
}

# --- a tiny policy, 30 preference pairs, two reward-model runs (ids 1 and 2)
tiny_policy "$work/lm"
i=0
while [ $i -lt 30 ]; do
    i=$((i + 1))
    echo "{\"prompt\": \"Room $i was\", \"chosen\": \" clean and quiet, $i stars\", \"rejected\": \" dirty $i\"}"
done > "$work/prefs.jsonl"
db="$work/runs.db"
"$rlhf" init --db "$db" > /dev/null && "$rlhf" prefs import "$work/prefs.jsonl" --db "$db" > /dev/null || fail "store"
for batch in 2 4; do
    "$rlhf" rm train --db "$db" --model "$work/lm" --out "$work/rm$batch" --epochs 2 --batch-pairs $batch --max-length 32 \
        --val-percent 30 --norm-samples 0 --device cpu --json > "$work/rm$batch.json" 2> "$work/rm$batch.err" || fail "rm train --batch-pairs $batch"
done
[ "$(json_value run_id "$work/rm2.json") $(json_value run_id "$work/rm4.json")" = "1 2" ] ||
    fail "rm train run ids: $(cat "$work/rm2.json" "$work/rm4.json")"

# --- two runs overlaid: loss, accuracy and learning rate panels, three abreast (1560 wide)
"$rlhf" report --db "$db" --run 1 --run 2 --out "$work/two.png" --json > "$work/two.json" || fail "report --run 1 --run 2"
grep -q '"runs": \[{"id": 1, "kind": "rm", "metrics": 5}, {"id": 2, "kind": "rm", "metrics": 5}\]' "$work/two.json" &&
    [ "$(json_value run "$work/two.json")" = 1 ] || fail "report --json does not list both runs: $(cat "$work/two.json")"
size=$(png_size "$work/two.png")
[ "${size% *}" = 1560 ] || fail "two.png is not a PNG of three panels abreast: '$size'"
"$rlhf" report --db "$db" --run 2,1 --out "$work/list.png" > "$work/list.txt" || fail "report --run 2,1"
grep -q "^wrote $work/list.png (2 runs, 10 metrics)$" "$work/list.txt" && [ -n "$(png_size "$work/list.png")" ] ||
    fail "report --run 2,1: $(cat "$work/list.txt")"
"$rlhf" report --db "$db" --run 2 --out "$work/one.png" > "$work/one.txt" && [ -n "$(png_size "$work/one.png")" ] ||
    fail "report of one run"
ls -A "$work" | grep -q '\.tmp\.' && fail "a temporary file was left: $(ls "$work")"

# --- rm eval --plot draws the run's curves beside the reliability diagram
"$rlhf" rm eval --db "$db" --model "$work/rm2" --split all --plot "$work/eval.png" --device cpu > /dev/null || fail "rm eval --plot"
[ "$(png_size "$work/eval-curves.png")" = "$(png_size "$work/one.png")" ] ||
    fail "rm eval's curves ($(png_size "$work/eval-curves.png")) differ in size from report's ($(png_size "$work/one.png"))"

# --- errors: the unknown id is named and nothing is written; bad or repeated ids are refused
expect_error 1 "no run 999" "$rlhf" report --db "$db" --run 1 --run 999 --out "$work/none.png"
expect_error 1 "no run 7" "$rlhf" report --db "$db" --run 7,1 --out "$work/none.png"
[ -e "$work/none.png" ] && fail "report with an unknown run wrote a picture"
expect_error 2 "--run expects run ids (as 3 or 3,4), got '1,x'" "$rlhf" report --db "$db" --run 1,x --out "$work/none.png"
expect_error 2 "run 1 is given twice" "$rlhf" report --db "$db" --run 1 --run 1 --out "$work/none.png"
expect_error 2 "missing --run" "$rlhf" report --db "$db" --out "$work/none.png"
"$rlhf" report --help | grep -q -- "--run ID \[--run ID ...\]" || fail "report --help does not show repeated --run"

finish "report: all checks passed"
