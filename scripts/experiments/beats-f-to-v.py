"""Would calling fusion (F) beats V (or N, or never predicting F) help the N/S/V figures? On a finished gated beat CV (fold-k/heldout.json), F's
probability is moved to V (V logit = log(e^V + e^F), F never predicted) and the S offset is fitted nested (fold k's
offset on the other folds, as cv-offsets.ts --classes S does), against the same nested rule without the move. Under
EC57 an F beat called V is no V false positive, so only the V beats the model calls F (215, 223) stand to gain.

    python3 scripts/experiments/beats-f-to-v.py OUT/two-lead-gate-local-noise OUT/two-lead-gate-local-noise-s1 ...
"""
import importlib.util
import os
import sys

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("seed_ensemble", os.path.join(here, "beats-seed-ensemble.py"))
ensemble = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ensemble)
N, S, V, F, Q = range(5)


def summary(predicted, labels):
    f1 = lambda c: ensemble.f1(predicted, labels, c)
    return f"N/S/V mean F1 {ensemble.nsv(predicted, labels):.3f}  S F1 {f1(S):.3f}  V F1 {f1(V):.3f}"


def f_moved_to(logits, target):
    """F's probability added to `target` (V or N), F never predicted; target None: F's output dropped."""
    moved = logits.copy()
    if target is not None:
        moved[:, target] = np.logaddexp(logits[:, target], logits[:, F])
    moved[:, F] = -1e4
    return moved


def per_fold(predicted, labels, folds):
    return np.array([ensemble.nsv(predicted[folds == k], labels[folds == k]) for k in np.unique(folds)])


for folder in sys.argv[1:]:
    logits, labels, folds = ensemble.load(folder)
    print(folder)
    base = None
    for name, rule in (("nested S offset", logits), ("F -> V, nested S", f_moved_to(logits, V)),
                       ("F -> N, nested S", f_moved_to(logits, N)), ("F dropped, nested S", f_moved_to(logits, None))):
        predicted = ensemble.nested_s_offset(rule, labels, folds)
        paired = ""
        if base is None:
            base = per_fold(predicted, labels, folds)
        else:  # N/S/V mean F1 fold by fold against the first line
            d = per_fold(predicted, labels, folds) - base
            paired = f"  per fold {d.mean():+.3f} +- {d.std(ddof=1):.3f} ({(d > 0).sum()} up, {(d < 0).sum()} down)"
        print(f"  {name:<21}{summary(predicted, labels)}{paired}")
