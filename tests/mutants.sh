#!/bin/sh
# Planted bugs, one at a time: does a test notice each? A tool for people (not part of the
# test command): every line of tests/mutants.txt names a file, a piece of code in it, what
# to put there instead, and the test suites that should fail. Each mutant is applied alone
# to a clean copy of the sources (git worktree), rebuilt, and the named suites run; a mutant
# whose suites all pass "survived" and needs a test that pins what it changes.
#   tests/mutants.sh [FILTER]        (FILTER: only lines containing it)
# Results: one line per mutant, then "planted N, killed K, survived S"; the list of
# survivors in build-mutants/survivors.txt. Takes a rebuild and the suites per mutant.
set -u
cd "$(dirname "$0")/.." || exit 2
list=tests/mutants.txt
filter=${1:-}
root=$PWD/build-mutants
copy=$root/src
rm -rf "$root"
mkdir -p "$root"
git worktree prune
git worktree add --detach "$copy" HEAD > /dev/null 2>&1 || { echo "mutants.sh: git worktree add failed" >&2; exit 2; }
trap 'git worktree remove --force "$copy" > /dev/null 2>&1' EXIT
# uncommitted changes of the working tree come along, so the mutants test what is on disk
git diff HEAD | (cd "$copy" && git apply --allow-empty 2> /dev/null || true)
(cd "$copy" && meson setup "$root/build" > "$root/setup.log" 2>&1 && ninja -C "$root/build" > "$root/build.log" 2>&1) ||
    { echo "mutants.sh: the clean copy does not build (see $root/*.log)" >&2; exit 2; }
# every suite the list names must hold a test: meson runs nothing, and passes, for a
# misspelled one, which would let every mutant naming it survive
for suite in $(grep -v '^ *#' "$list" | awk -F'|' 'NF >= 4 { print $4 }' | tr ', ' '\n\n' | sort -u); do
    meson test -C "$root/build" --no-rebuild --list --suite "$suite" 2> /dev/null | grep -q " / " ||
        { echo "mutants.sh: tests/mutants.txt names suite '$suite', which holds no test" >&2; exit 2; }
done
planted=0 killed=0 survived=0
: > "$root/survivors.txt"
# each line: FILE | CODE | REPLACEMENT | SUITE[,SUITE...]   (# starts a comment)
while IFS='|' read -r file code replacement suites; do
    case $file in "" | "#"*) continue ;; esac
    line="$file|$code|$replacement|$suites"
    [ -n "$filter" ] && case $line in *"$filter"*) ;; *) continue ;; esac
    file=$(echo "$file" | sed 's/^ *//; s/ *$//')
    code=$(echo "$code" | sed 's/^ //; s/ $//')
    replacement=$(echo "$replacement" | sed 's/^ //; s/ $//')
    suites=$(echo "$suites" | sed 's/^ *//; s/ *$//' | tr ',' ' ')
    target=$copy/$file
    count=$(grep -c -F -- "$code" "$target" 2> /dev/null || echo 0)
    if [ "$count" != 1 ]; then
        echo "STALE   $file: '$code' occurs $count times (update tests/mutants.txt)"
        continue
    fi
    cp "$target" "$root/original"
    CODE=$code REPLACEMENT=$replacement python3 -c '
import os, sys
path = sys.argv[1]
text = open(path, encoding="utf-8").read()
open(path, "w", encoding="utf-8").write(text.replace(os.environ["CODE"], os.environ["REPLACEMENT"], 1))' "$target"
    planted=$((planted + 1))
    if ! ninja -C "$root/build" > "$root/mutant-build.log" 2>&1; then
        verdict="killed (does not build)"
        killed=$((killed + 1))
    else
        # the suites in the order listed (put the quick one first): the first that fails kills
        # the mutant, and the rest need not run
        verdict="SURVIVED"
        for suite in $suites; do
            if ! meson test -C "$root/build" --no-rebuild --suite "$suite" > "$root/mutant-test.log" 2>&1; then
                verdict="killed by $suite"
                break
            fi
        done
        if [ "$verdict" = SURVIVED ]; then
            survived=$((survived + 1))
            echo "$line" >> "$root/survivors.txt"
        else
            killed=$((killed + 1))
        fi
    fi
    printf '%-24s %s: %s -> %s  [%s]\n' "$verdict" "$file" "$code" "$replacement" "$suites"
    cp "$root/original" "$target"
done < "$list"
ninja -C "$root/build" > /dev/null 2>&1
echo "planted $planted, killed $killed, survived $survived"
[ "$survived" -eq 0 ]
