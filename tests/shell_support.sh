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

# json_value KEY FILE: the first value after "KEY": in the file (a number or a string's
# text), in reading order: a top-level key that a nested object repeats later is found.
json_value() {
    awk -v key="\"$1\":" '{
        at = index($0, key)
        if (at) { rest = substr($0, at + length(key)); sub(/^ *"?/, "", rest); match(rest, /[^",}]*/); print substr(rest, RSTART, RLENGTH); exit }
    }' "$2"
}

# close A B TOLERANCE: whether |A - B| <= TOLERANCE * |B| (both numbers: an empty value or
# a word such as null is never close).
close() {
    awk -v a="$1" -v b="$2" -v tolerance="$3" \
        'BEGIN { number = "^[-+]?[0-9.]+([eE][-+]?[0-9]+)?$"
                 d = a - b; if (d < 0) d = -d; s = b < 0 ? -b : b; exit !(a ~ number && b ~ number && d <= tolerance * s) }'
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
