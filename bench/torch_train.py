#!/usr/bin/env python3
"""Time GPT-2 training steps on the CPU with PyTorch + HF transformers.

This is the reference figure for the C engine's training benchmark: the same
model shapes, float32, batch B x T of random tokens, AdamW.  One untimed warm-up
step (allocations, AdamW state creation), then `--steps` timed full steps of
zero_grad + forward(with labels) + backward + optimizer.step.

GFLOP/s counts 6*N + 6*n_layer*n_embd*T FLOPs per token (N = all parameters,
embeddings included, tied wte/lm_head counted once): the usual 6N estimate for
forward+backward matmuls plus the attention score/value matmuls.

Usage: torch_train.py [--config tiny|gpt2] [-B 4] [-T 64] [--steps 3]
                      [--threads 2] [--json]
"""

import argparse
import json
import time

import torch
from transformers import GPT2Config, GPT2LMHeadModel
from transformers.utils import logging as hf_logging

CONFIGS = {
    "tiny": dict(n_layer=4, n_head=4, n_embd=128, n_positions=256, vocab_size=8192),
    "gpt2": dict(n_layer=12, n_head=12, n_embd=768, n_positions=1024, vocab_size=50257),
}


def main():
    ap = argparse.ArgumentParser(description="Time GPT-2 training steps in PyTorch (CPU).")
    ap.add_argument("--config", choices=CONFIGS, default="tiny")
    ap.add_argument("-B", type=int, default=4, help="batch size")
    ap.add_argument("-T", type=int, default=64, help="sequence length")
    ap.add_argument("--steps", type=int, default=3, help="timed steps")
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args()

    shape = CONFIGS[args.config]
    if args.T > shape["n_positions"]:
        ap.error(f"-T {args.T} exceeds n_positions {shape['n_positions']}")
    hf_logging.set_verbosity_error()  # bos/eos id outside tiny vocab, loss_type=None
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    cfg = GPT2Config(**shape, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
    model = GPT2LMHeadModel(cfg).float().train()  # default (sdpa) attention
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.1)
    tokens = torch.randint(0, shape["vocab_size"], (args.B, args.T))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = model(input_ids=tokens, labels=tokens).loss  # HF shifts labels
        loss.backward()
        opt.step()

    step()  # warm-up, untimed
    t0 = time.perf_counter()
    for _ in range(args.steps):
        step()
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
        torch_version=torch.__version__,
        threads=torch.get_num_threads(),
        config=args.config,
        B=args.B,
        T=args.T,
    )
    if args.json:
        print(json.dumps(result))
    else:
        print(f"torch {result['torch_version']}, {result['threads']} threads, "
              f"config {args.config} ({params:,} params), B={args.B} T={args.T}, "
              f"{args.steps} timed steps")
        print(f"{ms_per_step:.1f} ms/step, {tokens_per_s:.1f} tokens/s, {gflops:.2f} GFLOP/s")


if __name__ == "__main__":
    main()
