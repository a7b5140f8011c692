#!/bin/sh
# The rlhf command as a user runs it: help and version, error format and exit codes,
# pretrain (loss falls; --resume equals an uninterrupted run), ppl against the Hugging
# Face fixture's loss.  Usage: test_cli.sh RLHF_BINARY FIXTURES_DIR
set -u
rlhf=$1
fixtures=$2
. "$(dirname "$0")/shell_support.sh"

# --- help, version, dispatch
"$rlhf" --help | grep -q "pretrain" || fail "rlhf --help does not list pretrain"
"$rlhf" --version | grep -q "^rlhf [0-9]" || fail "rlhf --version"
for command in tokenizer pretrain sft sample ppl; do
    "$rlhf" $command --help | grep -q "^usage: rlhf $command" || fail "rlhf $command --help"
    "$rlhf" --help | grep -q "^  $command " || fail "rlhf --help does not list $command"
done
expect_error 2 "unknown command 'frobnicate'" "$rlhf" frobnicate
expect_error 2 "unknown option '--bogus'" "$rlhf" --bogus
expect_error 2 "tokenizer: unknown command 'bogus'" "$rlhf" tokenizer bogus
expect_error 2 "unknown option '--bogus'" "$rlhf" ppl --bogus 1
# a stray word (a forgotten quote) is refused, not ignored; a value outside an option's list
# is a misused command line too, naming the option
expect_error 2 "sample: unexpected argument 'words'" "$rlhf" sample --model "$fixtures/gpt2/lm_small" --prompt hi words
expect_error 2 "prefs: unexpected argument 'extra'" "$rlhf" prefs export a.jsonl extra --db x.db
expect_error 2 "--device must be one of auto, cpu, cuda; got 'gpu'" "$rlhf" ppl --model x --ids y --device gpu
# an integer too large for any option says so, whatever its size
expect_error 2 "pretrain: --steps is out of range (99999999999999999999)" "$rlhf" pretrain --ids x --out y \
    --steps 99999999999999999999
expect_error 2 "pretrain: --steps is out of range (2147483648)" "$rlhf" pretrain --ids x --out y --steps 2147483648
expect_error 2 "--per-prompt 3000 with --pairs all would queue 4498500 pairs a prompt" "$rlhf" generate --db x.db \
    --model y --per-prompt 3000
# a FIFO given as an input is refused at once, not waited on
mkfifo "$work/fifo" && {
    expect_error 1 "fifo: not a regular file" timeout 20 "$rlhf" ppl --model "$fixtures/gpt2/lm_small" --ids "$work/fifo" \
        --device cpu
    expect_error 1 "fifo: not a regular file" timeout 20 "$rlhf" tokenizer train --corpus "$work/fifo" --vocab-size 300 \
        --out "$work/never_tok"
}
# a device is no store: refused naming it, and nothing written beside it
expect_error 1 "/dev/zero: not a regular file (a store is an SQLite file" "$rlhf" stats --db /dev/zero
expect_error 1 "/dev/null: not a regular file" "$rlhf" init --db /dev/null
[ -e /dev/null-journal ] || [ -e /dev/null-wal ] && fail "init --db /dev/null left a journal beside it"
# a model path that is not there, or not a directory, says that, not what a model lacks
expect_error 1 "nowhere: No such file or directory (a model is a directory)" "$rlhf" sample --model "$work/nowhere" \
    --prompt hi --device cpu
# the rlhf command does not link the CUDA libraries: it loads its CUDA backend when a device
# is asked for; on a machine without an NVIDIA driver --device auto says so in one short line
ldd "$rlhf" | grep -q -E "libcudart|libcublas" && fail "rlhf links the CUDA libraries: $(ldd "$rlhf" | grep cu)"
if ! ldconfig -p 2> /dev/null | grep -q "libcuda\.so\.1" && [ ! -e /proc/driver/nvidia/version ]; then
    "$rlhf" ppl --model "$fixtures/gpt2/lm_small" --ids "$fixtures/gpt2/lm_small/input_ids.txt" --device auto \
        > /dev/null 2> "$work/auto.err" || fail "ppl --device auto"
    [ "$(cat "$work/auto.err")" = "rlhf: --device auto: no NVIDIA driver; using the CPU" ] ||
        fail "--device auto without a driver: $(cat "$work/auto.err")"
    expect_error 1 "--device cuda: no usable CUDA device (no NVIDIA driver: libcuda.so.1 is not installed)" \
        "$rlhf" ppl --model "$fixtures/gpt2/lm_small" --ids "$fixtures/gpt2/lm_small/input_ids.txt" --device cuda
fi
expect_error 2 "--schedule must be one of constant, linear, cosine; got 'steep'" "$rlhf" sft --data x --model y --out z --schedule steep
expect_error 2 "--size-mb must be in (0, 4096], got 0" "$rlhf" demo corpus --out "$work/never.txt" --size-mb 0
expect_error 2 "give either --text or --file" "$rlhf" tokenizer encode --tokenizer x
expect_error 2 "--noise is for the scripted annotator" "$rlhf" label --db x.db --annotator bob --noise 1
expect_error 1 "no display to open the labeling app on" env -u DISPLAY -u WAYLAND_DISPLAY "$rlhf" label --db x.db --annotator bob
bench="$(dirname "$rlhf")/../bench/rlhf-bench"
if [ -x "$bench" ]; then
    expect_bench() { # STATUS NEEDLE ARGS...: rlhf-bench's own error prefix
        want=$1 needle=$2
        shift 2
        "$bench" "$@" > "$work/out" 2> "$work/err"
        got=$?
        [ "$got" -eq "$want" ] || fail "rlhf-bench $* exited $got, expected $want"
        grep -q "^rlhf-bench: error: .*$needle" "$work/err" || fail "rlhf-bench $*: stderr lacks '$needle': $(cat "$work/err")"
    }
    expect_bench 2 "-B must be an integer in \[1, 65536\], got '2x'" train -B 2x
    expect_bench 2 "--temperature must be a finite number >= 0, got 'nan'" generate --temperature nan --json
    expect_bench 2 "unknown argument 'stray'" train stray
    expect_bench 2 "missing BENCHMARK" 
    expect_bench 2 "products times OpenBLAS on the CPU" products --device cuda
    # products: a decode step's products at gpt2's shapes add up as the step total says
    # (12 layers of four, then the LM head; each printed to the microsecond)
    "$bench" products --config gpt2 -B 2 --repeats 2 --json > "$work/out" || fail "rlhf-bench products"
    sum=$(awk -v line="$(cat "$work/out")" 'BEGIN {
        n = split(line, parts, /[,{}]/)
        for (i = 1; i <= n; i++) if (parts[i] ~ /_ms"/) { split(parts[i], kv, ": "); ms[kv[1]] = kv[2] }
        printf "%.3f", 12 * (ms[" \"attn_c_attn_ms\""] + ms[" \"attn_c_proj_ms\""] + ms[" \"mlp_c_fc_ms\""] + ms[" \"mlp_c_proj_ms\""]) + ms[" \"lm_head_ms\""] }')
    close "$(json_value step_ms "$work/out")" "$sum" 0.01 || fail "rlhf-bench products: step_ms $(cat "$work/out") is not the sum $sum"
    awk -v a="$(json_value lm_head_ms "$work/out")" -v b="$(json_value attn_c_proj_ms "$work/out")" 'BEGIN { exit !(a > b) }' ||
        fail "rlhf-bench products: the 50257-column LM head is not slower than a 768 x 768 product: $(cat "$work/out")"
    # blas_core names the kernels OpenBLAS really runs: OPENBLAS_CORETYPE (read by a dynamic-arch
    # OpenBLAS when it loads) changes it. Nehalem's SSE kernels run on any x86-64 processor.
    if [ "$(uname -m)" = x86_64 ]; then
        OPENBLAS_CORETYPE=Nehalem "$bench" rm --config tiny -B 1 -T 8 --steps 1 --json > "$work/out" ||
            fail "rlhf-bench rm under OPENBLAS_CORETYPE=Nehalem"
        [ "$(json_value blas_core "$work/out")" = Nehalem ] ||
            fail "rlhf-bench reports blas_core '$(json_value blas_core "$work/out")' under OPENBLAS_CORETYPE=Nehalem"
    fi
else
    echo "SKIP: the rlhf-bench checks ($bench is not built)"
fi
expect_error 2 "give either --text-file or --ids" "$rlhf" ppl --model "$fixtures/gpt2/lm_small"
expect_error 2 "expects an integer" "$rlhf" ppl --model x --ids y --batch-size many

# --- ppl equals the loss transformers computed for the same sequences
for case in lm_small lm_padded; do
    "$rlhf" ppl --model "$fixtures/gpt2/$case" --ids "$fixtures/gpt2/$case/input_ids.txt" --json > "$work/ppl.json" ||
        fail "ppl on $case"
    ours=$(json_value loss "$work/ppl.json")
    theirs=$(json_value loss "$fixtures/gpt2/$case/ppl_reference.json")
    awk -v a="$ours" -v b="$theirs" 'BEGIN { exit !((a - b) ^ 2 < (1e-5 * b) ^ 2) }' ||
        fail "ppl $case: loss $ours, transformers $theirs"
    [ "$(json_value tokens "$work/ppl.json")" = "$(json_value tokens "$fixtures/gpt2/$case/ppl_reference.json")" ] ||
        fail "ppl $case: token count"
done

# --- ppl refuses bad input with the file and line
printf '1 2 3\n4 x 5\n' > "$work/bad.txt"
expect_error 1 "bad.txt: line 2" "$rlhf" ppl --model "$fixtures/gpt2/lm_small" --ids "$work/bad.txt"
printf '1 2 3\n4 500 5\n' > "$work/range.txt"
expect_error 1 "range.txt: line 2: token id 500 is outside" "$rlhf" ppl --model "$fixtures/gpt2/lm_small" --ids "$work/range.txt"
expect_error 1 "config.json" "$rlhf" ppl --model "$work/nowhere" --ids "$work/range.txt"

# --- pretrain: a small model on a repetitive stream learns it
awk 'BEGIN { srand(3); for (l = 0; l < 400; l++) { line = ""; for (i = 0; i < 32; i++) line = line " " (i * 7 + int(rand() * 2)) % 50; print line } }' > "$work/ids.txt"
train() {
    "$rlhf" pretrain --ids "$work/ids.txt" --config tiny --vocab-size 50 --batch-size 4 --seq-len 32 \
        --lr 3e-3 --warmup 2 --eval-every 0 --quiet --json --device cpu "$@"
}
train --steps 40 --out "$work/full" > "$work/full.json" || fail "pretrain"
first=$(json_value first_loss "$work/full.json")
final=$(json_value final_loss "$work/full.json")
awk -v a="$first" -v b="$final" 'BEGIN { exit !(b < a - 1.0) }' || fail "pretrain: loss $first -> $final did not fall by 1 nat"
[ -f "$work/full/config.json" ] && [ -f "$work/full/model.safetensors" ] && [ -f "$work/full/training_state.safetensors" ] ||
    fail "pretrain did not write the model directory"
ls "$work/full" | grep -q tmp && fail "temporary files left in the model directory"

# stopped after 20 of 40 steps, then resumed: the same model as the uninterrupted run,
# bit for bit (parameters, AdamW moments, data order and schedule all restored)
train --steps 40 --stop-after 20 --out "$work/resumed" > "$work/stop.json" || fail "pretrain --stop-after"
[ "$(json_value steps "$work/stop.json")" = 20 ] || fail "--stop-after 20 ran $(json_value steps "$work/stop.json") steps"
cmp -s "$work/resumed/model.safetensors" "$work/full/model.safetensors" && fail "20 and 40 steps gave the same model"
# a stopped run is a checkpoint, not a model: loading it as one names the command to continue it
expect_error 1 "resumed: an unfinished \`rlhf pretrain\` run (unfinished.json is there), not a finished model: continue it with \`rlhf pretrain ... --resume\`" \
    "$rlhf" ppl --model "$work/resumed" --ids "$work/ids.txt" --device cpu
train --steps 40 --resume --out "$work/resumed" > "$work/resume.json" || fail "pretrain --resume"
[ "$(json_value start_step "$work/resume.json")" = 20 ] || fail "resume did not start at step 20"
cmp -s "$work/resumed/model.safetensors" "$work/full/model.safetensors" || fail "resumed model differs from the uninterrupted one"
cmp -s "$work/resumed/training_state.safetensors" "$work/full/training_state.safetensors" || fail "resumed optimizer state differs"
[ -e "$work/resumed/unfinished.json" ] && fail "a pretrain run resumed to its end kept its unfinished mark"
"$rlhf" ppl --model "$work/resumed" --ids "$work/ids.txt" --device cpu > /dev/null || fail "ppl of the resumed model"

# --- pretrain refuses bad input before writing anything
expect_error 1 "ids.txt: line 1: token id" "$rlhf" pretrain --ids "$work/ids.txt" --vocab-size 10 --out "$work/never"
[ -e "$work/never" ] && fail "a failed pretrain created its output directory"
expect_error 2 "--config must be one of tiny, gpt2; got 'huge'" "$rlhf" pretrain --ids "$work/ids.txt" --config huge --out "$work/never"
# every numeric option is range-checked up front (NaN too); a diverging run stops, saving nothing
for bad in "lr -1" "lr nan" "warmup -1" "weight-decay -1" "grad-clip -1" "eval-every -1" "save-every -1" \
    "stop-after -1" "val-fraction 0.95" "steps 0"; do
    expect_error 2 "--${bad% *}" train --out "$work/never" --$bad
done
expect_error 1 "loss became non-finite at step" train --steps 5 --lr 1e30 --out "$work/never"
[ -e "$work/never" ] && fail "a rejected or diverged pretrain wrote its output directory"
# --resume: a finished checkpoint, or another batch shape, is refused and left untouched
cp "$work/full/model.safetensors" "$work/full.before"
expect_error 1 "already trained 40 steps" train --steps 40 --resume --out "$work/full"
expect_error 1 "already trained 40 steps" train --steps 30 --resume --out "$work/full"
expect_error 1 "was trained with --batch-size 4 --seq-len 32" train --steps 60 --batch-size 8 --resume --out "$work/full"
expect_error 1 "which --config does not" "$rlhf" pretrain --ids "$work/ids.txt" --config gpt2 --vocab-size 50 --batch-size 4 \
    --seq-len 32 --steps 60 --resume --quiet --device cpu --out "$work/full"
expect_error 1 "was trained with --dropout 0" train --steps 60 --dropout 0.1 --resume --out "$work/full"
cmp -s "$work/full/model.safetensors" "$work/full.before" || fail "a refused --resume rewrote the model"
# a training state belongs to the weights beside it: weights from another point of training
# (a run stopped between saving the two files, or another command writing the model) refuse
train --steps 40 --stop-after 10 --out "$work/mixed" > /dev/null || fail "pretrain --stop-after 10"
cp "$work/full/model.safetensors" "$work/mixed/model.safetensors"
expect_error 1 "belongs to other weights than model.safetensors" train --steps 40 --resume --out "$work/mixed"
# --out is checked before the run, not when it first saves
printf 'a file\n' > "$work/afile"
expect_error 1 "afile: exists and is not a directory" train --steps 2 --out "$work/afile"
expect_error 1 "afile/model: cannot be created: .*afile is not a directory" train --steps 2 --out "$work/afile/model"
train --steps 2 --val-fraction 0 --out "$work/noval" > "$work/noval.json" || fail "pretrain --val-fraction 0"
grep -q '"val_loss": null' "$work/noval.json" || fail "pretrain without validation: $(cat "$work/noval.json")"

# --- tokenizer: training reproduces Hugging Face's merges; encode/decode round trip
"$rlhf" tokenizer train --corpus "$fixtures/tokenizer/corpus.txt" --vocab-size 1000 --out "$work/tok" > /dev/null || fail "tokenizer train"
cmp -s "$work/tok/merges.txt" "$fixtures/tokenizer/merges.txt" || fail "tokenizer train merges differ from Hugging Face's"
ids=$("$rlhf" tokenizer encode --tokenizer "$work/tok" --text "Hello <|endoftext|> wörld")
[ "$("$rlhf" tokenizer decode --tokenizer "$work/tok" --ids "$ids")" = "Hello <|endoftext|> wörld" ] || fail "tokenizer round trip"
expect_error 1 "outside \[0, 1000)" "$rlhf" tokenizer decode --tokenizer "$work/tok" --ids "5 1000"
expect_error 2 "missing --vocab-size" "$rlhf" tokenizer train --corpus x --out y

# a model directory saved by transformers 5 holds tokenizer.json instead of vocab.json +
# merges.txt: the same ids, and the model samples the same text as with the two files
for text in "Hello <|endoftext|> wörld" "  numbers 12345, don't stop!"; do
    [ "$("$rlhf" tokenizer encode --tokenizer "$fixtures/tokenizer/transformers5" --text "$text")" = \
      "$("$rlhf" tokenizer encode --tokenizer "$fixtures/tokenizer" --text "$text")" ] ||
        fail "tokenizer.json encodes '$text' differently from vocab.json + merges.txt"
done
train --steps 1 --vocab-size 1000 --out "$work/hf-files" > /dev/null || fail "pretrain a 1000-id model"
cp -r "$work/hf-files" "$work/hf5"
cp "$fixtures/tokenizer/vocab.json" "$fixtures/tokenizer/merges.txt" "$work/hf-files/"
cp "$fixtures/tokenizer/transformers5/tokenizer.json" "$fixtures/tokenizer/transformers5/tokenizer_config.json" "$work/hf5/"
for model in hf-files hf5; do
    "$rlhf" sample --model "$work/$model" --prompt "The" --n 2 --max-new-tokens 8 --seed 3 --json --device cpu \
        > "$work/$model.json" || fail "sample from $model"
done
cmp -s "$work/hf-files.json" "$work/hf5.json" || fail "tokenizer.json and vocab.json + merges.txt sample differently"
rm "$work/hf5/tokenizer.json"
expect_error 1 "no tokenizer there (neither vocab.json + merges.txt nor tokenizer.json)" "$rlhf" sample \
    --model "$work/hf5" --prompt "The" --device cpu

# a model with more token ids than its tokenizer could sample ids that cannot be decoded
train --steps 1 --vocab-size 1200 --out "$work/wide" > /dev/null || fail "pretrain a 1200-id model"
cp "$work/tok/vocab.json" "$work/tok/merges.txt" "$work/wide/"
expect_error 1 "has 1200 token ids but its tokenizer only 1000" "$rlhf" sample --model "$work/wide" --prompt "Hi" --device cpu

expect_error 1 "missing-corpus.txt: No such file" "$rlhf" pretrain --corpus "$work/missing-corpus.txt" --tokenizer "$work/tok" \
    --out "$work/never-made"
[ -e "$work/never-made" ] && fail "pretrain with a missing corpus created its output directory"

# --- pretrain on a corpus: tokenized once into a token file, then reused on resume
corpus="$fixtures/tokenizer/corpus.txt"
"$rlhf" pretrain --corpus "$corpus" --tokenizer "$work/tok" --config tiny --steps 40 --stop-after 20 --batch-size 4 \
    --seq-len 32 --eval-every 0 --json --device cpu --out "$work/lm" > "$work/lm.json" 2> "$work/lm.err" || fail "pretrain --corpus"
[ -f "$work/lm/corpus.tokens" ] && [ -f "$work/lm/vocab.json" ] && [ -f "$work/lm/merges.txt" ] ||
    fail "pretrain --corpus did not write corpus.tokens and the tokenizer into the model directory"
# the resume names the same tokenizer saved another way (vocab.json on one line, as the hub
# writes it): the same tokenizer, so the checkpoint continues
mkdir -p "$work/tok-oneline"
python3 -c 'import json, sys; json.dump(json.load(open(sys.argv[1])), open(sys.argv[2], "w"), ensure_ascii=False)' \
    "$work/tok/vocab.json" "$work/tok-oneline/vocab.json" && cp "$work/tok/merges.txt" "$work/tok-oneline/" ||
    fail "a one-line copy of the tokenizer"
cmp -s "$work/tok/vocab.json" "$work/tok-oneline/vocab.json" && fail "the one-line vocab.json is the same bytes"
"$rlhf" pretrain --corpus "$corpus" --tokenizer "$work/tok-oneline" --config tiny --steps 40 --batch-size 4 --seq-len 32 \
    --eval-every 0 --resume --device cpu --out "$work/lm" > /dev/null 2> "$work/lm.err" ||
    fail "pretrain --corpus --resume: $(cat "$work/lm.err")"
grep -q "reused" "$work/lm.err" || fail "resume tokenized the corpus again"
# resuming with another tokenizer is refused before anything in the checkpoint is rewritten
"$rlhf" tokenizer train --corpus "$corpus" --vocab-size 600 --out "$work/tok2" > /dev/null || fail "a second tokenizer"
cp "$work/lm/vocab.json" "$work/lm-vocab.before"
expect_error 1 "was trained with another tokenizer" "$rlhf" pretrain --corpus "$corpus" --tokenizer "$work/tok2" \
    --config tiny --steps 60 --batch-size 4 --seq-len 32 --resume --device cpu --out "$work/lm"
cmp -s "$work/lm/vocab.json" "$work/lm-vocab.before" || fail "a refused resume rewrote the checkpoint's tokenizer"
expect_error 1 "has no checkpoint to continue from" "$rlhf" pretrain --corpus "$corpus" --tokenizer "$work/tok" \
    --steps 4 --batch-size 4 --seq-len 32 --resume --device cpu --out "$work/nockpt"
[ -e "$work/nockpt" ] && fail "pretrain --resume without a checkpoint wrote into --out"
expect_error 2 "--vocab-size is for --ids" "$rlhf" pretrain --corpus "$corpus" --tokenizer "$work/tok" --vocab-size 100 \
    --out "$work/nockpt"
"$rlhf" pretrain --corpus "$corpus" --tokenizer "$work/tok" --steps 1 --batch-size 2 --seq-len 8 --quiet --device cpu \
    --out "$work/quiet" > /dev/null 2> "$work/quiet.err" || fail "pretrain --quiet"
[ -s "$work/quiet.err" ] && fail "pretrain --quiet printed to stderr: $(cat "$work/quiet.err")"

# --- sample: repeatable with a seed, n samples, stop strings cut the text
"$rlhf" sample --model "$work/lm" --prompt "The" --n 3 --max-new-tokens 12 --seed 7 --json > "$work/s1.json" || fail "sample"
"$rlhf" sample --model "$work/lm" --prompt "The" --n 3 --max-new-tokens 12 --seed 7 --json > "$work/s2.json" || fail "sample again"
cmp -s "$work/s1.json" "$work/s2.json" || fail "the same seed gave different samples"
[ "$(grep -o '"stop_reason"' "$work/s1.json" | wc -l)" -eq 3 ] || fail "sample --n 3 did not give 3 samples"
# a stop string longer than 64 tokens is found too: greedy text, then the same run stopped at
# nine tenths of it (the match is the text's start, so nothing is left before it)
python3 - "$rlhf" "$work/lm" <<'PYTHON' || fail "a stop string of more than 64 tokens"
import json, subprocess, sys
rlhf, model = sys.argv[1], sys.argv[2]
def sample(*extra):
    out = subprocess.run([rlhf, "sample", "--model", model, "--prompt", "The", "--temperature", "0",
                          "--max-new-tokens", "150", "--device", "cpu", "--json", *extra],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["samples"][0]
whole = sample()
if whole["tokens"] < 100 or whole["stop_reason"] != "length":
    print(f"note: the long --stop check was skipped ({whole['tokens']} tokens, {whole['stop_reason']})", file=sys.stderr)
    sys.exit(0)  # this model stops early: nothing long enough to test with
stop = whole["text"][: len(whole["text"]) * 9 // 10]
cut = sample("--stop", stop)
if cut["stop_reason"] != "stop" or cut["text"] != "" or cut["tokens"] >= whole["tokens"]:
    sys.exit(f"stop of {len(stop)} characters: {cut}")
PYTHON
# every token drawn alike (temperature 1e9): some decode to a NUL byte, which is kept as
# U+FFFD rather than cutting the text there (each token decodes to at least one byte, so a
# whole text has at least as many bytes as tokens). The 300-token vocabulary has one token
# for byte 0, so 3,200 uniform draws hold about 11 (none with probability e^-10.7); without
# the replacement the first sample came out as 144 bytes for 200 tokens.
"$rlhf" sample --model "$work/lm" --prompt "The" --n 16 --max-new-tokens 200 --temperature 1e9 --seed 5 --json \
    --device cpu > "$work/nul.json" || fail "sample --temperature 1e9"
python3 - "$work/nul.json" <<'PYTHON' || fail "sampled NUL bytes: $(head -c 300 "$work/nul.json")"
import json, sys
samples = json.load(open(sys.argv[1]))["samples"]
for s in samples:
    text_tokens = s["tokens"] - (s["stop_reason"] == "eos")
    if "\0" in s["text"] or len(s["text"].encode("utf-8", "surrogatepass")) < text_tokens:
        sys.exit(f"a sample cut short: {len(s['text'].encode())} bytes for {text_tokens} tokens")
PYTHON
"$rlhf" sample --model "$work/lm" --prompt "The" --n 2 --max-new-tokens 40 --seed 7 --stop " " --json > "$work/s3.json" || fail "sample --stop"
grep -q '"text":"[^" ]*"' "$work/s3.json" || fail "--stop ' ' left a space in the text: $(cat "$work/s3.json")"
expect_error 1 "exceeds the model's 256 positions" "$rlhf" sample --model "$work/lm" --prompt "The" --max-new-tokens 300

# --- ppl on text
"$rlhf" ppl --model "$work/lm" --text-file "$corpus" --json > "$work/ppl_text.json" || fail "ppl --text-file"
grep -q '"perplexity"' "$work/ppl_text.json" || fail "ppl --text-file output"

# --- sft: trains on responses; a malformed line fails before anything is written
printf '{"prompt": "Q: the", "response": " answer"}\n%.0s' 1 2 3 4 5 6 7 8 > "$work/sft.jsonl"
"$rlhf" sft --data "$work/sft.jsonl" --model "$work/lm" --out "$work/sft" --epochs 2 --batch-size 4 --val-fraction 0 \
    --json --device cpu > "$work/sft.json" || fail "sft"
[ -f "$work/sft/model.safetensors" ] && [ -f "$work/sft/vocab.json" ] || fail "sft did not write a model directory"
printf '{"prompt": "a", "response": "b"}\n{"prompt": "a", "response": 7}\n' > "$work/bad.jsonl"
expect_error 1 "bad.jsonl: line 2" "$rlhf" sft --data "$work/bad.jsonl" --model "$work/lm" --out "$work/sft_bad"
[ -e "$work/sft_bad" ] && fail "a failed sft created its output directory"
grep -q '"val_loss": null' "$work/sft.json" || fail "sft without validation: $(cat "$work/sft.json")"
expect_error 2 "--lr must be a finite number above 0" "$rlhf" sft --data "$work/sft.jsonl" --model "$work/lm" \
    --out "$work/sft_bad" --lr -1
expect_error 1 "loss became non-finite at step" "$rlhf" sft --data "$work/sft.jsonl" --model "$work/lm" \
    --out "$work/sft_bad" --lr 1e30 --grad-clip 0 --epochs 2 --batch-size 4 --device cpu
[ -e "$work/sft_bad" ] && fail "a diverged sft created its output directory"
# into an existing model, a diverged sft leaves it refused rather than half-replaced
cp -r "$work/sft" "$work/sft_over"
expect_error 1 "loss became non-finite at step" "$rlhf" sft --data "$work/sft.jsonl" --model "$work/lm" \
    --out "$work/sft_over" --lr 1e30 --grad-clip 0 --epochs 2 --batch-size 4 --device cpu
expect_error 1 "sft_over: an unfinished \`rlhf sft\` run (unfinished.json is there), not a finished model: run it again" \
    "$rlhf" sample --model "$work/sft_over" --prompt "Q:" --device cpu
# an --out that is a file fails before training, naming it, and leaves the file as it was
echo "not a model" > "$work/sft_file"
expect_error 1 "sft_file: exists and is not a directory" "$rlhf" sft --data "$work/sft.jsonl" --model "$work/lm" \
    --out "$work/sft_file" --epochs 2 --batch-size 4 --device cpu
grep -q "^step" "$work/out" && fail "sft trained before refusing a file as --out"
[ "$(cat "$work/sft_file")" = "not a model" ] || fail "sft changed the file given as --out"
expect_error 1 "sft_file is not a directory" "$rlhf" sft --data "$work/sft.jsonl" --model "$work/lm" \
    --out "$work/sft_file/model" --device cpu

# --- the store: init, prompts, generate, the oracle, stats, export
db="$work/prefs.db"
"$rlhf" init --db "$db" > /dev/null || fail "init"
printf '{"prompt": "The hotel was"}\n{"prompt": "My new phone is", "id": "p2"}\n{"prompt": "The hotel was"}\n' > "$work/prompts.jsonl"
"$rlhf" prompts import "$work/prompts.jsonl" --db "$db" --json > "$work/import.json" || fail "prompts import"
grep -q '"imported": 2, "duplicates": 1' "$work/import.json" || fail "prompts import counts: $(cat "$work/import.json")"
printf '{"prompt": "fine"}\n{"prompt": 3}\n' > "$work/badprompts.jsonl"
expect_error 1 "badprompts.jsonl: line 2" "$rlhf" prompts import "$work/badprompts.jsonl" --db "$db"
printf '{"prompt": "fine"}\n{"prompt": "cut\\u0000here"}\n' > "$work/nulprompts.jsonl"
expect_error 1 "nulprompts.jsonl: line 2: column [0-9]*: a string holds \\\\u0000 (a NUL character), which no text here can hold" \
    "$rlhf" prompts import "$work/nulprompts.jsonl" --db "$db"
"$rlhf" generate --db "$db" --model "$work/lm" --per-prompt 3 --max-new-tokens 8 --json --device cpu > "$work/gen.json" ||
    fail "generate"
grep -q '"prompts": 2, "completions": 6, "pairs": 6' "$work/gen.json" || fail "generate counts: $(cat "$work/gen.json")"
# each completion records what draws it again: the batch's seed and its row's stream
if command -v sqlite3 > /dev/null; then
    [ "$(sqlite3 "$db" "SELECT COUNT(DISTINCT json_extract(sampling, '$.stream')) FROM completions WHERE json_extract(sampling, '$.seed') IS NOT NULL")" = 6 ] ||
        fail "completions' sampling settings: $(sqlite3 "$db" 'SELECT sampling FROM completions')"
fi
"$rlhf" generate --db "$db" --model "$work/lm" --per-prompt 3 --json --device cpu > "$work/gen2.json" || fail "generate again"
grep -q '"prompts": 0' "$work/gen2.json" || fail "generate sampled prompts that already had completions from this model"
"$rlhf" label --db "$db" --oracle sentiment --noise 0 --limit 4 --json > "$work/oracle.json" || fail "label --oracle"
grep -q '"labeled": 4' "$work/oracle.json" || fail "oracle labels: $(cat "$work/oracle.json")"
"$rlhf" label --db "$db" --oracle sentiment --json > "$work/oracle2.json" || fail "label --oracle (rest)"
grep -q '"labeled": 2' "$work/oracle2.json" || fail "oracle did not finish the queue: $(cat "$work/oracle2.json")"
expect_error 2 "unknown oracle 'astrology'" "$rlhf" label --db "$db" --oracle astrology
"$rlhf" stats --db "$db" --json > "$work/stats.json" || fail "stats"
grep -q '"comparisons":6' "$work/stats.json" && grep -q '"name":"oracle:sentiment","labels":6' "$work/stats.json" ||
    fail "stats: $(cat "$work/stats.json")"
"$rlhf" prefs export "$work/out.jsonl" --db "$db" --json > "$work/export.json" || fail "prefs export"
written=$(json_value written "$work/export.json")
[ "$(wc -l < "$work/out.jsonl")" -eq "$written" ] || fail "prefs export wrote $(wc -l < "$work/out.jsonl") lines, said $written"
"$rlhf" prefs import "$work/out.jsonl" --db "$db" --json > "$work/reimport.json" || fail "prefs import"
[ "$(json_value imported "$work/reimport.json")" = "$written" ] || fail "prefs import count"
"$rlhf" prefs import "$work/out.jsonl" --db "$db" --json > "$work/reimport2.json" || fail "prefs import again"
[ "$(json_value imported "$work/reimport2.json")" = 0 ] && [ "$(json_value duplicates "$work/reimport2.json")" = "$written" ] ||
    fail "a second import of the same file: $(cat "$work/reimport2.json")"
# the default annotator, import:FILE's base name, is cut to 64 bytes at a character boundary
long_name="$work/$(printf 'é%.0s' $(seq 40)).jsonl"
cp "$work/out.jsonl" "$long_name"
"$rlhf" prefs import "$long_name" --db "$db" --json > "$work/reimport3.json" || fail "prefs import from a long UTF-8 file name"
[ "$(json_value imported "$work/reimport3.json")" = "$written" ] || fail "prefs import from a long UTF-8 file name: $(cat "$work/reimport3.json")"
[ "$("$rlhf" oracle score --text "This blender is excellent.")" != "$("$rlhf" oracle score --text "This blender is awful.")" ] ||
    fail "oracle score"
printf 'not a database at all, not even close...........................................................' > "$work/junk.db"
expect_error 1 "junk.db" "$rlhf" stats --db "$work/junk.db"
# an SQLite file of someone else's: init refuses it and leaves its bytes as they were
if command -v sqlite3 > /dev/null; then
    sqlite3 "$work/foreign.db" "CREATE TABLE foo (x INTEGER); INSERT INTO foo VALUES (42);" || fail "make a foreign SQLite file"
    cp "$work/foreign.db" "$work/foreign.before"
    expect_error 1 "foreign.db" "$rlhf" init --db "$work/foreign.db"
    cmp -s "$work/foreign.db" "$work/foreign.before" || fail "init changed a foreign SQLite file"
    [ -e "$work/foreign.db-wal" ] && fail "init left a WAL file beside a foreign SQLite file"
fi

# --- what the store commands write and read: export never replaces the store (by any
# name), follows a link, keeps a file's permissions and refuses what is not a file; import
# names annotators safely; two oracles or two generate runs at once add each row once
"$rlhf" stats --db "$db" --json > "$work/files-before.json" || fail "stats before the export refusals"
ln -s "$db" "$work/db-link"
for target in "$db" "$db-wal" "$work/db-link"; do
    expect_error 1 "is the store itself" "$rlhf" prefs export "$target" --db "$db"
done
"$rlhf" stats --db "$db" --json > "$work/files-after.json" || fail "export over the store destroyed it"
cmp -s "$work/files-before.json" "$work/files-after.json" || fail "a refused export changed the store"
printf 'old\n' > "$work/private.jsonl"
chmod 600 "$work/private.jsonl"
ln -s private.jsonl "$work/private-link.jsonl"
"$rlhf" prefs export "$work/private-link.jsonl" --db "$db" --json > "$work/private.json" || fail "export through a symbolic link"
[ -L "$work/private-link.jsonl" ] || fail "export replaced the symbolic link instead of the file it names"
[ "$(wc -l < "$work/private.jsonl")" -eq "$(json_value written "$work/private.json")" ] ||
    fail "export through a link did not write the file it names"
[ "$(stat -c %a "$work/private.jsonl")" = 600 ] || fail "export changed a file's permissions to $(stat -c %a "$work/private.jsonl")"
[ -p "$work/fifo" ] || mkfifo "$work/fifo"
expect_error 1 "fifo: not a regular file" "$rlhf" prefs export "$work/fifo" --db "$db"
expect_error 1 "annotator 'oracle:sentiment' already exists as an oracle annotator" \
    "$rlhf" prefs import "$work/out.jsonl" --db "$db" --annotator oracle:sentiment
expect_error 2 "at most 64 bytes, got 65" "$rlhf" prefs import "$work/out.jsonl" --db "$db" --annotator "$(printf 'x%.0s' $(seq 65))"
"$rlhf" stats --db "$db" --json > "$work/files-after.json" || fail "stats after the import refusals"
cmp -s "$work/files-before.json" "$work/files-after.json" || fail "a refused import changed the store"
files_db="$work/files.db"
"$rlhf" init --db "$files_db" > /dev/null || fail "init $files_db"
latin1="$work/$(printf 'caf\351').jsonl" # a file name that is not UTF-8: the default annotator is repaired
cp "$work/out.jsonl" "$latin1"
"$rlhf" prefs import "$latin1" --db "$files_db" > /dev/null || fail "prefs import from a Latin-1 file name"
"$rlhf" stats --db "$files_db" --json | grep -q "\"name\":\"import:caf$(printf '\357\277\275').jsonl\"" ||
    fail "the repaired annotator name: $("$rlhf" stats --db "$files_db" --json)"
printf '\357\273\277{"prompt": "A byte-order mark comes first"}\n' > "$work/bom.jsonl"
"$rlhf" prompts import "$work/bom.jsonl" --db "$files_db" --json | grep -q '"imported": 1' || fail "a UTF-8 byte-order mark"
rlhf_path=$(cd "$(dirname "$rlhf")" && pwd)/$(basename "$rlhf")
(cd "$work" && "$rlhf_path" init --db file:uri.db > /dev/null) || fail "init --db file:uri.db"
[ -f "$work/file:uri.db" ] || fail "--db file:uri.db was read as an SQLite URI"
race_db="$work/race.db"
"$rlhf" init --db "$race_db" > /dev/null && "$rlhf" prompts import "$work/prompts.jsonl" --db "$race_db" > /dev/null ||
    fail "the race store"
for run in 1 2; do
    "$rlhf" generate --db "$race_db" --model "$work/lm" --per-prompt 6 --max-new-tokens 4 --device cpu > /dev/null &
done
wait
"$rlhf" stats --db "$race_db" --json > "$work/race.json" || fail "stats of the race store"
grep -q '"completions":12,"pairs":30' "$work/race.json" || fail "two generate runs at once: $(cat "$work/race.json")"
for run in 1 2; do
    "$rlhf" label --db "$race_db" --oracle sentiment > "$work/race-$run.out" 2>&1 &
done
wait
grep -q "error" "$work/race-1.out" "$work/race-2.out" && fail "two oracles at once: $(cat "$work/race-1.out" "$work/race-2.out")"
"$rlhf" stats --db "$race_db" --json | grep -q '"comparisons":30,' || fail "two oracles at once did not label each pair once"

# --- the store refuses bad input before writing anything: only init creates a store;
# generate and sample check sampling options alike; long prompts are skipped by name
"$rlhf" stats --db "$db" --json > "$work/store-before.json" || fail "stats before the refusals"
for args in "stats" "prefs export $work/store-x.jsonl" "prefs import $work/out.jsonl" "label --oracle sentiment" \
    "prompts import $work/prompts.jsonl" "report --run 1 --out $work/store-x.png" "generate --model $work/lm --device cpu"; do
    expect_error 1 "store-typo.db: no such store (create it with rlhf init" "$rlhf" $args --db "$work/store-typo.db"
done
[ -e "$work/store-typo.db" ] && fail "a command other than init created a store"
for bad in "temperature -1" "temperature nan" "top-p 0" "top-p 2" "top-k -1" "max-new-tokens 0"; do
    expect_error 2 "--${bad% *}" "$rlhf" generate --db "$db" --model "$work/lm" --device cpu --$bad
    expect_error 2 "--${bad% *}" "$rlhf" sample --model "$work/lm" --device cpu --$bad
done
expect_error 2 "--limit -1" "$rlhf" generate --db "$db" --model "$work/lm" --device cpu --limit -1
expect_error 1 "exceeds the model's 256 positions" "$rlhf" generate --db "$db" --model "$work/lm" --device cpu --max-new-tokens 300
expect_error 2 "unknown option '--annotator'" "$rlhf" prompts import "$work/prompts.jsonl" --db "$db" --annotator bob
"$rlhf" prompts --help | grep -q -- "--annotator" && fail "prompts import --help lists --annotator"
expect_error 2 "not both" "$rlhf" label --db "$db" --oracle sentiment --annotator bob
printf '{"prompt": "a", "chosen": "b", "rejected": "c"}\n{"prompt": "a", "chosen": "same", "rejected": "same"}\n' > "$work/store-same.jsonl"
expect_error 1 "store-same.jsonl: line 2: .*same text" "$rlhf" prefs import "$work/store-same.jsonl" --db "$db"
printf '{"prompt": "The hotel was", "id": "another-id"}\n' > "$work/store-again.jsonl"
"$rlhf" prompts import "$work/store-again.jsonl" --db "$db" --json | grep -q '"imported": 0, "duplicates": 1' ||
    fail "a prompt with a new id but known text was imported"
"$rlhf" stats --db "$db" --json > "$work/store-after.json" || fail "stats after the refusals"
cmp -s "$work/store-before.json" "$work/store-after.json" || fail "a refused command changed the store"
"$rlhf" sample --model "$work/lm" --prompt "$(printf 'caf\303')" --max-new-tokens 2 --json > "$work/store-utf8.json" ||
    fail "sample with invalid UTF-8"
grep -qi '"prompt":"caf\\ufffd"' "$work/store-utf8.json" || fail "sample --json lost the prompt: $(cat "$work/store-utf8.json")"
long="$work/store-long.db"
"$rlhf" init --db "$long" > /dev/null || fail "init $long"
{ printf '{"prompt": "The hotel was", "id": "short"}\n'; printf '{"prompt": "%s", "id": "too-long"}\n' "$(printf 'word %.0s' $(seq 300))"; } > "$work/store-long.jsonl"
"$rlhf" prompts import "$work/store-long.jsonl" --db "$long" > /dev/null || fail "import a long prompt"
"$rlhf" generate --db "$long" --model "$work/lm" --per-prompt 2 --max-new-tokens 8 --json --device cpu > "$work/store-long.json" \
    2> "$work/store-long.err" || fail "generate with an over-long prompt: $(cat "$work/store-long.err")"
grep -q '"prompts": 1, "completions": 2, "pairs": 1, "skipped": 1' "$work/store-long.json" ||
    fail "generate with an over-long prompt: $(cat "$work/store-long.json")"
grep -q '^rlhf: warning: .*skipped prompt 2 (id "too-long")' "$work/store-long.err" || fail "no warning naming the long prompt"

# --- reward model: train on the oracle's labels, evaluate, score, plot
"$rlhf" label --db "$db" --oracle sentiment > /dev/null || fail "oracle on the re-imported pairs"
"$rlhf" rm train --db "$db" --model "$work/lm" --out "$work/rm" --epochs 1 --batch-pairs 4 --norm-samples 2 \
    --val-percent 30 --json --device cpu > "$work/rm.json" || fail "rm train"
grep -q '"train_pairs"' "$work/rm.json" || fail "rm train output: $(cat "$work/rm.json")"
for f in config.json model.safetensors vocab.json merges.txt reward_normalization.json reward_training.json training_state.safetensors; do
    [ -f "$work/rm/$f" ] || fail "rm train did not write $f"
done
grep -q GPT2ForSequenceClassification "$work/rm/config.json" || fail "the reward model is not a GPT2ForSequenceClassification"
# active selection: of each prompt's 4 completions, the one pair the reward model is least sure of
"$rlhf" init --db "$work/active.db" > /dev/null && "$rlhf" prompts import "$work/prompts.jsonl" --db "$work/active.db" \
    > /dev/null || fail "init the active-selection store"
"$rlhf" generate --db "$work/active.db" --model "$work/lm" --per-prompt 4 --select uncertain --reward "$work/rm" \
    --max-new-tokens 8 --json --device cpu > "$work/active.json" || fail "generate --select uncertain"
[ "$(json_value completions "$work/active.json")" = 8 ] &&
    [ "$(( $(json_value pairs "$work/active.json") + $(json_value identical_pairs "$work/active.json") ))" = 2 ] ||
    fail "generate --select uncertain: $(cat "$work/active.json") (expected 8 completions, one pair a prompt)"
expect_error 2 "--select uncertain needs --reward DIR" "$rlhf" generate --db "$work/active.db" --model "$work/lm" \
    --per-prompt 4 --select uncertain
expect_error 2 "give 3 or more" "$rlhf" generate --db "$work/active.db" --model "$work/lm" --per-prompt 2 \
    --select uncertain --reward "$work/rm"
expect_error 2 "leave out --pairs" "$rlhf" generate --db "$work/active.db" --model "$work/lm" --per-prompt 3 \
    --select uncertain --reward "$work/rm" --pairs all
expect_error 1 "not a reward model" "$rlhf" generate --db "$work/active.db" --model "$work/lm" --per-prompt 3 \
    --select uncertain --reward "$work/lm" --device cpu
"$rlhf" rm eval --db "$db" --model "$work/rm" --split all --plot "$work/cal.png" --json > "$work/eval.json" || fail "rm eval"
grep -q '"accuracy_95"' "$work/eval.json" && grep -q '"ece"' "$work/eval.json" || fail "rm eval output: $(cat "$work/eval.json")"
[ -s "$work/cal.png" ] && [ -s "$work/cal-curves.png" ] || fail "rm eval --plot did not draw both pictures"
"$rlhf" rm score --model "$work/rm" --prompt "The hotel was" --response " lovely" --json | grep -q '"normalized"' ||
    fail "rm score"
expect_error 1 "not a reward model" "$rlhf" rm score --model "$work/lm" --response " x"
"$rlhf" rm train --db "$db" --model "$work/lm" --out "$work/rm" --epochs 2 --batch-pairs 4 --norm-samples 2 \
    --val-percent 30 --resume --json --device cpu > "$work/rm2.json" || fail "rm train --resume"
[ "$(json_value start_epoch "$work/rm2.json")" = 1 ] || fail "rm train --resume did not continue after epoch 1: $(cat "$work/rm2.json")"
run=$(json_value run_id "$work/rm.json")
"$rlhf" report --db "$db" --run "$run" --out "$work/run.png" > /dev/null && [ -s "$work/run.png" ] || fail "report"
expect_error 1 "no run 999" "$rlhf" report --db "$db" --run 999 --out "$work/none.png"
"$rlhf" report --db "$db" --run "$run" --out "$work/run2.png" --json > "$work/report.json" || fail "report --json"
[ "$(json_value run "$work/report.json")" = "$run" ] && [ -s "$work/run2.png" ] || fail "report --json: $(cat "$work/report.json")"

# --- rm train checks options, pairs and prompts before it records a run or writes; a
# diverging run stops and is marked failed; side files of a reward model are checked
rm_train() { "$rlhf" rm train --db "$db" --model "$work/lm" --epochs 1 --batch-pairs 4 --device cpu "$@"; }
runs_before=0
command -v sqlite3 > /dev/null && runs_before=$(sqlite3 "$db" "select coalesce(max(id), 0) from runs")
for bad in "lr -1" "lr nan" "warmup -1" "center -1" "val-percent 95" "norm-samples 1" "norm-samples -1" \
    "norm-temperature 0"; do
    expect_error 2 "--${bad% *}" rm_train --out "$work/rm_bad" --$bad
done
expect_error 1 "loss became non-finite at step" rm_train --out "$work/rm_bad" --lr 1e30 --grad-clip 0 --batch-pairs 1 \
    --val-percent 0 --norm-samples 0
[ -e "$work/rm_bad" ] && fail "a rejected or diverged rm train wrote its output directory"
cp "$work/lm/model.safetensors" "$work/lm-weights.before"
expect_error 2 "is the --model directory" rm_train --out "$work/lm/"
expect_error 1 "afile: exists and is not a directory" rm_train --out "$work/afile"
cmp -s "$work/lm/model.safetensors" "$work/lm-weights.before" || fail "rm train --out the policy rewrote the policy"
if command -v sqlite3 > /dev/null; then
    runs=$(sqlite3 "$db" "select count(*) || ' ' || max(status) from runs where id > $runs_before")
    [ "$runs" = "1 failed" ] || fail "runs recorded after the refused and diverged rm trains: $runs (expected 1 failed)"
fi
expect_error 1 "already trained 2 epochs" rm_train --out "$work/rm" --epochs 2 --resume
rm_train --out "$work/rm_noval" --val-percent 0 --norm-samples 5 --json > "$work/noval.json" 2> "$work/noval.err" ||
    fail "rm train --val-percent 0"
grep -q '"val_loss": null, "val_accuracy": null' "$work/noval.json" && grep -q '"samples": 2, "requested": 5' "$work/noval.json" ||
    fail "rm train without validation: $(cat "$work/noval.json")"
grep -q "normalisation uses 2 samples" "$work/noval.err" || fail "rm train did not say --norm-samples was capped"
# training on in that directory without a new normalisation removes the old one
[ -f "$work/rm_noval/reward_normalization.json" ] || fail "rm train --norm-samples 5 wrote no normalisation"
rm_train --out "$work/rm_noval" --epochs 2 --resume --val-percent 0 --norm-samples 0 --json > "$work/noval2.json" \
    2> /dev/null || fail "rm train --resume --norm-samples 0"
[ "$(json_value run_id "$work/noval2.json")" = "$(json_value run_id "$work/noval.json")" ] ||
    fail "a resumed rm train took run $(json_value run_id "$work/noval2.json"), not $(json_value run_id "$work/noval.json")"
[ -e "$work/rm_noval/reward_normalization.json" ] && fail "a resumed rm train kept the earlier model's normalisation"
# a run into a finished reward model that fails part way (here: diverges) leaves no model that
# loads as finished: not the new weights beside the old metadata (issue 18's first finding)
cp -r "$work/rm" "$work/rm_over"
expect_error 1 "loss became non-finite at step" rm_train --out "$work/rm_over" --lr 1e30 --grad-clip 0 --batch-pairs 1 \
    --val-percent 0 --norm-samples 0
expect_error 1 "rm_over: an unfinished \`rlhf rm train\` run" "$rlhf" rm score --model "$work/rm_over" --response " x"
expect_error 1 "an unfinished \`rlhf rm train\` run" "$rlhf" rm eval --db "$db" --model "$work/rm_over"
# nor is it taken for a finished training to complete: the new run removed the old one's
# checkpoint before its first step
[ -e "$work/rm_over/training_state.safetensors" ] && fail "a new rm train kept the old run's checkpoint"
expect_error 1 "training_state.safetensors" rm_train --out "$work/rm_over" --epochs 2 --resume
# killed while it fitted the normalisation (issue 18's second finding): the final weights, the
# checkpoint and the mark are there, reward_normalization.json is not. Nothing loads it as a
# finished model, and --resume completes it (the normalisation, the mark removed) in the
# same run, with the weights it had
cp -r "$work/rm" "$work/rm_cut"
rm "$work/rm_cut/reward_normalization.json"
echo '{"command": "rlhf rm train", "resumable": true}' > "$work/rm_cut/unfinished.json"
cp "$work/rm_cut/model.safetensors" "$work/rm_cut.weights"
expect_error 1 "rm_cut: an unfinished \`rlhf rm train\` run" "$rlhf" rm score --model "$work/rm_cut" --response " x"
"$rlhf" rm train --db "$db" --model "$work/lm" --out "$work/rm_cut" --epochs 2 --batch-pairs 4 --norm-samples 2 \
    --val-percent 30 --resume --device cpu > "$work/cut.txt" 2> /dev/null || fail "rm train --resume after a cut"
grep -q "completed $work/rm_cut: its training had ended" "$work/cut.txt" || fail "rm train --resume after a cut: $(cat "$work/cut.txt")"
[ -e "$work/rm_cut/unfinished.json" ] && fail "a completed rm train kept its unfinished mark"
[ -f "$work/rm_cut/reward_normalization.json" ] || fail "a completed rm train wrote no normalisation"
cmp -s "$work/rm_cut/model.safetensors" "$work/rm_cut.weights" || fail "completing an rm train changed its weights"
"$rlhf" rm score --model "$work/rm_cut" --response " x" --json | grep -q '"normalized"' || fail "rm score after completion"
expect_error 1 "already trained 2 epochs" rm_train --out "$work/rm_cut" --epochs 2 --resume
"$rlhf" init --db "$work/empty.db" > /dev/null && "$rlhf" prompts import "$work/prompts.jsonl" --db "$work/empty.db" > /dev/null ||
    fail "init the empty store"
expect_error 1 "no training pairs" "$rlhf" rm train --db "$work/empty.db" --model "$work/lm" --out "$work/rm_bad" --device cpu
expect_error 1 "no run 1" "$rlhf" report --db "$work/empty.db" --run 1 --out "$work/none.png"
"$rlhf" rm eval --db "$db" --model "$work/rm" --split all --plot "$work/noext" > "$work/plot.txt" || fail "rm eval --plot noext"
[ -s "$work/noext" ] && [ -s "$work/noext-curves.png" ] && grep -q "wrote $work/noext-curves.png" "$work/plot.txt" ||
    fail "rm eval --plot without .png: $(cat "$work/plot.txt"; ls "$work")"
expect_error 1 "is a reward model" "$rlhf" sft --data "$work/sft.jsonl" --model "$work/rm" --out "$work/sft_bad"
cp -r "$work/rm" "$work/rmx"
echo '{"gain": "x"}' > "$work/rmx/reward_normalization.json"
expect_error 1 'reward_normalization.json: "gain"' "$rlhf" rm score --model "$work/rmx" --response " x"
echo '{"val_percent": 500, "max_length": 64, "ties_as_equal": false}' > "$work/rmx/reward_training.json"
expect_error 1 'reward_training.json: "val_percent"' "$rlhf" rm eval --db "$db" --model "$work/rmx"
echo '{}' > "$work/rmx/reward_training.json"
expect_error 1 'reward_training.json: missing "val_percent"' "$rlhf" rm eval --db "$db" --model "$work/rmx"

finish "all CLI checks passed"
