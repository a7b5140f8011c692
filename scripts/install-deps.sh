#!/bin/sh
# Installs what rlhf needs to build and test on Debian 12, skipping what is already there.
# Run as root (or with sudo available). Safe to run again. (g++: the CUDA emulator test,
# tests/cuda_emulator/, compiles the .cu kernels as C++ on machines with nvcc; python3,
# awk, cmp: the shell tests and tests/gpu/table.py; clang, with its libFuzzer
# runtime and OpenMP (not installed with it without recommends): the harnesses of fuzz/,
# whose suite skips without them.)
set -eu

packages="gcc g++ libc6-dev pkg-config meson ninja-build libopenblas-openmp-dev libjansson-dev
libsqlite3-dev sqlite3 libpcre2-dev libcairo2-dev check libsubunit-dev coreutils sed diffutils mawk python3
libgtk-4-dev libadwaita-1-dev libglib2.0-dev-bin adwaita-icon-theme librsvg2-common fonts-dejavu-core
xvfb xauth dbus-daemon xdotool clang libclang-rt-dev libomp-dev"

missing=""
for package in $packages; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $package"
    fi
done

if [ -n "$missing" ]; then
    echo "rlhf: installing:$missing"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi

# OpenBLAS comes in pthread and OpenMP builds; the engine calls sgemm from inside OpenMP
# regions, which only the OpenMP build handles without oversubscribing the cores. If both
# are installed, Debian's alternatives prefer pthread: say so rather than change the system.
if dpkg-query -W -f='${Status}' libopenblas0-pthread 2>/dev/null | grep -q "install ok installed"; then
    echo "rlhf: note: libopenblas0-pthread is installed; for full speed remove it or run"
    echo "      update-alternatives --config libopenblas.so.0-x86_64-linux-gnu (choose openblas-openmp)"
fi
