#!/bin/sh
# Prepares the GPU proof on this machine, for a GPU machine that cannot build it:
#   tests/gpu/bundle.sh
# The lent GPU machines have nvcc, meson, ninja and PyTorch but none of this project's C
# libraries (OpenBLAS, jansson, SQLite, PCRE2, Check) and no package registry to install
# them from. So this script builds the binaries the proof runs (tests/test_cuda,
# bench/rlhf-bench and the rlhf command itself, with -Dcuda=enabled, release) here, where
# scripts/install-deps.sh has installed everything, and packs them with the shared libraries
# they need that are not part of glibc, the GCC runtime or CUDA into build-gpu-bundle/
# (ignored by git; the device tool's `carry` takes it along): lib/ for all three, lib-cli/
# for what only rlhf needs (cairo and the libraries under it, for `rlhf report`), which
# run.sh puts on the library path of rlhf alone, so that the machine's own programs (its
# Python, awk, grep) never load this machine's zlib, expat or X11 libraries. tests/gpu/run.sh uses the bundle when it cannot
# build there, and only while build-gpu-bundle/sources.sha256 still matches the sources.
#
# The binaries are x86-64 Linux built against this machine's glibc (Debian 12, 2.36): they
# run on any newer glibc. The CUDA libraries (libcudart.so.13, libcublas.so.13) are not
# packed (cuBLAS alone is 700 MB): the GPU machine's CUDA 13 toolkit provides them, and the
# device code is SASS for sm_80/sm_90 plus PTX, which needs no compiler there.
set -eu
cd "$(dirname "$0")/../.."
bundle=build-gpu-bundle

# Not -march=native: this machine has AVX-512 and the GPU machine's processor is unknown
# (a binary with AVX-512 dies there with "Illegal instruction"). x86-64-v3 (AVX2, FMA) is
# on every x86 server of the GPU era; OpenBLAS picks its kernels at run time anyway.
[ -f build-gpu/build.ninja ] || meson setup build-gpu
# meson configure, not setup --reconfigure: the latter keeps an existing folder's c_args
meson configure build-gpu -Dcuda=enabled --buildtype=release -Dnative=false -Dc_args=-march=x86-64-v3
ninja -C build-gpu tests/test_cuda bench/rlhf-bench cli/rlhf librlhf-cuda.so
grep -q -- "-march=x86-64-v3" build-gpu/build.ninja || { echo "bundle.sh: -march=x86-64-v3 did not reach the build" >&2; exit 1; }

rm -rf "$bundle"
mkdir -p "$bundle/bin" "$bundle/lib" "$bundle/lib-cli"
# rlhf loads its CUDA backend from librlhf-cuda.so beside it
cp build-gpu/tests/test_cuda build-gpu/bench/rlhf-bench build-gpu/cli/rlhf build-gpu/librlhf-cuda.so "$bundle/bin/"

# pack FOLDER BINARY...: copies into FOLDER the shared libraries the binaries load that are
# neither glibc, the GCC runtime (libgcc_s, libstdc++: every machine with a compiler has
# newer ones), CUDA, nor already in lib/.
pack() {
    folder=$1
    shift
    ldd "$@" | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }' | sort -u |
        while read -r name path; do
            case $name in
                libc.so.* | libm.so.* | libmvec.so.* | libdl.so.* | libpthread.so.* | librt.so.* | ld-linux*) ;;
                libgcc_s.so.* | libstdc++.so.*) ;;
                libcuda.so.* | libcudart.so.* | libcublas.so.* | libcublasLt.so.*) ;;
                *) [ -e "$bundle/lib/$name" ] || cp -L "$path" "$folder/$name" ;;
            esac
        done
}
pack "$bundle/lib" "$bundle/bin/test_cuda" "$bundle/bin/rlhf-bench"
pack "$bundle/lib-cli" "$bundle/bin/rlhf"

# No AVX-512 (zmm registers) in what goes to the other machine.
command -v objdump > /dev/null 2>&1 || { echo "bundle.sh: objdump (binutils) is needed to check the binaries" >&2; exit 1; }
wide=$(objdump -d "$bundle/bin/test_cuda" "$bundle/bin/rlhf-bench" "$bundle/bin/rlhf" | grep -c zmm || true)
if [ "$wide" -ne 0 ]; then
    echo "bundle.sh: the binaries use AVX-512 ($wide instructions with zmm registers); the GPU machine may not have it" >&2
    exit 1
fi
echo "no AVX-512 instructions in the binaries"

# What the bundle was built from: every tracked source that goes into the three binaries.
git ls-files include nn policy reward store util data collect report bench cli tests/test_cuda.c \
    tests/reference.c tests/reference.h tests/test_support.h meson.build meson_options.txt |
    xargs sha256sum > "$bundle/sources.sha256"
{
    echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ) from commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . || echo ' (with uncommitted changes)')"
    # shellcheck disable=SC1091
    echo "on $(. /etc/os-release && echo "$PRETTY_NAME"), glibc $(ldd --version | head -n 1 | awk '{print $NF}')"
    "$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)" --version | tail -n 2 | head -n 1
    echo "host code for x86-64-v3 (AVX2), device code SASS sm_80/sm_90 + compute_90 PTX"
} > "$bundle/BUILT"
cat "$bundle/BUILT"
ls -l "$bundle/bin" "$bundle/lib" "$bundle/lib-cli"
du -sh "$bundle"
