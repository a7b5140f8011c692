#!/bin/sh
# rlhf-bench with --device cuda on the CUDA emulator (rlhf_bench_emulated): the benchmarks
# that tests/gpu/run.sh runs on a GPU, at small shapes, must run, report every field the
# table reads with sane values (the emulator names itself as the GPU, an unnamed card to the
# peak table), and tests/gpu/table.py must turn their logs into the table. Timings here are
# the emulator's, meaningless except that they are positive and finite.
# Usage: test_bench_cuda.sh RLHF_BENCH_EMULATED TABLE_PY
set -u
bench=$1
table=$2
. "$(dirname "$0")/../shell_support.sh"
results=$work

# the pieces and log names of tests/gpu/run.sh, at shapes the emulator runs in seconds
"$bench" train --device cuda --config tiny -B 2 -T 16 --steps 2 --ceiling-size 128 --json \
    > "$results/rlhf_train_fp32.log" 2>&1 || fail "train FP32: $(cat "$results/rlhf_train_fp32.log")"
RLHF_TF32=1 "$bench" train --device cuda --config tiny -B 2 -T 16 --steps 2 --ceiling-size 128 --json \
    > "$results/rlhf_train_tf32.log" 2>&1 || fail "train TF32: $(cat "$results/rlhf_train_tf32.log")"
"$bench" train --device cpu --config tiny -B 2 -T 16 --steps 2 --ceiling-size 128 --json \
    > "$results/rlhf_train_cpu.log" 2>&1 || fail "train on the CPU: $(cat "$results/rlhf_train_cpu.log")"
"$bench" generate --device cuda --config tiny -B 2 --prompt-len 4 --new-tokens 4 --repeats 1 --json \
    > "$results/rlhf_generate.log" 2>&1 || fail "generate: $(cat "$results/rlhf_generate.log")"
"$bench" rm --device cuda --config tiny -B 2 -T 16 --steps 2 --json > "$results/rlhf_rm.log" 2>&1 ||
    fail "rm: $(cat "$results/rlhf_rm.log")"

# --profile: every op the step runs, with its share; refused on the CPU
"$bench" train --device cuda --config tiny -B 2 -T 16 --steps 1 --ceiling-size 128 --profile \
    > "$results/profile_train.log" 2>&1 || fail "train --profile: $(cat "$results/profile_train.log")"
for op in matmul_forward matmul_backward attention_forward attention_backward layernorm_forward adamw_update \
    target_logprobs_backward; do
    grep -Eq "^  $op +[0-9]+\.[0-9] +[0-9.]+ +[0-9.]+%" "$results/profile_train.log" ||
        fail "train --profile does not list $op: $(cat "$results/profile_train.log")"
done
grep -q "^  all ops .*unprofiled wall time" "$results/profile_train.log" || fail "train --profile: no total line"
"$bench" generate --device cuda --config tiny -B 2 --prompt-len 4 --new-tokens 4 --repeats 1 --profile \
    > "$results/profile_generate.log" 2>&1 || fail "generate --profile: $(cat "$results/profile_generate.log")"
grep -Eq "^  (attention_cached|sample_tokens) " "$results/profile_generate.log" ||
    fail "generate --profile does not list the cached attention and the sampler: $(cat "$results/profile_generate.log")"
"$bench" train --device cpu --config tiny -B 2 -T 16 --steps 1 --profile > "$results/profile_cpu.log" 2>&1 &&
    fail "train --profile on the CPU was not refused"
grep -q "needs --device cuda" "$results/profile_cpu.log" || fail "train --profile on the CPU: $(cat "$results/profile_cpu.log")"

python3 - "$results" << 'PYTHON' || fail "the benchmarks' JSON (above)"
import json, math, os, sys

results = sys.argv[1]
problems = []

def load(name):
    with open(os.path.join(results, name + ".log")) as log:
        lines = [line for line in log if line.startswith("{")]
    if not lines:
        problems.append(f"{name}: no JSON line")
        return {}
    return json.loads(lines[-1])

def positive(result, name, *keys):
    for key in keys:
        value = result.get(key)
        if not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
            problems.append(f"{name}: {key} = {value!r}, expected a positive finite number")

for name, tf32 in (("rlhf_train_fp32", False), ("rlhf_train_tf32", True)):
    r = load(name)
    if r.get("device") != "cuda" or r.get("gpu") != "CUDA emulator on the CPU" or r.get("tf32") is not tf32:
        problems.append(f"{name}: device/gpu/tf32 {r.get('device')!r} {r.get('gpu')!r} {r.get('tf32')!r}")
    positive(r, name, "tokens_per_s", "ms_per_step", "forward_ms", "backward_ms", "optimizer_ms", "gflops",
             "ceiling_gflops", "parameters")
    # an unnamed card (the emulator: 132 SMs at 1980 MHz) gets its FP32 peak from SMs x 128
    # lanes x 2 FLOPs x clock = 66.9 TFLOP/s, and no TF32 peak (0: unknown, no MFU)
    want_peak = 0.0 if tf32 else 132 * 128 * 2 * 1.98e9 / 1e9
    if abs(r.get("peak_gflops", -1) - want_peak) > 0.1:
        problems.append(f"{name}: peak_gflops {r.get('peak_gflops')}, expected {want_peak:.1f}")
    want_mfu = r.get("gflops", 0) / want_peak if want_peak else 0.0
    if abs(r.get("mfu", -1) - want_mfu) > 1e-4:
        problems.append(f"{name}: mfu {r.get('mfu')}, expected gflops / peak_gflops = {want_mfu:.4f}")
    # the same steps on the CPU end at the same loss (TF32: products to about 1e-3)
    cpu_loss = load("rlhf_train_cpu").get("loss", 0)
    if not abs(r.get("loss", 0) - cpu_loss) <= (1e-2 if tf32 else 1e-4) * cpu_loss:
        problems.append(f"{name}: loss {r.get('loss')}, the CPU's {cpu_loss}")
g = load("rlhf_generate")
positive(g, "rlhf_generate", "tokens_per_s", "ms_per_generate", "ms_per_token_step")
if g.get("tokens_generated") != 2 * 4 or g.get("device") != "cuda":
    problems.append(f"rlhf_generate: {g}")
m = load("rlhf_rm")
if m.get("device") != "cuda":
    problems.append(f"rlhf_rm: {m}")
print("\n".join(problems) if problems else "the benchmarks' JSON has every field the table reads")
sys.exit(1 if problems else 0)
PYTHON

python3 "$table" "$results" > "$results/table.txt" 2>&1 || fail "table.py exited non-zero: $(cat "$results/table.txt")"
cat "$results/table.txt"
grep -q "^GPU: CUDA emulator on the CPU" "$results/table.txt" || fail "table: no GPU line"
grep -q "^training step, config tiny, B=2 x T=16" "$results/table.txt" || fail "table: no training header"
grep -Eq "^rlhf FP32 +[0-9]+ +[0-9.]+ +[0-9.]+ +[0-9.]+%" "$results/table.txt" || fail "table: no rlhf FP32 row"
grep -Eq "^rlhf TF32 +[0-9]+ +[0-9.]+ +[0-9.]+ +- " "$results/table.txt" || fail "table: no rlhf TF32 row (MFU '-': no TF32 peak)"
grep -Eq "^PyTorch FP32 +\(no result\)" "$results/table.txt" || fail "table: a missing PyTorch result is not '(no result)'"
grep -Eq "^rlhf +[0-9]+ +[0-9.]+ +[0-9.]+" "$results/table.txt" || fail "table: no generation row"

finish "rlhf-bench on --device cuda (emulated) reports every field, and the table reads them"
