#!/bin/sh
# The whole GPU proof in one call, from the repository root on a machine with an NVIDIA GPU:
#   tests/gpu/run.sh
# 1. takes the parity test and the benchmark from build-gpu-bundle/ when that bundle is there
#    and was built from these sources (tests/gpu/bundle.sh makes it on a machine with the
#    project's libraries, which the lent GPU machines lack); otherwise checks the tools it
#    needs (and says what is missing), configures build-gpu with -Dcuda=enabled and builds
#    them; a stale bundle is the last resort, with a warning;
# 2. runs tests/test_cuda: CPU-vs-CUDA parity of every backend op on fresh random inputs,
#    whole training steps and generation (it prints one line per comparison); if it fails,
#    reruns the op tests under compute-sanitizer (memcheck) at the very end to point at the
#    kernel;
# 3. benchmarks on the GPU: a GPT-2 124M training step at B=8, T=1024 (FP32, then TF32) and
#    greedy generation for 64 prompts of 16 tokens with 64 new tokens each, in rlhf
#    (bench/rlhf_bench.c) and in PyTorch + transformers (bench/torch_train.py,
#    bench/torch_generate.py) on the same card; then one PPO iteration (64 responses of 48
#    tokens, 4 epochs of 4 minibatches; rlhf-bench ppo against bench/torch_ppo.py);
# 4. runs the rlhf command's stages with --device cuda against --device cpu
#    (tests/cuda_emulator/test_cli_cuda.sh with the real rlhf: pretrain and its resume, ppl,
#    sample, sft, generate into a store, the reward model's training and evaluation, two PPO
#    iterations);
#    then every backend op's GPU time in rlhf-bench's two benchmarks (--profile), for tuning;
# 5. prints a short table last (tests/gpu/table.py).
# Every piece runs under `timeout`, and the pieces share a deadline (RUN_BUDGET seconds,
# default 530) so the whole run stays under the device call's 10 minutes. Results (JSON and
# logs) go to build-gpu/gpu-results/; when the environment sets OUT (the device tool), the
# console goes to $OUT/run.log as it is printed and the results to $OUT/gpu-results.tar.gz.
# Environment: RUN_BUDGET, PYTHON (a Python with torch and transformers), RLHF_TEST_SEED.
set -u
script="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
cd "$(dirname "$0")/../.." || exit 2
# With $OUT (the device tool's folder that comes back): everything printed also goes to
# $OUT/run.log as it happens, so a run cut short still returns what it did; the tool
# returns at most 8 files, so the pieces' logs come back as one archive at the end.
if [ -n "${OUT:-}" ] && [ -d "${OUT:-}" ] && [ -z "${RUN_SH_LOGGED:-}" ]; then
    status_file=$(mktemp)
    { RUN_SH_LOGGED=1 sh "$script" "$@"; echo $? > "$status_file"; } 2>&1 | tee "$OUT/run.log"
    status=$(cat "$status_file")
    rm -f "$status_file"
    exit "${status:-1}"
fi
start_time=$(date +%s)
budget=${RUN_BUDGET:-530}
results=build-gpu/gpu-results
mkdir -p "$results"
rm -f "$results"/*.log # this run's logs only
missing=""

say() { printf '\n== %s\n' "$*"; }

# remaining: seconds left before the shared deadline.
remaining() { echo $((budget - ($(date +%s) - start_time))); }

# limit WANTED: a timeout for the next piece, at most what is left (minus 20 s for the table).
limit() {
    left=$(($(remaining) - 20))
    if [ "$left" -lt "$1" ]; then echo "$left"; else echo "$1"; fi
}

# run_piece NAME SECONDS COMMAND...: runs COMMAND with a timeout, output to the console and
# to $results/NAME.log; returns its status (124: timed out, 125: no time left).
run_piece() {
    name=$1
    seconds=$(limit "$2")
    shift 2
    if [ "$seconds" -lt 10 ]; then
        echo "skipped $name: no time left in the ${budget}s budget" | tee "$results/$name.log"
        return 125
    fi
    echo "\$ $* (timeout ${seconds}s)"
    timeout "$seconds" "$@" > "$results/$name.log" 2>&1
    status=$?
    cat "$results/$name.log"
    [ "$status" -eq 124 ] && echo "TIMED OUT after ${seconds}s: $name"
    return "$status"
}

# ------------------------------------------------------------------ 1. tools and build
say "machine"
uname -srm
nproc
echo "vector units: $(grep -o -w -E 'avx2|avx512f' /proc/cpuinfo 2> /dev/null | sort -u | tr '\n' ' ')"
if command -v nvidia-smi > /dev/null 2>&1; then
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader
else
    echo "nvidia-smi not found (the driver's tools); continuing, the test says whether CUDA is usable"
fi

# bundle_fresh: whether build-gpu-bundle/ holds binaries built from these very sources.
bundle=build-gpu-bundle
bundle_fresh() {
    [ -x "$bundle/bin/test_cuda" ] && [ -x "$bundle/bin/rlhf-bench" ] && [ -f "$bundle/sources.sha256" ] &&
        sha256sum --quiet --status -c "$bundle/sources.sha256" 2> /dev/null
}
fresh_bundle=0
bundle_fresh && fresh_bundle=1

say "tools"
NVCC=$(command -v nvcc || true)
[ -z "$NVCC" ] && [ -x /usr/local/cuda/bin/nvcc ] && NVCC=/usr/local/cuda/bin/nvcc
[ -n "$NVCC" ] && PATH="$(dirname "$NVCC"):$PATH" && export PATH
# the build tools matter only when there is no fresh bundle to run
if [ "$fresh_bundle" -eq 1 ]; then
    echo "build-gpu-bundle matches these sources: nothing to build here"
else
    for tool in meson ninja cc pkg-config timeout nvcc; do
        if command -v "$tool" > /dev/null 2>&1; then
            echo "found $tool: $(command -v "$tool")"
        else
            echo "MISSING: $tool"
            missing="$missing $tool"
        fi
    done
    if command -v pkg-config > /dev/null 2>&1; then
        for package in openblas jansson sqlite3 libpcre2-8 cairo check; do
            if pkg-config --exists "$package"; then
                echo "found library $package $(pkg-config --modversion "$package")"
            else
                echo "MISSING library (pkg-config): $package"
                missing="$missing lib:$package"
            fi
        done
    fi
fi
PYTHON=${PYTHON:-}
for candidate in "$PYTHON" python3 /root/ref-venv/bin/python python; do
    [ -n "$candidate" ] || continue
    if "$candidate" -c "import torch, transformers" > /dev/null 2>&1; then
        PYTHON=$candidate
        break
    fi
    PYTHON=""
done
if [ -n "$PYTHON" ]; then
    echo "found python with torch and transformers: $PYTHON ($("$PYTHON" -c 'import torch, transformers; print("torch", torch.__version__, "transformers", transformers.__version__, "cuda", torch.cuda.is_available())'))"
else
    echo "MISSING: a python with torch and transformers (set PYTHON=...); the PyTorch rows are skipped"
    missing="$missing python-torch"
fi
[ -n "$missing" ] && echo "missing:$missing"


# use_bundle: points the pieces below at the bundle's binaries and libraries.
use_bundle() {
    cat "$bundle/BUILT"
    test_binary=$bundle/bin/test_cuda
    bench_binary=$bundle/bin/rlhf-bench
    cli_binary=$bundle/bin/rlhf
    cli_libraries=$PWD/$bundle/lib-cli
    LD_LIBRARY_PATH="$PWD/$bundle/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    RLHF_FIXTURES_DIR="$PWD/tests/fixtures" # the path compiled in is the other machine's
    export LD_LIBRARY_PATH RLHF_FIXTURES_DIR
    build_ok=1
}

build_ok=0
test_binary=build-gpu/tests/test_cuda
bench_binary=build-gpu/bench/rlhf-bench
cli_binary=build-gpu/cli/rlhf
cli_libraries=""
if [ "$fresh_bundle" -eq 1 ]; then
    say "binaries: build-gpu-bundle (built elsewhere from these sources)"
    use_bundle
else
    [ -d "$bundle" ] && echo "build-gpu-bundle is stale (built from other sources); building here instead"
    say "build (build-gpu, -Dcuda=enabled)"
    reconfigure=""
    [ -f build-gpu/build.ninja ] && reconfigure="--reconfigure"
    # shellcheck disable=SC2086
    if run_piece setup 120 meson setup $reconfigure build-gpu -Dcuda=enabled --buildtype=release; then
        targets="bench/rlhf-bench cli/rlhf"
        grep -q "build tests/test_cuda:" build-gpu/build.ninja 2> /dev/null && targets="$targets tests/test_cuda"
        # shellcheck disable=SC2086
        run_piece build 300 ninja -C build-gpu $targets && build_ok=1
    fi
    if [ "$build_ok" -ne 1 ] && [ -x "$bundle/bin/test_cuda" ]; then
        echo "BUILD FAILED; WARNING: falling back to the STALE build-gpu-bundle, whose sources differ from these:"
        sha256sum --quiet -c "$bundle/sources.sha256" 2>&1 | head -n 20
        use_bundle
        stale_bundle=" (stale bundle)"
    fi
fi
[ "$build_ok" -eq 1 ] || echo "BUILD FAILED: see $results/setup.log and $results/build.log (or make a bundle with tests/gpu/bundle.sh)"

# The CUDA libraries the binaries need (libcudart, libcublas) come from the machine: when
# the loader does not find them, look in the usual toolkit folders and in PyTorch's wheels.
if [ "$build_ok" -eq 1 ] && ldd "$test_binary" "$bench_binary" 2> /dev/null | grep -q "not found"; then
    # PyTorch's own CUDA libraries (the nvidia-* wheels) come right after the toolkit's
    wheel_libraries=""
    if [ -n "$PYTHON" ]; then
        wheel_libraries=$("$PYTHON" -c 'import os, nvidia; print(" ".join(os.path.join(p, d, "lib") for p in nvidia.__path__ for d in sorted(os.listdir(p)) if os.path.isdir(os.path.join(p, d, "lib"))))' 2> /dev/null || true)
    fi
    for missing_library in $(ldd "$test_binary" "$bench_binary" | awk '/not found/ { print $1 }' | sort -u); do
        # shellcheck disable=SC2086
        found=$(find /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib /usr/local/cuda-*/lib64 \
                     $wheel_libraries /usr/lib/x86_64-linux-gnu /opt /usr/local/lib -name "$missing_library" 2> /dev/null | head -n 1)
        if [ -n "$found" ]; then
            echo "found $missing_library in $(dirname "$found")"
            LD_LIBRARY_PATH="$(dirname "$found")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
        else
            echo "MISSING shared library: $missing_library"
        fi
    done
    export LD_LIBRARY_PATH
    ldd "$test_binary" | grep "not found" && echo "the loader still misses the libraries above"
fi
[ "$build_ok" -eq 1 ] && ldd "$test_binary" 2> /dev/null | grep -E "libcudart|libcublas" | sed 's/^/using /'

# ------------------------------------------------------------------ 2. parity
say "CPU-vs-CUDA parity (tests/test_cuda)"
parity="not run"
if [ "$build_ok" -eq 1 ] && [ -x "$test_binary" ]; then
    run_piece parity 300 "$test_binary"
    case $? in
        0) parity="PASS" ;;
        77) parity="SKIPPED (no usable CUDA device)" ;;
        124) parity="TIMED OUT" ;;
        125) parity="not run (no time left)" ;;
        *) parity="FAIL" ;; # compute-sanitizer looks at the op tests at the end, after the benchmarks
    esac
elif [ "$build_ok" -eq 1 ]; then
    parity="not built (the check library is missing)"
fi
comparisons=$(grep -c "(tolerance" "$results/parity.log" 2> /dev/null)
comparisons=${comparisons:-0}
checks=$(grep -m1 "Checks:" "$results/parity.log" 2> /dev/null || true)

# ------------------------------------------------------------------ 3. benchmarks
bench_json() { # NAME: the last JSON line of a piece's log (empty when none)
    grep '^{' "$results/$1.log" 2> /dev/null | tail -n 1
}
if [ "$build_ok" -eq 1 ]; then
    say "training step, gpt2 124M, B=8 T=1024: rlhf FP32"
    run_piece rlhf_train_fp32 90 "$bench_binary" train --device cuda --config gpt2 -B 8 -T 1024 --steps 10 --json
    say "training step: rlhf TF32 (RLHF_TF32=1)"
    run_piece rlhf_train_tf32 90 env RLHF_TF32=1 "$bench_binary" train --device cuda --config gpt2 -B 8 -T 1024 --steps 10 --json
    say "generation, gpt2 124M, 64 prompts x 16 tokens + 64 new (greedy): rlhf"
    run_piece rlhf_generate 90 "$bench_binary" generate --device cuda --config gpt2 -B 64 --prompt-len 16 --new-tokens 64 --repeats 5 --json
    say "PPO iteration, gpt2 124M, 64 responses x 48 tokens, 4 epochs x 4 minibatches: rlhf"
    run_piece rlhf_ppo 90 "$bench_binary" ppo --device cuda --config gpt2 -B 64 --prompt-len 16 --new-tokens 48 --steps 3 --json
fi
if [ -n "$PYTHON" ]; then
    say "training step: PyTorch FP32"
    run_piece torch_train_fp32 120 "$PYTHON" bench/torch_train.py --device cuda --config gpt2 -B 8 -T 1024 --steps 10 --json
    say "training step: PyTorch TF32"
    run_piece torch_train_tf32 120 "$PYTHON" bench/torch_train.py --device cuda --tf32 --config gpt2 -B 8 -T 1024 --steps 10 --json
    say "generation: PyTorch GPT2LMHeadModel.generate"
    run_piece torch_generate 120 "$PYTHON" bench/torch_generate.py --device cuda --config gpt2 -B 64 --prompt-len 16 --new-tokens 64 --repeats 5 --json
    say "PPO iteration: PyTorch (transformers generate, TRL's PPO math)"
    run_piece torch_ppo 120 "$PYTHON" bench/torch_ppo.py --device cuda --config gpt2 -B 64 --prompt-len 16 --new-tokens 48 --steps 3 --json
fi

# The rlhf command as a user runs it, every stage on --device cuda against --device cpu.
# rlhf runs through a wrapper that puts lib-cli/ (the bundle's libraries for rlhf alone) on
# its library path, and nothing else's.
cli="not run"
case $parity in SKIPPED*) cli="not run (no usable CUDA device)" ;; esac
if [ "$build_ok" -eq 1 ] && [ -x "$cli_binary" ] && [ "$cli" = "not run" ]; then
    say "the rlhf command's stages: --device cuda against --device cpu"
    cli_wrapper=$PWD/$results/rlhf
    if [ -n "$cli_libraries" ]; then
        printf '#!/bin/sh\nLD_LIBRARY_PATH="%s${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" exec "%s" "$@"\n' \
            "$cli_libraries" "$PWD/$cli_binary" > "$cli_wrapper"
    else
        printf '#!/bin/sh\nexec "%s" "$@"\n' "$PWD/$cli_binary" > "$cli_wrapper"
    fi
    chmod +x "$cli_wrapper"
    run_piece cli_stages 120 sh tests/cuda_emulator/test_cli_cuda.sh "$cli_wrapper" "$PWD/tests/fixtures"
    case $? in
        0) cli="PASS" ;;
        124) cli="TIMED OUT" ;;
        125) cli="not run (no time left)" ;;
        *) cli="FAIL (see cli_stages.log)" ;;
    esac
fi

# Where the time goes: every backend op timed on the GPU (rlhf-bench --profile), after
# the rest, so that the comparisons and the stages above get the budget first.
if [ "$build_ok" -eq 1 ]; then
    say "profile: training step (FP32) and generation, GPU time per op"
    run_piece rlhf_profile_train 60 "$bench_binary" train --device cuda --config gpt2 -B 8 -T 1024 --steps 2 --profile
    run_piece rlhf_profile_generate 60 "$bench_binary" generate --device cuda --config gpt2 -B 64 --prompt-len 16 --new-tokens 64 --repeats 1 --profile
fi

# After a parity failure: the op tests under compute-sanitizer (memcheck), to point at the
# kernel; last, so that a failure does not cost the benchmarks their time.
if [ "$parity" = "FAIL" ] && { command -v compute-sanitizer > /dev/null 2>&1 || [ -x /usr/local/cuda/bin/compute-sanitizer ]; }; then
    sanitizer=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
    say "compute-sanitizer memcheck of the op tests (after the parity failure)"
    run_piece memcheck 90 env CK_RUN_CASE=ops RLHF_CUDA_SYNC=1 "$sanitizer" --tool memcheck --print-limit 20 "$test_binary"
fi

# ------------------------------------------------------------------ 5. the table
if [ -n "${OUT:-}" ] && [ -d "${OUT:-}" ]; then
    tar -C "$(dirname "$results")" -czf "$OUT/gpu-results.tar.gz" "$(basename "$results")" 2> /dev/null &&
        echo "logs and JSON of every piece: \$OUT/gpu-results.tar.gz"
fi
say "summary ($(($(date +%s) - start_time)) s)"
echo "parity: $parity${stale_bundle:-}; $comparisons comparisons printed; $checks"
echo "rlhf command, every stage on cuda against cpu: $cli${stale_bundle:-}"
[ -n "$missing" ] && echo "missing tools:$missing"
table_python=${PYTHON:-$(command -v python3 || true)}
if [ -n "$table_python" ]; then
    "$table_python" tests/gpu/table.py "$results"
else
    for name in rlhf_train_fp32 rlhf_train_tf32 rlhf_generate torch_train_fp32 torch_train_tf32 torch_generate; do
        echo "$name: $(bench_json "$name")"
    done
fi
case $parity:$cli in PASS:PASS | "PASS:not run") exit 0 ;; *) exit 1 ;; esac
