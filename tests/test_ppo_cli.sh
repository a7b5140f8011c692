#!/bin/sh
# rlhf ppo as a user runs it: a tiny policy, a reward model on 40 imported preferences,
# two PPO steps with --json (the keys, before and after evaluations on the held-out
# prompts, a store run of kind ppo with TRL's metric names), the output loading as a policy
# in rlhf sample and the value model as a model with a scalar head, and the errors: a bad
# option value (exit 2), --out equal to --policy, a reward model given as the policy.
# Usage: test_ppo_cli.sh RLHF_BINARY FIXTURES_DIR
set -u
rlhf=$1
fixtures=$2
. "$(dirname "$0")/shell_support.sh"
# the models are tiny: one thread is fastest on a busy machine
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1

# --- a tiny policy, 40 preference pairs, a reward model with its normalisation
tiny_policy "$work/lm"
i=0
while [ $i -lt 40 ]; do
    i=$((i + 1))
    echo "{\"prompt\": \"Room $i was\", \"chosen\": \" clean and quiet\", \"rejected\": \" dirty $i\"}"
done > "$work/prefs.jsonl"
db="$work/ppo.db"
"$rlhf" init --db "$db" > /dev/null && "$rlhf" prefs import "$work/prefs.jsonl" --db "$db" > /dev/null || fail "store"
"$rlhf" rm train --db "$db" --model "$work/lm" --out "$work/rm" --epochs 1 --batch-pairs 8 --max-length 32 \
    --val-percent 30 --norm-samples 8 --device cpu > /dev/null 2>&1 || fail "rm train"

# --- two PPO steps
"$rlhf" ppo --db "$db" --policy "$work/lm" --reward "$work/rm" --out "$work/ppo" --steps 2 --batch 8 --minibatches 2 \
    --ppo-epochs 2 --max-new-tokens 8 --lr 1e-4 --value-lr 1e-4 --eval-prompts 4 --device cpu --json \
    > "$work/ppo.json" 2> "$work/ppo.err" || fail "ppo: $(cat "$work/ppo.err")"
for key in run steps kl score beta eval_before eval_after; do
    grep -q "\"$key\":" "$work/ppo.json" || fail "ppo --json lacks $key: $(cat "$work/ppo.json")"
done
[ "$(json_value steps "$work/ppo.json")" = 2 ] || fail "ppo --json steps: $(cat "$work/ppo.json")"
grep -q '"eval_before":{"score":[-0-9.e]*,"kl":0.0,"length":[0-9.e]*,"gold":null,"samples":\["' "$work/ppo.json" ||
    fail "the policy before training has KL 0 to itself: $(cat "$work/ppo.json")"
run=$(json_value run "$work/ppo.json")
"$rlhf" report --db "$db" --run "$run" --out "$work/ppo.png" --json > "$work/report.json" || fail "report of the ppo run"
grep -q '"kind": "ppo"' "$work/report.json" || fail "the run is not of kind ppo: $(cat "$work/report.json")"
# a PPO run's picture: the seven panels to read first, and the over-optimisation figure beside it
grep -q "\"overoptimisation\": \"$work/ppo-overoptimisation.png\"" "$work/report.json" &&
    [ -s "$work/ppo-overoptimisation.png" ] || fail "report of a PPO run: no over-optimisation figure: $(cat "$work/report.json")"
"$rlhf" report --db "$db" --run "$run" --out "$work/ppo-all.png" --all > /dev/null || fail "report --all"

# --- the demo's summary gathers a round from what rm eval and ppo wrote
mkdir -p "$work/demo/round1"
cp "$work/ppo.json" "$work/demo/round1/ppo.json"
"$rlhf" rm eval --db "$db" --model "$work/rm" --json --device cpu > "$work/demo/round1/rm-eval.json" 2> /dev/null ||
    fail "rm eval for the summary"
printf '12\tpretrain\n3\tppo\n' > "$work/demo/stages.tsv"
"$rlhf" demo summary --dir "$work/demo" > "$work/summary.txt" || fail "demo summary"
summary="$work/demo/summary.json"
[ -s "$summary" ] || fail "demo summary wrote no summary.json"
tr -d ' \n' < "$summary" > "$work/summary.flat"
grep -q "\"rm_accuracy\":$(json_value accuracy "$work/demo/round1/rm-eval.json" | sed 's/\.\([0-9]*[1-9]\)0*$/.\1/')" \
    "$work/summary.flat" || fail "summary rm_accuracy is not rm eval's accuracy: $(cat "$summary")"
grep -q '"gold_before":null' "$work/summary.flat" || fail "summary: gold without --gold: $(cat "$summary")"
grep -q '"total":15' "$work/summary.flat" && grep -q "\"policy\":\"$work/ppo\"" "$work/summary.flat" ||
    fail "summary seconds or policy: $(cat "$summary")"
grep -q "pretrain 12, ppo 3; 15 in all" "$work/summary.txt" || fail "summary table: $(cat "$work/summary.txt")"
printf 'x\tbroken\n' > "$work/demo/stages.tsv"
expect_error 1 "stages.tsv: line 1: expected SECONDS<TAB>STAGE" "$rlhf" demo summary --dir "$work/demo"
expect_error 1 "has no round1 folder" "$rlhf" demo summary --dir "$work/lm"
[ "$(wc -c < "$work/ppo-all.png")" -gt "$(wc -c < "$work/ppo.png")" ] ||
    fail "report --all (every metric) is not larger than the default selection"

# --- the output is a policy; the value model beside it has a scalar head
"$rlhf" sample --model "$work/ppo" --prompt "Room 3 was" --max-new-tokens 4 --seed 1 --device cpu > /dev/null ||
    fail "rlhf sample cannot load the PPO policy"
"$rlhf" rm score --model "$work/ppo/value" --prompt "Room 3 was" --response " clean" --device cpu > /dev/null ||
    fail "the value model does not load as a model with a scalar head"

# --- checkpoints: four steps in one run equal two, stopped (--stop-after), and two resumed, bit
# for bit (policy and value model); a finished run is not resumed; a diverging run stops
# naming its step and keeps the last checkpoint
ppo_run() { # OUT EXTRA...: four steps of a small PPO run into OUT
    out=$1
    shift
    "$rlhf" ppo --db "$db" --policy "$work/lm" --reward "$work/rm" --out "$out" --steps 4 --batch 4 --minibatches 2 \
        --max-new-tokens 6 --lr 1e-3 --value-lr 1e-3 --eval-prompts 0 --device cpu --json "$@"
}
ppo_run "$work/whole" --save-every 1 > "$work/whole.json" || fail "ppo four steps"
ppo_run "$work/parts" --stop-after 2 > "$work/first.json" || fail "ppo --stop-after 2"
grep -q '"steps":2,.*"finished":false' "$work/first.json" || fail "ppo --stop-after: $(cat "$work/first.json")"
# a stopped run is a checkpoint, not a model: no command takes it for a finished policy
expect_error 1 "parts: an unfinished \`rlhf ppo\` run (unfinished.json is there), not a finished model: continue it" \
    "$rlhf" sample --model "$work/parts" --prompt "Room 3 was" --max-new-tokens 2 --device cpu
expect_error 1 "an unfinished \`rlhf ppo\` run" "$rlhf" rm score --model "$work/parts/value" --prompt "Room" \
    --response " clean" --device cpu
ppo_run "$work/parts" --resume > "$work/second.json" || fail "ppo --resume"
# one training, one run: the resumed run continues the stopped one's id and its metrics
[ "$(json_value run "$work/second.json")" = "$(json_value run "$work/first.json")" ] ||
    fail "the resumed PPO run took run $(json_value run "$work/second.json"), not $(json_value run "$work/first.json")"
if command -v sqlite3 > /dev/null; then
    rows=$(sqlite3 "$db" "select status || ' ' || (select count(distinct step) from metrics where run_id = runs.id and name = 'objective/kl') from runs where id = $(json_value run "$work/first.json")")
    [ "$rows" = "finished 4" ] || fail "the resumed PPO run's row: '$rows' (expected finished, 4 steps of objective/kl)"
fi
cmp -s "$work/whole/model.safetensors" "$work/parts/model.safetensors" &&
    cmp -s "$work/whole/value/model.safetensors" "$work/parts/value/model.safetensors" ||
    fail "a resumed PPO run differs from an unbroken one"
[ "$(json_value kl "$work/second.json")" = "$(json_value kl "$work/whole.json")" ] ||
    fail "resumed KL $(json_value kl "$work/second.json") against $(json_value kl "$work/whole.json")"
[ -e "$work/parts/unfinished.json" ] || [ -e "$work/parts/value/unfinished.json" ] &&
    fail "a finished PPO run left its unfinished mark"
expect_error 1 "already done 4 steps and finished" ppo_run "$work/parts" --resume
expect_error 1 "step 1: PPO epoch 1, minibatch 2: the policy loss became non-finite" ppo_run "$work/diverged" --lr 1e30
[ -e "$work/diverged/model.safetensors" ] && fail "a run that diverged at its first step wrote a model"
# diverging later, after a checkpoint: the checkpoint stays, marked unfinished, and resumes
ppo_run "$work/late" --stop-after 1 > /dev/null || fail "ppo --stop-after 1"
expect_error 1 "step 2: PPO epoch 1, minibatch 2: the policy loss became non-finite" ppo_run "$work/late" --resume --lr 1e30
expect_error 1 "an unfinished \`rlhf ppo\` run" "$rlhf" sample --model "$work/late" --prompt "Room" --device cpu
ppo_run "$work/late" --resume > /dev/null || fail "ppo --resume after a diverged resume"
"$rlhf" sample --model "$work/late" --prompt "Room" --max-new-tokens 2 --device cpu > /dev/null ||
    fail "a PPO run finished after a divergence does not load"

# --- a run killed at any moment: its row reads 'interrupted' once the process is gone
if command -v sqlite3 > /dev/null; then
    before=$(sqlite3 "$db" "select coalesce(max(id), 0) from runs")
    # (rlhf itself in the background, not a subshell running ppo_run, so the kill reaches it)
    "$rlhf" ppo --db "$db" --policy "$work/lm" --reward "$work/rm" --out "$work/killed" --steps 50 --batch 4 \
        --minibatches 2 --max-new-tokens 6 --eval-prompts 0 --device cpu > /dev/null 2>&1 &
    killed=$!
    tries=0
    while [ "$(sqlite3 "$db" "select count(*) from runs where id > $before and status = 'running'" 2> /dev/null)" != 1 ] &&
        [ $tries -lt 200 ]; do
        sleep 0.05
        tries=$((tries + 1))
    done
    kill -9 $killed
    wait $killed 2> /dev/null
    "$rlhf" stats --db "$db" > /dev/null || fail "stats after a killed run"
    status=$(sqlite3 "$db" "select status from runs where id > $before")
    [ "$status" = interrupted ] || fail "a killed PPO run reads '$status', not 'interrupted'"
    # (a checkpoint's config.json is only ever written after the mark)
    [ -e "$work/killed/config.json" ] &&
        expect_error 1 "an unfinished \`rlhf ppo\` run" "$rlhf" sample --model "$work/killed" --prompt "Room" --device cpu
fi

# --- errors
expect_error 2 "--minibatches must be from 1 to --batch" "$rlhf" ppo --db "$db" --policy "$work/lm" --reward "$work/rm" \
    --out "$work/x" --batch 4 --minibatches 8
expect_error 2 "is the --policy directory" "$rlhf" ppo --db "$db" --policy "$work/lm" --reward "$work/rm" --out "$work/lm"
expect_error 1 "the policy is a reward model" "$rlhf" ppo --db "$db" --policy "$work/rm" --reward "$work/rm" \
    --out "$work/x" --device cpu
expect_error 1 "not a reward model" "$rlhf" ppo --db "$db" --policy "$work/lm" --reward "$work/lm" --out "$work/x" \
    --device cpu

finish "ppo: all checks passed"
