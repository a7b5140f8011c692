#!/usr/bin/env python3
"""Rewrites a .cu file's kernel launches for the CPU emulator (tests/cuda_emulator/).

    rewrite_launches.py INPUT.cu OUTPUT.cpp

Every `kernel<<<grid, block>>>(arguments);` (the kernel name may carry template arguments)
becomes `emulator_launch(grid, block, [=]() { kernel(arguments); });`, the only construct of
nn/cuda/ that is not plain C++. The rest of the file is copied unchanged, and a #line
directive keeps compiler messages pointing at the .cu file. Fails when it finds a `<<<` it
could not rewrite (dynamic shared memory or a stream argument, say), so nothing is skipped
silently.
"""
import pathlib
import re
import sys

LAUNCH = re.compile(r"(\b\w+(?:<[^<>;]*>)?)<<<(.*?)>>>\((.*?)\);", re.S)


def top_level_commas(expression):
    """Counts the commas of expression outside parentheses, brackets and braces."""
    depth = commas = 0
    for character in expression:
        if character in "([{":
            depth += 1
        elif character in ")]}":
            depth -= 1
        elif character == "," and depth == 0:
            commas += 1
    return commas


def rewrite(text):
    """Returns text with every launch rewritten; raises ValueError on one it cannot handle."""

    def replace(match):
        configuration = match.group(2)
        if top_level_commas(configuration) != 1:
            raise ValueError(f"launch with other than <<<grid, block>>>: {match.group(0)[:80]}")
        return f"emulator_launch({configuration}, [=]() {{ {match.group(1)}({match.group(3)}); }});"

    out = LAUNCH.sub(replace, text)
    if "<<<" in out:
        raise ValueError("a <<< launch was left unrewritten")
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    source, destination = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    try:
        body = rewrite(source.read_text())
    except ValueError as error:
        sys.exit(f"{source}: {error}")
    destination.write_text(f'#line 1 "{source}"\n{body}')


if __name__ == "__main__":
    main()
