#!/bin/sh
# Builds one libFuzzer harness of fuzz/ with clang (-fsanitize=fuzzer,address,undefined) and
# runs it for SECONDS over a fresh copy of its seed corpus, fuzz/corpus/HARNESS/. Fails (exit
# 1) on any crash, leak, timeout, sanitizer report or failed check, printing where libFuzzer
# saved the input; exits 77 (meson's "skipped") when clang or its libFuzzer runtime is absent.
#
#   fuzz/run.sh HARNESS SECONDS [WORK_DIR]
#
# HARNESS is a fuzz_HARNESS.c of this folder: jsonl, import, sft, id_lines, safetensors,
# config, tokenizer or tokenizer_json. WORK_DIR (default build/fuzz) keeps the objects
# between runs (ninja rebuilds what changed, headers included), and per harness the corpus
# the run grew
# (corpus-HARNESS/), its crashing inputs (artifacts-HARNESS/) and its log (HARNESS.log).
# The project's gcc build is not used: the harness is linked with just the library sources it
# needs (the lists below), compiled again with clang and the sanitizers.
# Environment: CLANG (default clang), NINJA (default ninja), FUZZ_FLAGS (more libFuzzer
# options, e.g. FUZZ_FLAGS=-jobs=2), FUZZ_KEEP_CORPUS=1 (start from the corpus an earlier run
# left in WORK_DIR instead of the seeds).
set -eu

if [ $# -lt 2 ]; then
    echo "usage: $0 HARNESS SECONDS [WORK_DIR]" >&2
    exit 2
fi
harness=$1
seconds=$2
root=$(cd "$(dirname "$0")/.." && pwd)
work=${3:-$root/build/fuzz}
clang=${CLANG:-clang}
ninja=${NINJA:-ninja}

if [ ! -f "$root/fuzz/fuzz_$harness.c" ]; then
    echo "fuzz: no harness fuzz/fuzz_$harness.c" >&2
    exit 2
fi
# ninja and pkg-config come with the main build: without them this is broken, not skipped
for tool in "$ninja" pkg-config; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "fuzz: $tool not found (scripts/install-deps.sh installs it)" >&2
        exit 1
    fi
done
if ! command -v "$clang" >/dev/null 2>&1; then
    echo "fuzz: SKIPPED: $clang not found (the harnesses need clang with libFuzzer: scripts/install-deps.sh installs it)"
    exit 77
fi
mkdir -p "$work"
work=$(cd "$work" && pwd)

# The library sources each harness links (and nothing of the gcc build).
harness_sources() {
    util=$(cd "$root" && ls util/*.c)
    tokenizer=$(cd "$root" && ls policy/tokenizer*.c)
    case $1 in
        jsonl | id_lines) echo "$util" ;;
        import) echo "$util $(cd "$root" && ls store/*.c)" ;;
        safetensors) echo "$util nn/safetensors.c" ;;
        config) echo "$util nn/model_dir.c nn/gpt.c nn/safetensors.c" ;;
        tokenizer | tokenizer_json) echo "$util $tokenizer" ;;
        sft) echo "$util $tokenizer policy/sft.c policy/generate.c policy/sample_text.c nn/gpt.c nn/gpt_cached.c \
                   nn/adamw.c nn/safetensors.c nn/model_dir.c" ;;
        *) return 1 ;;
    esac
}
harnesses=$(cd "$root/fuzz" && ls fuzz_*.c | sed 's/^fuzz_\(.*\)\.c$/\1/')
for name in $harnesses; do
    if ! harness_sources "$name" >/dev/null; then
        echo "fuzz: no source list for harness $name in $0" >&2
        exit 2
    fi
done

# The main build's flags (meson.build: -D_GNU_SOURCE, RLHF_VERSION, include/ and the root on
# the include path, the pkg-config packages), the sanitizers, and no recovery from a UBSan
# report, so that it fails the run like ASan's do.
version=$(sed -n "s/^ *version *: *'\([^']*\)'.*/\1/p" "$root/meson.build" | head -n 1)
packages="jansson sqlite3 libpcre2-8"
cflags="-std=c11 -g -O1 -fno-omit-frame-pointer -D_GNU_SOURCE -DRLHF_VERSION=\\\"$version\\\" -fopenmp"
cflags="$cflags -I$root/include -I$root $(pkg-config --cflags $packages openblas 2>/dev/null || pkg-config --cflags $packages)"
sanitizers="-fsanitize=address,undefined -fno-sanitize-recover=all"
libs="$(pkg-config --libs $packages) -lm -fopenmp"

# One build.ninja for every harness (with the probe, a do-nothing target that shows whether
# clang can link libFuzzer and OpenMP at all), rewritten only when it changes; flock keeps
# two runs at once from writing it or building in the folder together.
write_build_file() {
    probe_source="$work/probe.c"
    printf '#include <omp.h>\n#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return omp_get_max_threads() < 0; }\n' \
        >"$probe_source.new"
    if cmp -s "$probe_source.new" "$probe_source"; then rm "$probe_source.new"; else mv "$probe_source.new" "$probe_source"; fi
    {
        echo "# written by fuzz/run.sh"
        echo "cflags = $cflags $sanitizers"
        echo "libs = $libs"
        echo "rule cc"
        echo "  command = $clang \$cflags -fsanitize=fuzzer-no-link -MMD -MF \$out.d -c \$in -o \$out"
        echo "  depfile = \$out.d"
        echo "  deps = gcc"
        echo "  description = clang \$in"
        echo "rule link"
        echo "  command = $clang \$cflags -fsanitize=fuzzer \$in -o \$out \$libs"
        echo "  description = link \$out"
        echo "build probe: link $probe_source"
        sources=""
        for name in $harnesses; do
            echo "build obj/fuzz_$name.o: cc $root/fuzz/fuzz_$name.c"
            echo "  cflags = \$cflags -DFIXTURES_DIR=\\\"$root/tests/fixtures\\\""
            sources="$sources $(harness_sources "$name")"
        done
        for source in $(echo "$sources" | tr ' ' '\n' | sort -u); do
            echo "build obj/$(echo "$source" | tr / _ | sed 's/\.c$/.o/'): cc $root/$source"
        done
        for name in $harnesses; do
            objects=""
            for source in $(harness_sources "$name"); do objects="$objects obj/$(echo "$source" | tr / _ | sed 's/\.c$/.o/')"; done
            echo "build fuzz_$name: link obj/fuzz_$name.o$objects"
        done
    } >"$work/build.ninja.new"
    if cmp -s "$work/build.ninja.new" "$work/build.ninja"; then rm "$work/build.ninja.new"; else mv "$work/build.ninja.new" "$work/build.ninja"; fi
}

build() {
    write_build_file
    if ! "$ninja" -C "$work" probe >"$work/probe.log" 2>&1; then
        cat "$work/probe.log"
        # only a missing runtime is a reason to skip; any other failure is a failure
        if grep -q "libclang_rt.fuzzer\|omp.h\|-lomp\|cannot find -l" "$work/probe.log"; then
            echo "fuzz: SKIPPED: $clang cannot link a libFuzzer target with OpenMP (on Debian: apt-get install libclang-rt-dev libomp-dev)"
            exit 77
        fi
        echo "fuzz: the probe build failed (see above)" >&2
        exit 1
    fi
    "$ninja" -C "$work" -j "${FUZZ_BUILD_JOBS:-2}" "fuzz_$harness"
}
if command -v flock >/dev/null 2>&1; then
    exec 9>"$work/.lock"
    flock 9
    build
    flock -u 9
else
    build
fi

corpus="$work/corpus-$harness"
artifacts="$work/artifacts-$harness"
if [ "${FUZZ_KEEP_CORPUS:-0}" != 1 ] || [ ! -d "$corpus" ]; then
    rm -rf "$corpus"
    mkdir -p "$corpus"
    cp "$root/fuzz/corpus/$harness/"* "$corpus/"
fi
rm -rf "$artifacts"
mkdir -p "$artifacts"
dictionary="-dict=$root/fuzz/json.dict" # the JSON syntax and keys the parsers look for
if [ "$harness" = id_lines ]; then dictionary=""; fi

# -timeout: one input taking 10 s is a hang; -rss_limit_mb: a parser asking for gigabytes on
# a few kB of input is a finding too. Leak checking is on (ASan's default on Linux).
log="$work/$harness.log"
echo "fuzz: $harness for ${seconds}s over $(ls "$corpus" | wc -l) seeds (log: $log)"
status=0
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
    "$work/fuzz_$harness" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" $dictionary ${FUZZ_FLAGS:-} "$corpus" >"$log" 2>&1 || status=$?
grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|^stat::number_of_executed_units|^Done ' "$log" || true
# libFuzzer exits 77 on a finding (its -error_exitcode), which meson reads as "skipped":
# every failure leaves this script as exit 1.
if [ $status -ne 0 ] || grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|rlhf fuzz:' "$log"; then
    tail -n 60 "$log"
    echo "fuzz: $harness FAILED (exit $status); inputs that failed:"
    ls -l "$artifacts"
    exit 1
fi
echo "fuzz: $harness passed"
