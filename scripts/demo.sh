#!/bin/sh
# The main job: install what is missing, build, and run the demo end to end on the shipped
# task (CPU unless a GPU is usable): generate the review corpus, train a tokenizer on it,
# pretrain the `tiny` GPT-2 for a few minutes, sample reviews from the demo prompts, queue
# pairs of completions in a preference store, label them with the scripted annotator (the
# demo's gold preference: more positive is better), and train and evaluate a reward model.
# PPO joins here when it lands.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh

rlhf=./build/cli/rlhf
out=${RLHF_DEMO_OUT:-demo-out}
steps=${RLHF_DEMO_STEPS:-1500}
mkdir -p "$out"
demo_start=$(date +%s)
stage_start=$demo_start
first_stage=1
# stage TITLE: says how long the previous stage took, then prints the new stage's title.
stage() {
    now=$(date +%s)
    [ "$first_stage" -eq 1 ] || echo "   ($((now - stage_start)) s)"
    first_stage=0
    stage_start=$now
    echo "== $*"
}

stage "1. the demo corpus: generated product, film and place reviews of every sentiment"
$rlhf demo corpus --out "$out/corpus.txt" --size-mb 8 --seed 1
$rlhf demo prompts --out "$out/prompts.jsonl" --count 12288

stage "2. a byte-level BPE tokenizer with 4096 tokens"
$rlhf tokenizer train --corpus "$out/corpus.txt" --vocab-size 4096 --out "$out/tokenizer"

stage "3. pretrain the tiny GPT-2 ($steps steps of 16 x 128 tokens; a few minutes on 2 cores)"
$rlhf pretrain --corpus "$out/corpus.txt" --tokenizer "$out/tokenizer" --config tiny \
    --steps "$steps" --batch-size 16 --seq-len 128 --lr 3e-3 --warmup 50 --eval-every 250 \
    --out "$out/policy"

stage "4. samples: the policy continues review openings from the demo prompts"
for prompt in "We booked the Lighthouse Hostel for a work trip and" \
              "Our book club picked Glass Bridge this month and" \
              "Sproutbase is a note-taking app for phones and tablets."; do
    $rlhf sample --model "$out/policy" --prompt "$prompt" --n 3 --max-new-tokens 60 --temperature 0.8 --seed 1
done

stage "5. the preference store: 2 completions for each of 12,288 review openings, one pair each"
# Many distinct completions teach the reward model more than many pairs of few completions:
# with 256 prompts x 6 completions (all 15 pairs each) it learned to tell the 1,536 texts apart
# (held-out gold agreement 0.60); docs/REWARD-MODEL.md has the measurements.
rm -f "$out/prefs.db" "$out/prefs.db-wal" "$out/prefs.db-shm"
$rlhf init --db "$out/prefs.db"
$rlhf prompts import "$out/prompts.jsonl" --db "$out/prefs.db"
$rlhf generate --db "$out/prefs.db" --model "$out/policy" --per-prompt 2 --max-new-tokens 48 --batch-prompts 64

stage "6. the scripted annotator labels the queue (Bradley-Terry at temperature 0.05)"
$rlhf label --db "$out/prefs.db" --oracle sentiment --noise 0.05
$rlhf stats --db "$out/prefs.db"

stage "7. a reward model on the labels (the policy's trunk plus a scalar head), keeping the best validation loss"
$rlhf rm train --db "$out/prefs.db" --model "$out/policy" --out "$out/reward" --epochs 2 --batch-pairs 16 \
    --lr 3e-4 --warmup 20 --eval-every 400 --keep best
$rlhf rm eval --db "$out/prefs.db" --model "$out/reward" --plot "$out/reward-calibration.png"
stage "the reward model's view of two reviews"
$rlhf rm score --model "$out/reward" --prompt "Our book club picked Glass Bridge this month and" \
    --response " it is wonderful. The ending is unforgettable."
$rlhf rm score --model "$out/reward" --prompt "Our book club picked Glass Bridge this month and" \
    --response " it is dreadful. The ending is a chore."
echo "   ($(( $(date +%s) - stage_start )) s)"
echo "demo finished in $(( $(date +%s) - demo_start )) s; everything is in $out"
