#!/bin/sh
# Runs a labeler test program in a real X server (Xvfb, 1366x768, the smallest screen the
# app is made for) with a D-Bus session bus of its own, as GTK expects on a desktop.
# Usage: run-under-xvfb.sh PROGRAM [ARGS...]
# Exits 77 (meson's "skipped") only when xvfb-run is not installed; scripts/install-deps.sh
# installs it, so ./scripts/test.sh and CI always run these tests.
set -u

if ! command -v xvfb-run > /dev/null 2>&1; then
    echo "SKIP: xvfb-run is not installed (scripts/install-deps.sh installs xvfb); the labeler's window tests need it"
    exit 77
fi

# X11 (what Xvfb serves), no desktop settings daemon, the accessibility test backend (the
# tests check every control's accessible label), and the cairo renderer: Xvfb has no GPU.
export GDK_BACKEND=x11
export GSETTINGS_BACKEND=memory
export GTK_A11Y=test
export NO_AT_BRIDGE=1
export GSK_RENDERER=cairo

# -noreset: without it the X server resets when the test's last connection closes and
# signals xvfb-run (SIGUSR1) in the middle of its clean-up, which then fails at random
# ("problem while cleaning up temporary directory", exit 5) and leaves the server running.
if command -v dbus-run-session > /dev/null 2>&1; then
    exec dbus-run-session -- xvfb-run -a -s "-screen 0 1366x768x24 -noreset" "$@"
fi
echo "note: dbus-run-session not found (install dbus-daemon); running without a session bus"
exec xvfb-run -a -s "-screen 0 1366x768x24 -noreset" "$@"
