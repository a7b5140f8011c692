#!/bin/sh
# Times the same GPT-2 training step in rlhf (build/bench/rlhf-bench) and in PyTorch
# (bench/torch_train.py) on this machine, one after the other, and prints the ratio.
#   bench/compare_torch.sh [--config tiny|gpt2] [-B N] [-T N] [--steps N] [--threads N]
set -eu
cd "$(dirname "$0")/.."
config=gpt2 B=4 T=256 steps=3 threads=2
while [ $# -gt 0 ]; do
    case $1 in
        --config) config=$2 ;;
        -B) B=$2 ;;
        -T) T=$2 ;;
        --steps) steps=$2 ;;
        --threads) threads=$2 ;;
        *) echo "usage: $0 [--config NAME] [-B N] [-T N] [--steps N] [--threads N]" >&2; exit 2 ;;
    esac
    shift 2
done
python=$(scripts/reference-python.sh)
ours=$(build/bench/rlhf-bench train --config "$config" -B "$B" -T "$T" --steps "$steps" --threads "$threads" --json)
theirs=$(OMP_NUM_THREADS=$threads "$python" bench/torch_train.py --config "$config" -B "$B" -T "$T" --steps "$steps" --threads "$threads" --json)
field() { echo "$2" | sed -n "s/.*\"$1\": \"\{0,1\}\([^,\"}]*\).*/\1/p"; }
echo "config $config  B=$B T=$T  threads $threads  $(date -u +%Y-%m-%d)  $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
printf '%-14s %12s %10s %12s\n' engine tokens/s GFLOP/s ms/step
printf '%-14s %12.1f %10.1f %12.1f\n' rlhf "$(field tokens_per_s "$ours")" "$(field gflops "$ours")" "$(field ms_per_step "$ours")"
printf '%-14s %12.1f %10.1f %12.1f\n' "torch $(field torch_version "$theirs" | cut -d+ -f1)" "$(field tokens_per_s "$theirs")" "$(field gflops "$theirs")" "$(field ms_per_step "$theirs")"
echo "sgemm ceiling $(field ceiling_gflops "$ours") GFLOP/s; rlhf at $(field fraction_of_ceiling "$ours") of it; peak RSS $(field peak_rss_mb "$ours") MiB"
awk -v a="$(field tokens_per_s "$ours")" -v b="$(field tokens_per_s "$theirs")" 'BEGIN { printf "rlhf / torch tokens/s: %.2fx\n", a / b }'
