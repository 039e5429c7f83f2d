"""Seed ensembles of a gated beat CV and the S offset on their averaged logits (docs/beats.md, "A decision offset
for S"). Reads each CV folder's fold-k/heldout.json (the gated out-of-fold logits), averages the logits of the
folders beat by beat, and prints the pooled N/S/V mean F1 under EC57's rules (reference Q beats not scored; an F
beat called V is no V false positive) for: argmax; a nested S offset (fold k's offset fitted on the other folds, a
0.05 grid within +-2, the search of src/eval/class-offsets.ts restricted to S); and fixed S offsets.

    python3 scripts/experiments/beats-seed-ensemble.py OUT/two-lead-gate OUT/two-lead-gate-s1 OUT/two-lead-gate-s2

`npx efficientecg compare --arm A=OUT/two-lead-gate --arm A=OUT/two-lead-gate-s1 ... --nested-offsets S --ensemble`
gives the same nested figure from the project's own code; this script stays as the independent (numpy) check of it.
"""
import json
import sys

import numpy as np

N, S, V, F, Q = range(5)


def load(folder):
    logits, labels, folds = [], [], []
    k = 1
    while True:
        try:
            outputs = json.load(open(f"{folder}/fold-{k}/heldout.json"))["outputs"]
        except FileNotFoundError:
            break
        logits += outputs["logits"]
        labels += [label[0] for label in outputs["labels"]]
        folds += [k] * len(outputs["ids"])
        k += 1
    return np.array(logits, dtype=np.float64), np.array(labels), np.array(folds)


def f1(predicted, reference, c):
    scored = reference != Q
    p, r = predicted[scored], reference[scored]
    tp = ((p == c) & (r == c)).sum()
    fp = ((p == c) & (r != c) & ~((c == V) & (r == F))).sum()
    fn = ((p != c) & (r == c)).sum()
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn > 0 else 0.0


def nsv(predicted, reference):
    return np.mean([f1(predicted, reference, c) for c in (N, S, V)])


def shifted(logits, s_offset):
    return (logits + np.array([0, s_offset, 0, 0, 0])).argmax(1)


def nested_s_offset(logits, labels, folds):
    """Predictions of each fold with the S offset that maximises N/S/V mean F1 on the other folds."""
    grid = sorted(np.round(np.arange(-2, 2.0001, 0.05), 2), key=lambda a: (abs(a), a))
    predicted = np.zeros(len(labels), dtype=int)
    for k in np.unique(folds):
        others = folds != k
        best, best_offset = -1.0, 0.0
        for offset in grid:
            score = nsv(shifted(logits[others], offset), labels[others])
            if score > best + 1e-12:
                best, best_offset = score, offset
        predicted[folds == k] = shifted(logits[folds == k], best_offset)
    return predicted


def main(folders):
    loaded = [load(folder) for folder in folders]
    logits = np.mean([x[0] for x in loaded], axis=0)
    labels, folds = loaded[0][1], loaded[0][2]
    rows = [("argmax", logits.argmax(1)), ("nested S offset", nested_s_offset(logits, labels, folds))]
    rows += [(f"fixed S offset {o}", shifted(logits, o)) for o in (-1.0, -1.3, -1.6, -1.9)]
    for name, predicted in rows:
        print(f"{name:20s} N/S/V mean F1 {nsv(predicted, labels):.3f}  S F1 {f1(predicted, labels, S):.3f}"
              f"  V F1 {f1(predicted, labels, V):.3f}")


if __name__ == "__main__":
    main(sys.argv[1:])
