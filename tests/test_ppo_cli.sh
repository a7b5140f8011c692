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

# --- errors
expect_error 2 "--minibatches must be from 1 to --batch" "$rlhf" ppo --db "$db" --policy "$work/lm" --reward "$work/rm" \
    --out "$work/x" --batch 4 --minibatches 8
expect_error 2 "is the --policy directory" "$rlhf" ppo --db "$db" --policy "$work/lm" --reward "$work/rm" --out "$work/lm"
expect_error 1 "the policy is a reward model" "$rlhf" ppo --db "$db" --policy "$work/rm" --reward "$work/rm" \
    --out "$work/x" --device cpu
expect_error 1 "not a reward model" "$rlhf" ppo --db "$db" --policy "$work/lm" --reward "$work/lm" --out "$work/x" \
    --device cpu

finish "ppo: all checks passed"
