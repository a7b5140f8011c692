#!/usr/bin/env python3
"""Time GPT-2 training steps with PyTorch + HF transformers, on the CPU or a GPU.

This is the reference figure for the C engine's training benchmark: the same
model shapes, float32, batch B x T of random tokens, AdamW.  One untimed warm-up
step (allocations, AdamW state creation), then `--steps` timed full steps of
zero_grad + forward(with labels) + backward + optimizer.step.  On CUDA the timer
waits for the GPU (torch.cuda.synchronize) before it starts and stops; matrix
products stay in full float32 unless --tf32 (PyTorch's default is off, as
rlhf's RLHF_TF32), and attention is PyTorch's default (SDPA).

GFLOP/s counts 6*N + 6*n_layer*n_embd*T FLOPs per token (N = all parameters,
embeddings included, tied wte/lm_head counted once): the usual 6N estimate for
forward+backward matmuls plus the attention score/value matmuls.

Usage: torch_train.py [--config tiny|gpt2] [-B 4] [-T 64] [--steps 3]
                      [--threads 2] [--device cpu|cuda] [--tf32] [--json]
"""

import argparse
import json
import time

import torch
from transformers import GPT2Config, GPT2LMHeadModel

from gpt2_configs import CONFIGS, add_common_arguments, environment_fields, set_up_torch, where


def main():
    ap = argparse.ArgumentParser(description="Time GPT-2 training steps in PyTorch (CPU or CUDA).")
    add_common_arguments(ap)
    ap.add_argument("-B", type=int, default=4, help="batch size")
    ap.add_argument("-T", type=int, default=64, help="sequence length")
    ap.add_argument("--steps", type=int, default=3, help="timed steps")
    args = ap.parse_args()
    device, sync = set_up_torch(ap, args)
    on_gpu = device.type == "cuda"

    shape = CONFIGS[args.config]
    if args.T > shape["n_positions"]:
        ap.error(f"-T {args.T} exceeds n_positions {shape['n_positions']}")

    cfg = GPT2Config(**shape, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
    model = GPT2LMHeadModel(cfg).float().train().to(device)  # default (sdpa) attention
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.1)
    tokens = torch.randint(0, shape["vocab_size"], (args.B, args.T), device=device)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = model(input_ids=tokens, labels=tokens).loss  # HF shifts labels
        loss.backward()
        opt.step()

    step()  # warm-up, untimed
    sync()
    t0 = time.perf_counter()
    for _ in range(args.steps):
        step()
    sync()
    elapsed = time.perf_counter() - t0

    params = sum(p.numel() for p in model.parameters())  # tied weights counted once
    tok_per_step = args.B * args.T
    flops_per_token = 6 * params + 6 * shape["n_layer"] * shape["n_embd"] * args.T
    ms_per_step = 1000.0 * elapsed / args.steps
    tokens_per_s = tok_per_step * args.steps / elapsed
    gflops = flops_per_token * tokens_per_s / 1e9

    result = dict(
        tokens_per_s=tokens_per_s,
        ms_per_step=ms_per_step,
        gflops=gflops,
        params=params,
        config=args.config,
        B=args.B,
        T=args.T,
        **environment_fields(args, device),
        peak_memory_mb=torch.cuda.max_memory_allocated(device) / 2**20 if on_gpu else 0.0,
    )
    if args.json:
        print(json.dumps(result))
    else:
        print(f"torch {result['torch_version']}, {where(result)}, "
              f"config {args.config} ({params:,} params), B={args.B} T={args.T}, "
              f"{args.steps} timed steps")
        print(f"{ms_per_step:.1f} ms/step, {tokens_per_s:.1f} tokens/s, {gflops:.2f} GFLOP/s")


if __name__ == "__main__":
    main()
