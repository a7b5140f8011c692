#!/bin/sh
# The rlhf command with --device cuda, as a user runs it, on the CUDA emulator
# (tests/cuda_emulator/: the binary is rlhf_emulated, the real CLI with nn/cuda's kernels
# running on the CPU) or on a real GPU (tests/gpu/run.sh passes the real rlhf). Every stage
# that runs a model goes through the CUDA backend and is compared with the same command on
# --device cpu: device selection and its fallback line, pretrain (with dropout) and its
# resume, ppl, greedy and sampled text, sft, generate into a store, the reward model's
# training and evaluation, two PPO iterations. A GPU run of these commands differs from the emulator only in
# speed and in float rounding inside cuBLAS. "No GPU" is EMULATOR_NO_GPU=1 for the emulator
# and CUDA_VISIBLE_DEVICES= (no device visible) for a real GPU; both are set.
# Usage: test_cli_cuda.sh RLHF FIXTURES_DIR
set -u
rlhf=$1
fixtures=$2
. "$(dirname "$0")/../shell_support.sh"

corpus="$fixtures/tokenizer/corpus.txt"
"$rlhf" tokenizer train --corpus "$corpus" --vocab-size 400 --out "$work/tok" > /dev/null || fail "tokenizer train"
# tiny model, dropout on: the masks come from (seed, index) on both backends
pretrain() {
    "$rlhf" pretrain --corpus "$corpus" --tokenizer "$work/tok" --config tiny --batch-size 4 --seq-len 32 \
        --lr 3e-3 --warmup 2 --dropout 0.1 --eval-every 0 --json "$@"
}

# --- device selection: auto picks the GPU (or the emulated one) and says so; without one it falls
# back with one line; --device cuda then fails and writes nothing
pretrain --steps 2 --device auto --out "$work/auto" > "$work/auto.json" 2> "$work/auto.err" || fail "pretrain --device auto"
[ "$(json_value device "$work/auto.json")" = cuda ] || fail "--device auto did not choose cuda: $(cat "$work/auto.json")"
"$rlhf" pretrain --corpus "$corpus" --tokenizer "$work/tok" --config tiny --batch-size 2 --seq-len 8 --steps 1 \
    --device auto --out "$work/auto_text" > /dev/null 2> "$work/auto.err" || fail "pretrain --device auto (text)"
grep -q "^rlhf: device cuda" "$work/auto.err" || fail "--device auto did not say it chose CUDA: $(cat "$work/auto.err")"
# no_gpu COMMAND...: runs COMMAND (a shell function too) in a subshell that sees no GPU
no_gpu() (
    EMULATOR_NO_GPU=1 CUDA_VISIBLE_DEVICES=
    export EMULATOR_NO_GPU CUDA_VISIBLE_DEVICES
    "$@"
)
no_gpu pretrain --steps 2 --device auto --out "$work/fallback" > "$work/fallback.json" 2> "$work/fallback.err" ||
    fail "--device auto without a GPU"
[ "$(json_value device "$work/fallback.json")" = cpu ] || fail "--device auto without a GPU: $(cat "$work/fallback.json")"
# one line: short without a driver (the emulator's "no GPU"), the reason when a driver is
# there but shows no device (a real GPU machine with CUDA_VISIBLE_DEVICES empty)
[ "$(grep -c -E "^rlhf: --device auto: (no NVIDIA driver|no usable CUDA device .*); using the CPU$" "$work/fallback.err")" -eq 1 ] &&
    [ "$(grep -c "device auto" "$work/fallback.err")" -eq 1 ] ||
    fail "--device auto without a GPU: expected one fallback line, got: $(cat "$work/fallback.err")"
no_gpu pretrain --steps 2 --device cuda --out "$work/refused" > /dev/null 2> "$work/refused.err"
[ $? -eq 1 ] || fail "--device cuda without a GPU did not exit 1"
grep -q "^rlhf: error: .*no usable CUDA device" "$work/refused.err" || fail "--device cuda without a GPU: $(cat "$work/refused.err")"
[ -e "$work/refused" ] && fail "--device cuda without a GPU created its output directory"

# --- pretrain: the same losses on both backends; a resumed CUDA run equals an unbroken one
pretrain --steps 8 --device cpu --out "$work/lm_cpu" > "$work/lm_cpu.json" || fail "pretrain --device cpu"
pretrain --steps 8 --device cuda --out "$work/lm" > "$work/lm.json" || fail "pretrain --device cuda"
for key in first_loss final_loss val_loss; do
    close "$(json_value $key "$work/lm.json")" "$(json_value $key "$work/lm_cpu.json")" 1e-4 ||
        fail "pretrain $key: cuda $(json_value $key "$work/lm.json"), cpu $(json_value $key "$work/lm_cpu.json")"
done
pretrain --steps 8 --stop-after 4 --device cuda --out "$work/resumed" > /dev/null || fail "pretrain --stop-after on cuda"
pretrain --steps 8 --resume --device cuda --out "$work/resumed" > "$work/resumed.json" || fail "pretrain --resume on cuda"
close "$(json_value final_loss "$work/resumed.json")" "$(json_value final_loss "$work/lm.json")" 1e-6 ||
    fail "resumed cuda run: final loss $(json_value final_loss "$work/resumed.json"), unbroken $(json_value final_loss "$work/lm.json")"

# --- ppl: the CUDA-trained model scored on both backends (a few windows of the corpus:
# the whole of it takes the emulator a minute and a half)
head -c 4000 "$corpus" > "$work/text.txt"
"$rlhf" ppl --model "$work/lm" --text-file "$work/text.txt" --device cuda --json > "$work/ppl.json" || fail "ppl --device cuda"
"$rlhf" ppl --model "$work/lm" --text-file "$work/text.txt" --device cpu --json > "$work/ppl_cpu.json" || fail "ppl --device cpu"
close "$(json_value loss "$work/ppl.json")" "$(json_value loss "$work/ppl_cpu.json")" 1e-5 ||
    fail "ppl: cuda $(json_value loss "$work/ppl.json"), cpu $(json_value loss "$work/ppl_cpu.json")"
[ "$(json_value tokens "$work/ppl.json")" = "$(json_value tokens "$work/ppl_cpu.json")" ] || fail "ppl token counts differ"

# --- sample: greedy and seeded sampling give the same text on both backends
for how in "--temperature 0" "--temperature 0.9 --top-k 20 --top-p 0.95 --seed 7"; do
    # shellcheck disable=SC2086
    "$rlhf" sample --model "$work/lm" --prompt "The" --n 3 --max-new-tokens 16 $how --device cuda --json \
        > "$work/sample.json" || fail "sample $how --device cuda"
    # shellcheck disable=SC2086
    "$rlhf" sample --model "$work/lm" --prompt "The" --n 3 --max-new-tokens 16 $how --device cpu --json \
        > "$work/sample_cpu.json" || fail "sample $how --device cpu"
    # the same texts; log-probs summed over 16 tokens agree to float rounding
    sed 's/"device":"[a-z]*"//; s/"logprob":[-0-9.e]*//g' "$work/sample.json" > "$work/a"
    sed 's/"device":"[a-z]*"//; s/"logprob":[-0-9.e]*//g' "$work/sample_cpu.json" > "$work/b"
    cmp -s "$work/a" "$work/b" || fail "sample $how: cuda $(cat "$work/sample.json") cpu $(cat "$work/sample_cpu.json")"
    grep -o '"logprob":[-0-9.e]*' "$work/sample.json" | cut -d: -f2 > "$work/a"
    grep -o '"logprob":[-0-9.e]*' "$work/sample_cpu.json" | cut -d: -f2 > "$work/b"
    paste "$work/a" "$work/b" | awk '{ d = $1 - $2; if (d < 0) d = -d; s = $2 < 0 ? -$2 : $2; if (d > 1e-5 * s + 1e-6) bad = 1 }
        END { exit bad || NR != 3 }' || fail "sample $how: log-probs $(paste -s "$work/a") vs $(paste -s "$work/b")"
done

# --- sft from the CUDA model, on both backends
printf '{"prompt": "Q: the", "response": " answer"}\n%.0s' 1 2 3 4 5 6 7 8 > "$work/sft.jsonl"
for device in cuda cpu; do
    "$rlhf" sft --data "$work/sft.jsonl" --model "$work/lm" --out "$work/sft_$device" --epochs 2 --batch-size 4 \
        --val-fraction 0 --lr 1e-3 --warmup 1 --json --device "$device" > "$work/sft_$device.json" || fail "sft --device $device"
done
close "$(json_value train_loss "$work/sft_cuda.json")" "$(json_value train_loss "$work/sft_cpu.json")" 1e-4 ||
    fail "sft final loss: cuda $(cat "$work/sft_cuda.json") cpu $(cat "$work/sft_cpu.json")"

# --- the store: generate on each backend into its own store, the oracle labels, the
# exported pairs are the same; then the reward model trains and evaluates on both
printf '{"prompt": "The hotel was"}\n{"prompt": "My new phone is"}\n{"prompt": "The film"}\n{"prompt": "This book"}\n' \
    > "$work/prompts.jsonl"
for device in cuda cpu; do
    db="$work/$device.db"
    "$rlhf" init --db "$db" > /dev/null || fail "init"
    "$rlhf" prompts import "$work/prompts.jsonl" --db "$db" > /dev/null || fail "prompts import"
    "$rlhf" generate --db "$db" --model "$work/lm" --per-prompt 3 --max-new-tokens 10 --device "$device" --json \
        > "$work/generate_$device.json" || fail "generate --device $device"
    "$rlhf" label --db "$db" --oracle sentiment --noise 0.1 > /dev/null || fail "label --oracle ($device store)"
    "$rlhf" prefs export "$work/prefs_$device.jsonl" --db "$db" > /dev/null || fail "prefs export ($device store)"
done
cmp -s "$work/prefs_cuda.jsonl" "$work/prefs_cpu.jsonl" || fail "generate: the stores' pairs differ between cuda and cpu"
[ -s "$work/prefs_cuda.jsonl" ] || fail "generate + label gave no pairs to export"
for device in cuda cpu; do
    "$rlhf" rm train --db "$work/$device.db" --model "$work/lm" --out "$work/rm_$device" --epochs 2 --batch-pairs 4 \
        --lr 1e-3 --warmup 1 --val-percent 0 --norm-samples 4 --max-length 32 --device "$device" --json \
        > "$work/rm_$device.json" || fail "rm train --device $device"
done
# the reward models trained on each backend score the pairs alike (their normalisation too)
for key in gain bias; do
    close "$(json_value $key "$work/rm_cuda.json")" "$(json_value $key "$work/rm_cpu.json")" 1e-3 ||
        fail "rm train normalization $key: cuda $(cat "$work/rm_cuda.json") cpu $(cat "$work/rm_cpu.json")"
done
for run in "rm_cuda cuda" "rm_cuda cpu" "rm_cpu cpu"; do
    set -- $run
    "$rlhf" rm eval --db "$work/cuda.db" --model "$work/$1" --split all --device "$2" --json > "$work/eval_$1_$2.json" ||
        fail "rm eval of $1 --device $2"
done
# one model on both backends: float rounding; two models trained apart: a few steps' drift
for key in accuracy loss mean_margin; do
    close "$(json_value $key "$work/eval_rm_cuda_cuda.json")" "$(json_value $key "$work/eval_rm_cuda_cpu.json")" 1e-5 ||
        fail "rm eval $key on cuda and cpu: $(json_value $key "$work/eval_rm_cuda_cuda.json"), $(json_value $key "$work/eval_rm_cuda_cpu.json")"
    close "$(json_value $key "$work/eval_rm_cuda_cpu.json")" "$(json_value $key "$work/eval_rm_cpu_cpu.json")" 1e-3 ||
        fail "rm eval $key of the models trained on cuda and cpu: $(json_value $key "$work/eval_rm_cuda_cpu.json"), $(json_value $key "$work/eval_rm_cpu_cpu.json")"
done

# --- PPO: two iterations from the same policy against the same reward model on each backend;
# the first samples the same tokens (the policy equals the reference: KL 0 on both), the
# second follows one update, so its score and KL carry the update's float rounding (1e-3)
for device in cuda cpu; do
    "$rlhf" ppo --db "$work/cpu.db" --policy "$work/lm" --reward "$work/rm_cpu" --out "$work/ppo_$device" --steps 2 \
        --batch 4 --minibatches 2 --ppo-epochs 2 --max-new-tokens 8 --lr 1e-3 --value-lr 1e-3 --seed 3 \
        --device "$device" --json > "$work/ppo_$device.json" || fail "ppo --device $device"
done
for key in score kl beta; do
    close "$(json_value $key "$work/ppo_cuda.json")" "$(json_value $key "$work/ppo_cpu.json")" 1e-3 ||
        fail "ppo $key on cuda and cpu: $(cat "$work/ppo_cuda.json") against $(cat "$work/ppo_cpu.json")"
done

finish "every stage gave the same results with --device cuda as with --device cpu"
