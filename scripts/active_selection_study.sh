#!/bin/sh
# Does choosing the pairs the reward model is least sure of (rlhf generate --select uncertain)
# teach it more per label than random pairs? The study behind docs/ACTIVE-SELECTION.md:
#   scripts/active_selection_study.sh POLICY_DIR OUT_DIR
# POLICY_DIR: a demo policy (scripts/demo.sh's demo-out/policy). Same policy, same prompts,
# same seeds and the same label budgets in both arms:
#   random     4 completions of each of 4,200 openings, one random pair each (--pairs random),
#              labeled by the scripted annotator; a budget of N labels is the first N pairs;
#   uncertain  the first 500 random labels train a seed reward model; 4 completions of each of
#              the other openings, the pair that model is least sure of (--select
#              uncertain); a budget of N is the 500 random labels plus the first N - 500 of these
#              (the other 3,700 openings, so that 4,000 labels are there after identical pairs).
# For each budget (500, 1000, 2000, 4000) a reward model trains on exactly those labels (the
# same 500 steps of 16 pairs each: 16, 8, 4 and 2 epochs; no held-out split, no
# normalisation) and is evaluated on one common set of 2,000
# labeled pairs of other openings (rm eval --split all): its agreement with the gold scores,
# with the 95% interval. Results: OUT_DIR/results.tsv. About 5 minutes on 2 cores.
set -eu
[ $# -eq 2 ] || { echo "usage: $0 POLICY_DIR OUT_DIR" >&2; exit 2; }
policy=$1
out=$2
here=$(cd "$(dirname "$0")/.." && pwd)
rlhf=${RLHF:-$here/build/cli/rlhf}
mkdir -p "$out"
rm -f "$out"/*.db "$out"/*.db-wal "$out"/*.db-shm
quiet() { "$@" > /dev/null 2>&1 || { echo "failed: $*" >&2; "$@"; exit 1; }; }
# figures FILE: "gold low high accuracy" from an rm eval --json file
figures() {
    python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); low, high = d["gold_accuracy_95"]
print(d["gold_accuracy"], low, high, d["accuracy"])' "$1"
}

# prompts: a pool for training labels and an evaluation set, from other seeds than the demo's
$rlhf demo prompts --out "$out/pool.jsonl" --count 4200 --seed 11 > /dev/null
$rlhf demo prompts --out "$out/eval-prompts.jsonl" --count 2000 --seed 13 > /dev/null
sed -n '501,4200p' "$out/pool.jsonl" > "$out/pool-rest.jsonl" # (a few prompts give no pair: 200 spare)

# store NAME PROMPTS: a new store with those prompts
store() {
    quiet $rlhf init --db "$out/$1.db"
    quiet $rlhf prompts import "$2" --db "$out/$1.db"
}

echo "== the evaluation set: 2 completions of 2,000 other openings, labeled"
store eval "$out/eval-prompts.jsonl"
quiet $rlhf generate --db "$out/eval.db" --model "$policy" --per-prompt 2 --max-new-tokens 48 --batch-prompts 64 --seed 3
quiet $rlhf label --db "$out/eval.db" --oracle sentiment --noise 0.05

echo "== random arm: one random pair of 4 completions for each of 4,200 openings"
store random "$out/pool.jsonl"
quiet $rlhf generate --db "$out/random.db" --model "$policy" --per-prompt 4 --pairs random --max-new-tokens 48 \
    --batch-prompts 64 --seed 5
quiet $rlhf label --db "$out/random.db" --oracle sentiment --noise 0.05
quiet $rlhf prefs export "$out/random.jsonl" --db "$out/random.db"

# train NAME PREFS N: a reward model on the first N preferences of PREFS; prints its
# evaluation on the common set as "gold low high accuracy"
train() {
    head -n "$3" "$2" > "$out/$1-train.jsonl"
    [ "$(wc -l < "$out/$1-train.jsonl")" -eq "$3" ] ||
        { echo "only $(wc -l < "$out/$1-train.jsonl") labels for $1" >&2; exit 1; }
    quiet $rlhf init --db "$out/$1.db"
    quiet $rlhf prefs import "$out/$1-train.jsonl" --db "$out/$1.db"
    # the same 500 optimizer steps of 16 pairs for every budget: 8,000 / N epochs
    quiet $rlhf rm train --db "$out/$1.db" --model "$policy" --out "$out/$1-rm" --epochs $((8000 / $3)) \
        --batch-pairs 16 --lr 3e-4 --warmup 20 --val-percent 0 --norm-samples 0 --seed 1
    $rlhf rm eval --db "$out/eval.db" --model "$out/$1-rm" --split all --json > "$out/$1-eval.json" 2> /dev/null
    figures "$out/$1-eval.json"
}

echo "== uncertain arm: a seed reward model on the first 500 random labels picks the other pairs"
head -n 500 "$out/random.jsonl" > "$out/seed.jsonl"
seed_result=$(train seed "$out/seed.jsonl" 500)
store uncertain "$out/pool-rest.jsonl"
quiet $rlhf generate --db "$out/uncertain.db" --model "$policy" --per-prompt 4 --select uncertain \
    --reward "$out/seed-rm" --max-new-tokens 48 --batch-prompts 64 --seed 5
quiet $rlhf label --db "$out/uncertain.db" --oracle sentiment --noise 0.05
quiet $rlhf prefs export "$out/uncertain-only.jsonl" --db "$out/uncertain.db"
cat "$out/seed.jsonl" "$out/uncertain-only.jsonl" > "$out/uncertain.jsonl"

printf 'labels\tarm\tgold_agreement\tlow\thigh\taccuracy\n' > "$out/results.tsv"
printf '500\tuncertain\t%s\n' "$(echo "$seed_result" | tr ' ' '\t')" >> "$out/results.tsv"
for n in 500 1000 2000 4000; do
    echo "== $n labels"
    printf '%s\trandom\t%s\n' "$n" "$(train "random-$n" "$out/random.jsonl" "$n" | tr ' ' '\t')" >> "$out/results.tsv"
    [ "$n" -eq 500 ] && continue
    printf '%s\tuncertain\t%s\n' "$n" "$(train "uncertain-$n" "$out/uncertain.jsonl" "$n" | tr ' ' '\t')" >> "$out/results.tsv"
done
cat "$out/results.tsv"
