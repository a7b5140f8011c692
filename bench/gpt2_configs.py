"""What the PyTorch reference benchmarks share: the named GPT-2 shapes of rlhf's
`gpt_config_named` (nn/gpt.c), so both sides time the same model, and the command-line
options and torch set-up common to torch_train.py and torch_generate.py."""

CONFIGS = {
    "tiny": dict(n_layer=4, n_head=4, n_embd=128, n_positions=256, vocab_size=8192),
    "gpt2": dict(n_layer=12, n_head=12, n_embd=768, n_positions=1024, vocab_size=50257),
}


def add_common_arguments(ap):
    """Adds --config, --threads, --device, --tf32 and --json to an ArgumentParser."""
    ap.add_argument("--config", choices=CONFIGS, default="tiny")
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (CPU)")
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu", help="where the model runs")
    ap.add_argument("--tf32", action="store_true", help="allow TF32 tensor-core matrix products (CUDA)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")


def environment_fields(args, device):
    """What both scripts report about where they ran: torch version, threads, device, the
    GPU's name ("-" on the CPU) and whether TF32 was on."""
    import torch

    on_gpu = device.type == "cuda"
    return dict(torch_version=torch.__version__, threads=torch.get_num_threads(), device=args.device,
                gpu=torch.cuda.get_device_name(device) if on_gpu else "-", tf32=bool(args.tf32 and on_gpu))


def where(result):
    """The GPU (and TF32) or the CPU thread count of a result, for the text report."""
    if result["gpu"] != "-":
        return f"{result['gpu']}{' TF32' if result['tf32'] else ''}"
    return f"{result['threads']} threads"


def set_up_torch(ap, args):
    """Checks the device, applies --tf32 and --threads, quiets transformers, seeds torch.
    Returns (device, sync): sync() waits for the GPU (a no-op on the CPU)."""
    import torch
    from transformers.utils import logging as hf_logging

    if args.device == "cuda" and not torch.cuda.is_available():
        ap.error("--device cuda: PyTorch sees no usable CUDA device")
    device = torch.device(args.device)
    on_gpu = device.type == "cuda"
    if on_gpu:
        # PyTorch >= 2.9 names the precision; its legacy allow_tf32 flags warn there, and
        # mixing the two raises, so use the new setting where it exists.
        if hasattr(torch.backends.cuda.matmul, "fp32_precision"):
            torch.backends.cuda.matmul.fp32_precision = "tf32" if args.tf32 else "ieee"
        else:
            torch.backends.cuda.matmul.allow_tf32 = args.tf32
            torch.backends.cudnn.allow_tf32 = args.tf32
    hf_logging.set_verbosity_error()  # bos/eos ids outside the tiny vocabulary, loss_type=None
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    return device, (torch.cuda.synchronize if on_gpu else (lambda: None))
