#!/usr/bin/env python3
"""The table tests/gpu/run.sh prints last: the training step and generation, rlhf against
PyTorch on the same card, from the JSON line each benchmark left at the end of its log in
the results folder (rlhf_train_fp32.log, rlhf_train_tf32.log, rlhf_generate.log, rlhf_ppo.log
and the torch_*.log of bench/torch_train.py, bench/torch_generate.py and bench/torch_ppo.py).

A missing or broken result is a "(no result)" row, never an error: the table is printed
whatever else failed. A ratio is printed only where both rows measured the same shape.
Usage: table.py [RESULTS_DIR]   (default build-gpu/gpu-results)"""
import json
import math
import os
import sys


def load(results, name):
    """The last JSON object line of results/NAME.log, or None when there is none."""
    try:
        with open(os.path.join(results, name + ".log"), encoding="utf-8", errors="replace") as log:
            lines = [line for line in log if line.startswith("{")]
        return json.loads(lines[-1]) if lines else None
    except (OSError, ValueError):
        return None


def shape(result, keys):
    """The values of keys in result (None for a missing result)."""
    return tuple(result.get(key) for key in keys) if result else None


def ratio(ours, theirs, keys):
    """'1.23x' for ours over theirs in tokens/s when both exist at the same shape, else ''."""
    if not ours or not theirs:
        return ""
    if shape(ours, keys) != shape(theirs, keys):
        return "(shapes differ)"
    return f"{ours['tokens_per_s'] / theirs['tokens_per_s']:.2f}x"


def number(value, digits):
    """value with digits decimals, or '-' when it is missing or not finite."""
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        return "-"
    return f"{value:.{digits}f}"


def main():
    results = sys.argv[1] if len(sys.argv) > 1 else "build-gpu/gpu-results"
    rt32, rttf, rgen = (load(results, n) for n in ("rlhf_train_fp32", "rlhf_train_tf32", "rlhf_generate"))
    pt32, pttf, pgen = (load(results, n) for n in ("torch_train_fp32", "torch_train_tf32", "torch_generate"))
    everything = (rt32, rttf, rgen, pt32, pttf, pgen)
    gpu = next((r["gpu"] for r in everything if r and r.get("gpu", "-") != "-"), "?")
    print(f"GPU: {gpu}")
    print()

    train_keys = ("config", "B", "T")
    reference = rt32 or rttf or pt32 or pttf
    where = "config {}, B={} x T={}".format(*shape(reference, train_keys)) if reference else "no results"
    print(f"training step, {where} (6N + 6LCT FLOPs per token)")
    print(f"{'':16} {'tokens/s':>10} {'ms/step':>9} {'TFLOP/s':>9} {'MFU':>7} {'rlhf/torch':>15}")

    def train_row(label, result, peak_of, theirs=None):
        if not result:
            print(f"{label:16} {'(no result)':>10}")
            return
        gflops = result.get("gflops")
        peak = peak_of.get("peak_gflops") if peak_of else None
        mfu = f"{100 * gflops / peak:.1f}%" if peak and isinstance(gflops, (int, float)) else "-"
        tflops = gflops / 1e3 if isinstance(gflops, (int, float)) else None
        print(f"{label:16} {number(result.get('tokens_per_s'), 0):>10} {number(result.get('ms_per_step'), 1):>9} "
              f"{number(tflops, 1):>9} {mfu:>7} {ratio(result, theirs, train_keys):>15}")

    train_row("rlhf FP32", rt32, rt32, pt32)
    train_row("PyTorch FP32", pt32, rt32)
    train_row("rlhf TF32", rttf, rttf, pttf)
    train_row("PyTorch TF32", pttf, rttf)
    if rt32:
        peaks = f"FP32 {number(rt32.get('peak_gflops', 0) / 1e3, 1)} TFLOP/s"
        ceilings = f"{number(rt32.get('ceiling_gflops', 0) / 1e3, 1)} TFLOP/s FP32"
        if rttf:
            peaks += f", TF32 {number(rttf.get('peak_gflops', 0) / 1e3, 1)}"
            ceilings += f", {number(rttf.get('ceiling_gflops', 0) / 1e3, 1)} TF32"
        print(f"(MFU against the card's published dense peak: {peaks}; cuBLAS SGEMM ceiling measured {ceilings})")
    print()

    generate_keys = ("config", "B", "prompt_len", "new_tokens")
    reference = rgen or pgen
    where = ("config {}, {} prompts x {} tokens + {} new each".format(*shape(reference, generate_keys))
             if reference else "no results")
    print(f"generation, {where}, greedy, KV cache")
    print(f"{'':16} {'tokens/s':>10} {'ms/token step':>14} {'ms/call':>9} {'rlhf/torch':>15}")
    for label, result, theirs in (("rlhf", rgen, pgen), ("PyTorch generate", pgen, None)):
        if not result:
            print(f"{label:16} {'(no result)':>10}")
            continue
        print(f"{label:16} {number(result.get('tokens_per_s'), 0):>10} {number(result.get('ms_per_token_step'), 2):>14} "
              f"{number(result.get('ms_per_generate'), 1):>9} {ratio(result, theirs, generate_keys):>15}")
    print()

    rppo, pppo = load(results, "rlhf_ppo"), load(results, "torch_ppo")
    ppo_keys = ("config", "B", "prompt_len", "new_tokens", "ppo_epochs", "minibatches")
    reference = rppo or pppo
    where = ("config {}, {} responses x {} tokens after {}, {} epochs x {} minibatches".format(
        *shape(reference, ("config", "B", "new_tokens", "prompt_len", "ppo_epochs", "minibatches")))
        if reference else "no results")
    print(f"PPO iteration, {where}")
    print(f"{'':16} {'s/iter':>8} {'generate':>9} {'score':>7} {'update':>7} {'GPU MiB':>9} {'torch/rlhf':>11}")
    for label, result in (("rlhf", rppo), ("PyTorch", pppo)):
        if not result:
            print(f"{label:16} {'(no result)':>8}")
            continue
        speedup = ""
        if result is rppo and pppo:
            speedup = ("(shapes differ)" if shape(rppo, ppo_keys) != shape(pppo, ppo_keys)
                       else f"{pppo['s_per_iteration'] / rppo['s_per_iteration']:.2f}x")
        peak = result.get("device_memory_mb")
        print(f"{label:16} {number(result.get('s_per_iteration'), 3):>8} {number(result.get('generate_s'), 3):>9} "
              f"{number(result.get('score_s'), 3):>7} {number(result.get('update_s'), 3):>7} {number(peak, 0):>9} "
              f"{speedup:>11}")
    if rppo:
        print(f"(rlhf's update at {number(rppo.get('update_gflops', 0) / 1e3, 1)} TFLOP/s, "
              f"{number(100 * rppo.get('update_fraction_of_ceiling', 0), 0)}% of the cuBLAS SGEMM ceiling; GPU MiB: "
              "the card's memory in use after the iterations, context included)")


if __name__ == "__main__":
    main()
