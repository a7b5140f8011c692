#!/bin/sh
# Times the same work in rlhf (build/bench/rlhf-bench) and in PyTorch + transformers on this
# machine, one right after the other, and prints the ratio:
#   train:    GPT-2 training steps (bench/torch_train.py)
#   generate: greedy batched generation with the KV cache (bench/torch_generate.py)
#   ppo:      one PPO iteration: rollouts, scoring, 4 epochs of minibatch updates (bench/torch_ppo.py)
#   bench/compare_torch.sh [train] [--config tiny|gpt2] [-B N] [-T N] [--steps N] [--threads N]
#   bench/compare_torch.sh generate [--config tiny|gpt2] [-B N] [--prompt-len N] [--new-tokens N]
#                                   [--repeats N] [--threads N]
#   bench/compare_torch.sh ppo [--config tiny|gpt2] [-B N] [--prompt-len N] [--new-tokens N]
#                              [--steps N] [--threads N]
set -eu
cd "$(dirname "$0")/.."
bench=train
case ${1:-} in train|generate|ppo) bench=$1; shift ;; esac
config=gpt2 B=4 T=256 steps=3 threads=2 prompt_len=16 new_tokens=64 repeats=3
[ "$bench" = generate ] && B=64
[ "$bench" = ppo ] && B=64 new_tokens=48 config=tiny
usage() {
    echo "usage: $0 [train] [--config NAME] [-B N] [-T N] [--steps N] [--threads N]" >&2
    echo "       $0 generate [--config NAME] [-B N] [--prompt-len N] [--new-tokens N] [--repeats N] [--threads N]" >&2
    echo "       $0 ppo [--config NAME] [-B N] [--prompt-len N] [--new-tokens N] [--steps N] [--threads N]" >&2
    exit 2
}
while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || usage
    case $bench:$1 in
        *:--config) config=$2 ;;
        *:-B) B=$2 ;;
        *:--threads) threads=$2 ;;
        train:-T) T=$2 ;;
        train:--steps | ppo:--steps) steps=$2 ;;
        generate:--prompt-len | ppo:--prompt-len) prompt_len=$2 ;;
        generate:--new-tokens | ppo:--new-tokens) new_tokens=$2 ;;
        generate:--repeats) repeats=$2 ;;
        *) usage ;;
    esac
    shift 2
done
python=$(scripts/reference-python.sh)
field() { echo "$2" | sed -n "s/.*\"$1\": \"\{0,1\}\([^,\"}]*\).*/\1/p"; }
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
if [ "$bench" = train ]; then
    ours=$(build/bench/rlhf-bench train --config "$config" -B "$B" -T "$T" --steps "$steps" --threads "$threads" --json)
    theirs=$(OMP_NUM_THREADS=$threads "$python" bench/torch_train.py --config "$config" -B "$B" -T "$T" \
        --steps "$steps" --threads "$threads" --json)
    echo "train: config $config  B=$B T=$T  threads $threads  $(date -u +%Y-%m-%d)  $cpu"
    printf '%-14s %12s %10s %12s\n' engine tokens/s GFLOP/s ms/step
    printf '%-14s %12.1f %10.1f %12.1f\n' rlhf "$(field tokens_per_s "$ours")" "$(field gflops "$ours")" \
        "$(field ms_per_step "$ours")"
    printf '%-14s %12.1f %10.1f %12.1f\n' "torch $(field torch_version "$theirs" | cut -d+ -f1)" \
        "$(field tokens_per_s "$theirs")" "$(field gflops "$theirs")" "$(field ms_per_step "$theirs")"
    echo "sgemm ceiling $(field ceiling_gflops "$ours") GFLOP/s (OpenBLAS $(field blas_core "$ours") kernels);" \
        "rlhf at $(field fraction_of_ceiling "$ours") of it; peak RSS $(field peak_rss_mb "$ours") MiB"
elif [ "$bench" = ppo ]; then
    ours=$(build/bench/rlhf-bench ppo --config "$config" -B "$B" --prompt-len "$prompt_len" \
        --new-tokens "$new_tokens" --steps "$steps" --threads "$threads" --json)
    theirs=$(OMP_NUM_THREADS=$threads "$python" bench/torch_ppo.py --config "$config" -B "$B" \
        --prompt-len "$prompt_len" --new-tokens "$new_tokens" --steps "$steps" --threads "$threads" --json)
    echo "ppo: config $config  $B responses of $new_tokens tokens after $prompt_len, 4 epochs of 4 minibatches" \
        " threads $threads  $(date -u +%Y-%m-%d)  $cpu"
    printf '%-14s %12s %12s %12s %12s %14s\n' engine s/iteration generation scoring update "peak MiB"
    printf '%-14s %12.3f %12.3f %12.3f %12.3f %14.0f\n' rlhf "$(field s_per_iteration "$ours")" \
        "$(field generate_s "$ours")" "$(field score_s "$ours")" "$(field update_s "$ours")" "$(field peak_rss_mb "$ours")"
    printf '%-14s %12.3f %12.3f %12.3f %12.3f %14.0f\n' "torch $(field torch_version "$theirs" | cut -d+ -f1)" \
        "$(field s_per_iteration "$theirs")" "$(field generate_s "$theirs")" "$(field score_s "$theirs")" \
        "$(field update_s "$theirs")" "$(field peak_rss_mb "$theirs")"
    echo "rlhf's update at $(field update_gflops "$ours") GFLOP/s, $(field update_fraction_of_ceiling "$ours") of the" \
        "sgemm ceiling $(field ceiling_gflops "$ours") GFLOP/s (OpenBLAS $(field blas_core "$ours") kernels)"
    awk -v a="$(field s_per_iteration "$ours")" -v b="$(field s_per_iteration "$theirs")" \
        -v ua="$(field update_s "$ours")" -v ub="$(field update_s "$theirs")" \
        'BEGIN { printf "torch / rlhf seconds per iteration: %.2fx (update alone %.2fx)\n", b / a, ub / ua }'
    exit 0
else
    ours=$(build/bench/rlhf-bench generate --config "$config" -B "$B" --prompt-len "$prompt_len" \
        --new-tokens "$new_tokens" --repeats "$repeats" --threads "$threads" --json)
    theirs=$(OMP_NUM_THREADS=$threads "$python" bench/torch_generate.py --config "$config" -B "$B" \
        --prompt-len "$prompt_len" --new-tokens "$new_tokens" --repeats "$repeats" --threads "$threads" --json)
    echo "generate: config $config  $B prompts of $prompt_len tokens, $new_tokens new tokens each (greedy)" \
        " threads $threads  $(date -u +%Y-%m-%d)  $cpu"
    printf '%-14s %12s %16s %16s\n' engine tokens/s ms/token-step "first call ms"
    printf '%-14s %12.1f %16.2f %16.1f\n' rlhf "$(field tokens_per_s "$ours")" "$(field ms_per_token_step "$ours")" \
        "$(field first_call_ms "$ours")"
    printf '%-14s %12.1f %16.2f %16.1f\n' "torch $(field torch_version "$theirs" | cut -d+ -f1)" \
        "$(field tokens_per_s "$theirs")" "$(field ms_per_token_step "$theirs")" "$(field first_call_ms "$theirs")"
    echo "OpenBLAS $(field blas_core "$ours") kernels; peak RSS (rlhf) $(field peak_rss_mb "$ours") MiB"
fi
awk -v a="$(field tokens_per_s "$ours")" -v b="$(field tokens_per_s "$theirs")" \
    'BEGIN { printf "rlhf / torch tokens/s: %.2fx\n", a / b }'
