# What the shell tests share (sourced, after they set their own arguments): a scratch
# folder $work removed on exit, fail (prints and counts a failure), json_value and close
# for one-line JSON results, and finish (the last line and the exit status).

work=$(mktemp -d "/tmp/rlhf-$(basename "$0" .sh)-XXXXXX")
trap 'rm -rf "$work"' EXIT
failures=0

# fail MESSAGE...: prints "FAIL: MESSAGE" (backslashes kept) and counts it.
fail() {
    printf 'FAIL: %s\n' "$*"
    failures=$((failures + 1))
}

# json_value KEY FILE: the first value after "KEY": in a one-line JSON object (a number or
# a string's text).
json_value() {
    sed -n "s/^[^\"]*\(\"[^\"]*\"[^\"]*\)*\"$1\": *\"\{0,1\}\([^\",}]*\).*/\2/p" "$2" | head -n 1
}

# close A B TOLERANCE: whether |A - B| <= TOLERANCE * |B| (both numbers, neither empty).
close() {
    awk -v a="$1" -v b="$2" -v tolerance="$3" \
        'BEGIN { d = a - b; if (d < 0) d = -d; s = b < 0 ? -b : b; exit !(a != "" && b != "" && d <= tolerance * s) }'
}

# finish MESSAGE: prints MESSAGE and exits 0 when nothing failed, else the count and exit 1.
finish() {
    if [ "$failures" -eq 0 ]; then
        echo "$1"
        exit 0
    fi
    echo "$failures check(s) failed"
    exit 1
}
