#!/bin/sh
# Configures (once) and builds rlhf into ./build.
set -eu
cd "$(dirname "$0")/.."
if [ ! -f build/build.ninja ]; then
    meson setup build --buildtype=release
fi
ninja -C build
