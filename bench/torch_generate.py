#!/usr/bin/env python3
"""Time batched generation with PyTorch + HF transformers (GPT2LMHeadModel.generate).

The reference figure for `rlhf-bench generate`: the same model shapes with random
weights, float32, B prompts of --prompt-len random tokens (all real, no padding),
greedy decoding (do_sample=False) with the KV cache, and exactly --new-tokens new
tokens per prompt (min_new_tokens = max_new_tokens, as rlhf-bench disables
end-of-text).  One untimed warm-up call, then --repeats timed calls; on CUDA the
timer waits for the GPU.  tokens/s counts new tokens (B * new_tokens per call).

Usage: torch_generate.py [--config tiny|gpt2] [-B 64] [--prompt-len 16]
                         [--new-tokens 64] [--repeats 3] [--threads 2]
                         [--device cpu|cuda] [--tf32] [--json]
"""

import argparse
import json
import time

import torch
from transformers import GPT2Config, GPT2LMHeadModel

from gpt2_configs import CONFIGS, add_common_arguments, environment_fields, set_up_torch, where


def main():
    ap = argparse.ArgumentParser(description="Time GPT2LMHeadModel.generate (greedy, KV cache).")
    add_common_arguments(ap)
    ap.add_argument("-B", type=int, default=8, help="prompts in the batch")
    ap.add_argument("--prompt-len", type=int, default=16, help="tokens per prompt")
    ap.add_argument("--new-tokens", type=int, default=32, help="new tokens per prompt")
    ap.add_argument("--repeats", type=int, default=3, help="timed generate calls")
    args = ap.parse_args()

    shape = CONFIGS[args.config]
    if args.prompt_len + args.new_tokens > shape["n_positions"]:
        ap.error(f"prompt plus new tokens exceed n_positions {shape['n_positions']}")
    device, sync = set_up_torch(ap, args)

    # End-of-text is the last id, so the tiny vocabulary has one too; min_new_tokens keeps
    # it from ending any row early.
    last_id = shape["vocab_size"] - 1
    cfg = GPT2Config(**shape, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, bos_token_id=last_id,
                     eos_token_id=last_id, pad_token_id=last_id)
    model = GPT2LMHeadModel(cfg).float().eval().to(device)
    input_ids = torch.randint(0, shape["vocab_size"], (args.B, args.prompt_len), device=device)
    attention_mask = torch.ones_like(input_ids)

    def generate():
        with torch.no_grad():
            return model.generate(input_ids=input_ids, attention_mask=attention_mask, do_sample=False,
                                  max_new_tokens=args.new_tokens, min_new_tokens=args.new_tokens,
                                  pad_token_id=last_id, use_cache=True)

    sync()
    t0 = time.perf_counter()
    out = generate()  # warm-up, untimed
    sync()
    first_call = time.perf_counter() - t0
    if tuple(out.shape) != (args.B, args.prompt_len + args.new_tokens):
        raise SystemExit(f"generate returned shape {tuple(out.shape)}")
    t0 = time.perf_counter()
    for _ in range(args.repeats):
        generate()
    sync()
    seconds = (time.perf_counter() - t0) / args.repeats

    result = dict(
        tokens_per_s=args.B * args.new_tokens / seconds,
        ms_per_generate=1000.0 * seconds,
        ms_per_token_step=1000.0 * seconds / args.new_tokens,
        first_call_ms=1000.0 * first_call,
        config=args.config,
        B=args.B,
        prompt_len=args.prompt_len,
        new_tokens=args.new_tokens,
        **environment_fields(args, device),
    )
    if args.json:
        print(json.dumps(result))
    else:
        print(f"torch {result['torch_version']}, {where(result)}, config {args.config}, {args.B} prompts of "
              f"{args.prompt_len} tokens, {args.new_tokens} new tokens each (greedy)")
        print(f"{result['tokens_per_s']:.1f} new tokens/s, {result['ms_per_generate']:.1f} ms per generate call, "
              f"{result['ms_per_token_step']:.2f} ms per token step")


if __name__ == "__main__":
    main()
