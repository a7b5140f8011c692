#!/bin/sh
# Prints the path of a Python with torch and transformers, for the scripts that make
# reference fixtures and reference benchmarks (never needed to build or test rlhf).
# The virtual environment lives at $VENV (default /root/ref-venv) and is created on
# first use from PyPI.
set -eu
VENV=${VENV:-/root/ref-venv}
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import torch, transformers, safetensors" 2>/dev/null; then
    python3 -m venv "$VENV" >&2
    "$VENV/bin/pip" install -q torch transformers safetensors numpy >&2
fi
echo "$VENV/bin/python"
