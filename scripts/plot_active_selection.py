#!/usr/bin/env python3
"""Draws docs/active-selection.png from the results.tsv of scripts/active_selection_study.sh:
the reward model's gold agreement on the common evaluation set against the number of labels,
random and uncertain pairs, with 95% intervals. A documentation script (matplotlib, from the
reference Python of scripts/reference-python.sh), never needed to build or test rlhf.

Usage: plot_active_selection.py RESULTS.tsv OUT.png"""
import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    results, out = sys.argv[1], sys.argv[2]
    arms = {}
    with open(results, encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            arms.setdefault(row["arm"], []).append(
                (int(row["labels"]), float(row["gold_agreement"]), float(row["low"]), float(row["high"])))
    figure, axes = plt.subplots(figsize=(6.4, 4.2), dpi=120)
    for arm, colour in (("random", "tab:blue"), ("uncertain", "tab:orange")):
        points = sorted(arms.get(arm, []))
        if not points:
            continue
        labels = [p[0] for p in points]
        agreement = [p[1] for p in points]
        below = [p[1] - p[2] for p in points]
        above = [p[3] - p[1] for p in points]
        axes.errorbar(labels, agreement, yerr=[below, above], marker="o", capsize=3, color=colour,
                      label=f"{arm} pairs")
    axes.set_xscale("log", base=2)
    axes.set_xticks([500, 1000, 2000, 4000], ["500", "1000", "2000", "4000"])
    axes.set_xlabel("labels the reward model trained on")
    axes.set_ylabel("gold agreement on 2,000 held-out pairs")
    axes.set_title("Random against uncertain pair selection (demo task)")
    axes.grid(True, color="0.9")
    axes.legend()
    figure.tight_layout()
    figure.savefig(out)


if __name__ == "__main__":
    main()
