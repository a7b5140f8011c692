#!/bin/sh
# The main job: install what is missing, build, and run the whole RLHF loop on the shipped
# demo task (CPU unless a GPU is usable), two rounds on one preference store:
#   round 1: generate the review corpus, train a tokenizer on it, pretrain the `tiny` GPT-2,
#            sample two completions per review opening into the store, label the pairs with
#            the scripted annotator (the demo's gold preference: more positive is better),
#            train and evaluate a reward model, then PPO against it (gold score measured);
#   round 2: sample the PPO policy's completions into the same store, label them, train the
#            reward model again on all labels, and run PPO again from the round-one policy.
# It ends with one table and $RLHF_DEMO_OUT/summary.json (rlhf demo summary).
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh

rlhf=./build/cli/rlhf
out=${RLHF_DEMO_OUT:-demo-out}
steps=${RLHF_DEMO_STEPS:-1350}
ppo_steps=${RLHF_DEMO_PPO_STEPS:-25}
round2_prompts=${RLHF_DEMO_ROUND2_PROMPTS:-2048}
mkdir -p "$out"
demo_start=$(date +%s)
stage_start=$demo_start
first_stage=1
stage_name=""
: > "$out/stages.tsv"
# stage NAME TITLE: says how long the previous stage took (and records it in stages.tsv for
# the summary), then prints the new stage's title.
stage() {
    now=$(date +%s)
    if [ "$first_stage" -eq 0 ]; then
        echo "   ($((now - stage_start)) s)"
        printf '%s\t%s\n' "$((now - stage_start))" "$stage_name" >> "$out/stages.tsv"
    fi
    first_stage=0
    stage_start=$now
    stage_name=$1
    shift
    echo "== $*"
}

stage corpus "1. the demo corpus: generated product, film and place reviews of every sentiment"
$rlhf demo corpus --out "$out/corpus.txt" --size-mb 8 --seed 1
$rlhf demo prompts --out "$out/prompts.jsonl" --count 12288

stage tokenizer "2. a byte-level BPE tokenizer with 4096 tokens"
$rlhf tokenizer train --corpus "$out/corpus.txt" --vocab-size 4096 --out "$out/tokenizer"

stage pretrain "3. pretrain the tiny GPT-2 ($steps steps of 16 x 128 tokens; a few minutes on 2 cores)"
$rlhf pretrain --corpus "$out/corpus.txt" --tokenizer "$out/tokenizer" --config tiny \
    --steps "$steps" --batch-size 16 --seq-len 128 --lr 3e-3 --warmup 50 --eval-every 250 \
    --out "$out/policy"

stage samples "4. samples: the policy continues review openings from the demo prompts"
for prompt in "We booked the Lighthouse Hostel for a work trip and" \
              "Our book club picked Glass Bridge this month and" \
              "Sproutbase is a note-taking app for phones and tablets."; do
    $rlhf sample --model "$out/policy" --prompt "$prompt" --n 3 --max-new-tokens 60 --temperature 0.8 --seed 1
done

stage generate "5. the preference store: 2 completions for each of 12,288 review openings, one pair each"
# Many distinct completions teach the reward model more than many pairs of few completions:
# with 256 prompts x 6 completions (all 15 pairs each) it learned to tell the 1,536 texts apart
# (held-out gold agreement 0.60); docs/REWARD-MODEL.md has the measurements.
rm -f "$out/prefs.db" "$out/prefs.db-wal" "$out/prefs.db-shm"
$rlhf init --db "$out/prefs.db"
$rlhf prompts import "$out/prompts.jsonl" --db "$out/prefs.db"
$rlhf generate --db "$out/prefs.db" --model "$out/policy" --per-prompt 2 --max-new-tokens 48 --batch-prompts 64

stage label "6. the scripted annotator labels the queue (Bradley-Terry at temperature 0.05)"
$rlhf label --db "$out/prefs.db" --oracle sentiment --noise 0.05
$rlhf stats --db "$out/prefs.db"

stage rm "7. a reward model on the labels (the policy's trunk plus a scalar head), keeping the best validation loss"
mkdir -p "$out/round1" "$out/round2"
$rlhf rm train --db "$out/prefs.db" --model "$out/policy" --out "$out/round1/reward" --epochs 2 --batch-pairs 16 \
    --lr 3e-4 --warmup 20 --eval-every 400 --keep best
# (its figures, with the unigram baseline's, are in rm-eval.json and the summary at the end)
$rlhf rm eval --db "$out/prefs.db" --model "$out/round1/reward" --plot "$out/round1/reward-calibration.png" --json \
    > "$out/round1/rm-eval.json"
echo "the reward model's view of two reviews:"
$rlhf rm score --model "$out/round1/reward" --prompt "Our book club picked Glass Bridge this month and" \
    --response " it is wonderful. The ending is unforgettable."
$rlhf rm score --model "$out/round1/reward" --prompt "Our book club picked Glass Bridge this month and" \
    --response " it is dreadful. The ending is a chore."

stage ppo "8. PPO against the reward model, held near the pretrained policy by a KL penalty (gold score measured)"
$rlhf ppo --db "$out/prefs.db" --policy "$out/policy" --reward "$out/round1/reward" --out "$out/round1/ppo" \
    --steps "$ppo_steps" --lr 3e-5 --value-lr 3e-5 --eval-every 10 --gold sentiment --json > "$out/round1/ppo.json"
run=$(sed -n 's/^{"run":\([0-9]*\).*/\1/p' "$out/round1/ppo.json")
$rlhf report --db "$out/prefs.db" --run "$run" --out "$out/round1/ppo.png"

stage generate2 "9. round 2: the PPO policy's completions for $round2_prompts openings go into the same store, and are labeled"
$rlhf generate --db "$out/prefs.db" --model "$out/round1/ppo" --per-prompt 2 --max-new-tokens 48 --batch-prompts 64 \
    --limit "$round2_prompts" --seed 2
$rlhf label --db "$out/prefs.db" --oracle sentiment --noise 0.05

stage rm2 "10. round 2: the reward model again, on all labels, from the round-one policy"
$rlhf rm train --db "$out/prefs.db" --model "$out/round1/ppo" --out "$out/round2/reward" --epochs 1 --batch-pairs 16 \
    --lr 3e-4 --warmup 20 --eval-every 400 --keep best
$rlhf rm eval --db "$out/prefs.db" --model "$out/round2/reward" --plot "$out/round2/reward-calibration.png" --json \
    > "$out/round2/rm-eval.json"

stage ppo2 "11. round 2: PPO again, from the round-one policy, against the new reward model"
$rlhf ppo --db "$out/prefs.db" --policy "$out/round1/ppo" --reward "$out/round2/reward" --out "$out/round2/ppo" \
    --steps "$ppo_steps" --lr 3e-5 --value-lr 3e-5 --eval-every 10 --gold sentiment --json > "$out/round2/ppo.json"
run2=$(sed -n 's/^{"run":\([0-9]*\).*/\1/p' "$out/round2/ppo.json")
$rlhf report --db "$out/prefs.db" --run "$run2" --out "$out/round2/ppo.png"
$rlhf report --db "$out/prefs.db" --run "$run" --run "$run2" --out "$out/ppo-rounds.png"

stage summary "the loop in one table (also in $out/summary.json)"
$rlhf demo summary --dir "$out"
echo "demo finished in $(( $(date +%s) - demo_start )) s; everything is in $out"
