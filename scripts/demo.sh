#!/bin/sh
# The main job: install what is missing, build, and run the end-to-end demo.
# For now the demo trains the `tiny` GPT-2 on the bytes of this repository's own source
# (one token per byte, vocabulary 256), prints its loss falling, saves a Hugging Face model
# directory and measures its perplexity on held-out text.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh

out=${RLHF_DEMO_OUT:-demo-out}
mkdir -p "$out"
# Token ids: the bytes of the C sources, 64 to a line; the last files are held out.
cat nn/*.c nn/cpu/*.c policy/*.c util/*.c | od -An -tu1 -v -w64 > "$out/train-ids.txt"
cat cli/*.c bench/*.c | od -An -tu1 -v -w64 > "$out/heldout-ids.txt"

echo "== rlhf pretrain: tiny GPT-2 on $(wc -l < "$out/train-ids.txt") lines of byte ids"
./build/cli/rlhf pretrain --ids "$out/train-ids.txt" --config tiny --vocab-size 256 \
    --steps 300 --batch-size 16 --seq-len 128 --lr 3e-3 --out "$out/model"
echo "== rlhf ppl on held-out source (the CLI and benchmark files)"
./build/cli/rlhf ppl --model "$out/model" --ids "$out/heldout-ids.txt"
echo "== model directory (loads in transformers as GPT2LMHeadModel)"
ls -l "$out/model"
