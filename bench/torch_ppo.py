#!/usr/bin/env python3
"""Time one PPO iteration the straightforward PyTorch way, the reference for `rlhf-bench ppo`.

The same work as rlhf's ppo_iteration (ppo/ppo_iteration.c) on random models of one
shape: a policy and a frozen reference (GPT2LMHeadModel), a reward model and a value model
(GPT2ForSequenceClassification, one label, read per token through `.transformer` and
`.score` as TRL's get_reward does), float32, dropout off.  One iteration:

  generation  transformers' `generate`: B prompts of --prompt-len random tokens, sampling at
              temperature 0.7 with the KV cache, exactly --new-tokens new tokens (end-of-text
              cannot end a row, as in rlhf-bench where eos_id is -1);
  scoring     the policy's and the reference's log-probs of the responses at the same
              temperature, the reward model's score at the last token, the value model's
              per-token values, then TRL's arithmetic: k1 KL, token rewards with beta 0.05,
              GAE (gamma 1, lambda 0.95) and whitened advantages;
  update      --ppo-epochs epochs over --minibatches shuffled minibatches: the policy's new
              log-probs and entropy (TRL computes it in every minibatch), the clipped
              surrogate (0.2), the value model's clipped squared error (0.2, coefficient
              0.1), one backward of their sum, gradient clipping at 1 and an AdamW step
              (eps 1e-5, lr 1e-5) over both models, as TRL's PPOTrainer does with its
              policy-and-value wrapper.

The math follows TRL's experimental PPOTrainer (trl/experimental/ppo) written out, so this
script needs only torch and transformers.  One untimed warm-up iteration, then --steps
timed ones; on CUDA each phase's timer waits for the GPU.

Usage: torch_ppo.py [--config tiny|gpt2] [-B 64] [--prompt-len 16] [--new-tokens 48]
                    [--ppo-epochs 4] [--minibatches 4] [--steps 3] [--threads 2]
                    [--device cpu|cuda] [--tf32] [--json]
"""

import argparse
import json
import resource
import time

import torch
import torch.nn.functional as F
from transformers import GPT2Config, GPT2ForSequenceClassification, GPT2LMHeadModel

from gpt2_configs import CONFIGS, add_common_arguments, environment_fields, set_up_torch, where

TEMPERATURE = 0.7
BETA = 0.05
GAMMA, LAMBDA = 1.0, 0.95
CLIP_POLICY, CLIP_VALUE, VALUE_COEFFICIENT = 0.2, 0.2, 0.1


def logprobs_of(model, sequences, context_length):
    """Per-token log-probs of the response tokens (the columns after context_length) under
    model at TEMPERATURE, and the logits they came from (TRL's forward + selective log-softmax)."""
    logits = model(input_ids=sequences).logits[:, context_length - 1:-1] / (TEMPERATURE + 1e-7)
    responses = sequences[:, context_length:]
    return torch.gather(F.log_softmax(logits, dim=-1), 2, responses.unsqueeze(-1)).squeeze(-1), logits


def values_of(model, sequences, context_length):
    """The value model's estimate at every response position (TRL: backbone, then score head)."""
    hidden = model.transformer(input_ids=sequences).last_hidden_state
    return model.score(hidden)[:, context_length - 1:-1].squeeze(-1)


def score_of(model, sequences):
    """The reward model's scalar at each sequence's last token (no padding here)."""
    hidden = model.transformer(input_ids=sequences).last_hidden_state
    return model.score(hidden[:, -1]).squeeze(-1)


def whiten(x):
    """x with mean 0 and variance 1 (unbiased variance, as TRL's masked_whiten)."""
    return (x - x.mean()) * torch.rsqrt(x.var() + 1e-8)


def main():
    ap = argparse.ArgumentParser(description="Time one PPO iteration in PyTorch + transformers.")
    add_common_arguments(ap)
    ap.add_argument("-B", type=int, default=64, help="responses in a rollout batch")
    ap.add_argument("--prompt-len", type=int, default=16, help="tokens per prompt")
    ap.add_argument("--new-tokens", type=int, default=48, help="tokens per response")
    ap.add_argument("--ppo-epochs", type=int, default=4)
    ap.add_argument("--minibatches", type=int, default=4)
    ap.add_argument("--steps", type=int, default=3, help="timed iterations after one warm-up")
    args = ap.parse_args()

    shape = CONFIGS[args.config]
    if args.prompt_len + args.new_tokens > shape["n_positions"]:
        ap.error(f"prompt plus new tokens exceed n_positions {shape['n_positions']}")
    if args.B % args.minibatches:
        ap.error("-B must be a multiple of --minibatches")
    device, sync = set_up_torch(ap, args)

    last_id = shape["vocab_size"] - 1
    cfg = GPT2Config(**shape, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, bos_token_id=last_id,
                     eos_token_id=last_id, pad_token_id=last_id, num_labels=1)
    policy = GPT2LMHeadModel(cfg).float().to(device)
    reference = GPT2LMHeadModel(cfg).float().eval().to(device)
    reference.load_state_dict(policy.state_dict())
    reward = GPT2ForSequenceClassification(cfg).float().eval().to(device)
    value = GPT2ForSequenceClassification(cfg).float().to(device)
    parameters = list(policy.parameters()) + list(value.parameters())
    optimizer = torch.optim.AdamW(parameters, lr=1e-5, eps=1e-5)
    prompts = torch.randint(0, shape["vocab_size"], (args.B, args.prompt_len), device=device)
    context = args.prompt_len

    def iteration():
        """One PPO iteration; returns the seconds of generation, scoring and update."""
        sync()
        t0 = time.perf_counter()
        policy.eval()
        with torch.no_grad():
            sequences = policy.generate(input_ids=prompts, attention_mask=torch.ones_like(prompts), do_sample=True,
                                        temperature=TEMPERATURE, top_k=0, top_p=1.0, max_new_tokens=args.new_tokens,
                                        min_new_tokens=args.new_tokens, pad_token_id=last_id, use_cache=True)
        sync()
        t1 = time.perf_counter()
        with torch.no_grad():
            old_logprobs, _ = logprobs_of(policy, sequences, context)
            reference_logprobs, _ = logprobs_of(reference, sequences, context)
            scores = score_of(reward, sequences)
            old_values = values_of(value, sequences, context)
            kl = old_logprobs - reference_logprobs
            rewards = -BETA * kl
            rewards[:, -1] += scores
            advantages_reversed, last = [], 0.0
            width = rewards.shape[1]
            for t in reversed(range(width)):
                next_value = old_values[:, t + 1] if t < width - 1 else 0.0
                delta = rewards[:, t] + GAMMA * next_value - old_values[:, t]
                last = delta + GAMMA * LAMBDA * last
                advantages_reversed.append(last)
            advantages = torch.stack(advantages_reversed[::-1], dim=1)
            returns = advantages + old_values
            advantages = whiten(advantages)
        sync()
        t2 = time.perf_counter()
        policy.train()
        value.train()
        size = args.B // args.minibatches
        for _ in range(args.ppo_epochs):
            order = torch.randperm(args.B, device=device)
            for start in range(0, args.B, size):
                rows = order[start:start + size]
                batch = sequences[rows]
                new_logprobs, logits = logprobs_of(policy, batch, context)
                new_values = values_of(value, batch, context)
                clipped_values = old_values[rows] + torch.clamp(new_values - old_values[rows], -CLIP_VALUE,
                                                                CLIP_VALUE)
                value_loss = 0.5 * torch.max((new_values - returns[rows]) ** 2,
                                             (clipped_values - returns[rows]) ** 2).mean()
                ratio = torch.exp(new_logprobs - old_logprobs[rows])
                policy_loss = torch.max(-advantages[rows] * ratio,
                                        -advantages[rows] * torch.clamp(ratio, 1 - CLIP_POLICY, 1 + CLIP_POLICY)).mean()
                loss = policy_loss + VALUE_COEFFICIENT * value_loss
                loss.backward()
                torch.nn.utils.clip_grad_norm_(parameters, 1.0)
                optimizer.step()
                optimizer.zero_grad()
                with torch.no_grad():  # TRL's statistics of the minibatch
                    probabilities = F.softmax(logits, dim=-1)
                    entropy = torch.logsumexp(logits, dim=-1) - torch.sum(probabilities * logits, dim=-1)
                    entropy.mean().item()
                    (0.5 * ((new_logprobs - old_logprobs[rows]) ** 2).mean()).item()
        sync()
        t3 = time.perf_counter()
        return t1 - t0, t2 - t1, t3 - t2

    iteration()  # warm-up, untimed
    totals = [0.0, 0.0, 0.0]
    for _ in range(args.steps):
        for phase, seconds in enumerate(iteration()):
            totals[phase] += seconds
    generate_s, score_s, update_s = (total / args.steps for total in totals)
    # on the GPU, what the card has in use (context, caching allocator and all, as for rlhf)
    if device.type == "cuda":
        free_bytes, total_bytes = torch.cuda.mem_get_info(device)
        device_memory = (total_bytes - free_bytes) / 2**20
    else:
        device_memory = 0.0
    result = dict(
        s_per_iteration=generate_s + score_s + update_s,
        generate_s=generate_s,
        score_s=score_s,
        update_s=update_s,
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        device_memory_mb=device_memory,
        config=args.config,
        B=args.B,
        prompt_len=args.prompt_len,
        new_tokens=args.new_tokens,
        ppo_epochs=args.ppo_epochs,
        minibatches=args.minibatches,
        **environment_fields(args, device),
    )
    if args.json:
        print(json.dumps(result))
    else:
        print(f"torch {result['torch_version']}, {where(result)}, config {args.config}, {args.B} responses of "
              f"{args.new_tokens} tokens after {args.prompt_len}: {result['s_per_iteration']:.3f} s an iteration "
              f"(generation {generate_s:.3f}, scoring {score_s:.3f}, update {update_s:.3f})")


if __name__ == "__main__":
    main()
