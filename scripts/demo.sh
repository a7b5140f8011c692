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

echo "== 1. the demo corpus: generated product, film and place reviews of every sentiment"
$rlhf demo corpus --out "$out/corpus.txt" --size-mb 8 --seed 1
$rlhf demo prompts --out "$out/prompts.jsonl"

echo "== 2. a byte-level BPE tokenizer with 4096 tokens"
$rlhf tokenizer train --corpus "$out/corpus.txt" --vocab-size 4096 --out "$out/tokenizer"

echo "== 3. pretrain the tiny GPT-2 ($steps steps of 16 x 128 tokens; a few minutes on 2 cores)"
$rlhf pretrain --corpus "$out/corpus.txt" --tokenizer "$out/tokenizer" --config tiny \
    --steps "$steps" --batch-size 16 --seq-len 128 --lr 3e-3 --warmup 50 --eval-every 250 \
    --out "$out/policy"

echo "== 4. samples: the policy continues review openings from the demo prompts"
for prompt in "We booked the Lighthouse Hostel for a work trip and" \
              "Our book club picked Glass Bridge this month and" \
              "Sproutbase is a note-taking app for phones and tablets."; do
    $rlhf sample --model "$out/policy" --prompt "$prompt" --n 3 --max-new-tokens 60 --temperature 0.8 --seed 1
done

echo "== 5. the preference store: 6 completions per demo prompt, all 15 pairs of each queued"
rm -f "$out/prefs.db" "$out/prefs.db-wal" "$out/prefs.db-shm"
$rlhf init --db "$out/prefs.db"
$rlhf prompts import "$out/prompts.jsonl" --db "$out/prefs.db"
$rlhf generate --db "$out/prefs.db" --model "$out/policy" --per-prompt 6 --max-new-tokens 48 --batch-prompts 16

echo "== 6. the scripted annotator labels the queue (Bradley-Terry at temperature 0.05)"
$rlhf label --db "$out/prefs.db" --oracle sentiment --noise 0.05
$rlhf stats --db "$out/prefs.db"

echo "== 7. a reward model on the labels (the policy's trunk plus a scalar head)"
$rlhf rm train --db "$out/prefs.db" --model "$out/policy" --out "$out/reward" --epochs 3 --batch-pairs 16 \
    --lr 1e-4 --warmup 20
$rlhf rm eval --db "$out/prefs.db" --model "$out/reward" --plot "$out/reward-calibration.png"
echo "== the reward model's view of two reviews"
$rlhf rm score --model "$out/reward" --prompt "Our book club picked Glass Bridge this month and" \
    --response " it is wonderful. The ending is unforgettable."
$rlhf rm score --model "$out/reward" --prompt "Our book club picked Glass Bridge this month and" \
    --response " it is dreadful. The ending is a chore."
