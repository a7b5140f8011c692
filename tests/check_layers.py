#!/usr/bin/env python3
"""Checks that every module includes only the headers of modules below or beside it.

The layers of DESIGN.md: util < nn < policy < reward < ppo; data and store stand beside them
on util; collect and report sit above; cli, labeler, bench and tests on top may use anything.
Each public header belongs to a module (include/rlhf/nn.h to nn, ...), and a module's private
headers (nn/backend.h, store/store_internal.h, ...) belong to it alone. The meson build links
each module's library with those below it; this checks the includes, which the link cannot.
Usage: check_layers.py SOURCE_ROOT  (exit 1 listing every include that breaks a layer)."""
import pathlib
import re
import sys

# the modules each module may include, itself included
BELOW = {
    "util": {"util"},
    "nn": {"util", "nn"},
    "policy": {"util", "nn", "policy"},
    "data": {"util", "data"},
    "store": {"util", "store"},
    "reward": {"util", "nn", "policy", "data", "store", "reward"},
    "collect": {"util", "nn", "policy", "data", "store", "reward", "collect"},
    "ppo": {"util", "nn", "policy", "data", "store", "reward", "ppo"},
    "report": {"util", "store", "report"},
}
# the module a public header belongs to
PUBLIC = {"util.h": "util", "nn.h": "nn", "policy.h": "policy", "tokenizer.h": "policy", "demo.h": "data",
          "store.h": "store", "reward.h": "reward", "reward_model.h": "reward", "collect.h": "collect",
          "ppo.h": "ppo", "report.h": "report"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def owner(header: str):
    """The module a quoted include names, or None for a header of the including folder."""
    if header.startswith("rlhf/"):
        return PUBLIC.get(header[len("rlhf/"):], "?" + header)
    if "/" in header:
        return header.split("/")[0]
    return None  # "tokenizer_internal.h": beside the file, its own module


def main() -> int:
    root = pathlib.Path(sys.argv[1])
    broken = []
    checked = 0
    files = [(path, path.relative_to(root).parts[0]) for module in BELOW
             for path in sorted((root / module).rglob("*")) if path.suffix in (".c", ".h", ".cu")]
    unknown = [path.name for path in sorted((root / "include" / "rlhf").glob("*.h")) if path.name not in PUBLIC]
    for name in unknown:
        broken.append(f"include/rlhf/{name}: a public header check_layers.py does not place in a module (PUBLIC)")
    files += [(root / "include" / "rlhf" / name, module) for name, module in PUBLIC.items()]
    for path, module in files:
        for header in INCLUDE.findall(path.read_text(encoding="utf-8")):
            checked += 1
            target = owner(header)
            if target is not None and target not in BELOW[module]:
                broken.append(f"{path.relative_to(root)}: includes \"{header}\" ({target}), "
                              f"which {module} may not use")
    for line in broken:
        print(line)
    print(f"check_layers: {checked} includes in {len(files)} files, {len(broken)} across the layers")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
