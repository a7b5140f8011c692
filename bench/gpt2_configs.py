"""The named GPT-2 shapes of rlhf's `gpt_config_named` (nn/gpt.c), for the PyTorch reference
benchmarks, so both sides time the same model."""

CONFIGS = {
    "tiny": dict(n_layer=4, n_head=4, n_embd=128, n_positions=256, vocab_size=8192),
    "gpt2": dict(n_layer=12, n_head=12, n_embd=768, n_positions=1024, vocab_size=50257),
}
