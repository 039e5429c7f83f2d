#!/usr/bin/python3
"""Probe classifiers on the record embeddings of scripts/experiments/beat-autoencoder.ts (issue 6 item 4).

Reads OUT/embeddings.csv (one row per CinC 2017 record: split, label, rhythm features, PCA and LSTM-AE record
embeddings), fits two probes on the train split of each feature set -- a multinomial logistic regression
(class-balanced, standardised inputs, missing values imputed by the training median plus a missing indicator) and,
because the fusion model is not linear in its tokens, a histogram gradient-boosting classifier -- and scores the
validation split with the CinC 2017 F1 (mean F1 of N, A, O). The gain over rhythm alone comes with a paired
bootstrap 95% interval over validation records (same resamples for every set). Prints a Markdown table and writes
OUT/probe.json.

Needs Debian's /usr/bin/python3 (numpy, scikit-learn).  Usage: /usr/bin/python3 beat-autoencoder-probe.py OUT_DIR
"""
import csv
import json
import sys

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

CLASSES = ["N", "A", "O", "~"]


def load(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    columns = list(rows[0].keys())

    def matrix(prefix):
        names = [c for c in columns if c.startswith(prefix)]
        return np.array([[float(r[c]) if r[c] != "" else np.nan for c in names] for r in rows])

    return {
        "split": np.array([r["split"] for r in rows]),
        "label": np.array([CLASSES.index(r["label"]) for r in rows]),
        "rhythm": matrix("rhythm_"),
        "pca": matrix("pca_"),
        "ae": matrix("ae_"),
    }


BOOTSTRAP = 1000


def linear_probe():
    return make_pipeline(
        SimpleImputer(strategy="median", add_indicator=True),
        StandardScaler(),
        LogisticRegression(C=1.0, class_weight="balanced", max_iter=5000),
    )


def boosting_probe():
    # Handles missing values itself; small and regularised so it fits in seconds on one core.
    return HistGradientBoostingClassifier(
        max_iter=200, learning_rate=0.05, max_leaf_nodes=15, class_weight="balanced", random_state=0
    )


def cinc_f1(y, predicted):
    """Mean F1 of N, A, O; numpy only, as the bootstrap calls it thousands of times."""
    confusion = np.bincount(y * 4 + predicted, minlength=16).reshape(4, 4)[:3]
    true_positive = confusion[np.arange(3), np.arange(3)]
    denominator = confusion.sum(axis=1) + np.bincount(predicted, minlength=4)[:3]
    return float(np.mean(np.where(denominator > 0, 2 * true_positive / np.maximum(denominator, 1), 0)))


def probe(make, x, y, train, val):
    model = make()
    model.fit(x[train], y[train])
    predicted = model.predict(x[val])
    per_class = f1_score(y[val], predicted, labels=[0, 1, 2, 3], average=None, zero_division=0)
    return predicted, {"cinc2017_f1": float(per_class[:3].mean()), "f1_per_class": dict(zip(CLASSES, map(float, per_class)))}


def gain_interval(y, predicted, baseline, resamples):
    gains = [cinc_f1(y[r], predicted[r]) - cinc_f1(y[r], baseline[r]) for r in resamples]
    return [float(np.percentile(gains, 2.5)), float(np.percentile(gains, 97.5))]


def main(out_dir):
    data = load(f"{out_dir}/embeddings.csv")
    train, val = data["split"] == "train", data["split"] == "val"
    sets = {
        "rhythm": [data["rhythm"]],
        "rhythm + PCA": [data["rhythm"], data["pca"]],
        "rhythm + LSTM-AE": [data["rhythm"], data["ae"]],
        "PCA": [data["pca"]],
        "LSTM-AE": [data["ae"]],
        "rhythm + PCA + LSTM-AE": [data["rhythm"], data["pca"], data["ae"]],
    }
    y_val = data["label"][val]
    resamples = np.random.default_rng(0).integers(0, len(y_val), size=(BOOTSTRAP, len(y_val)))
    results = {}
    for probe_name, make in [("logistic", linear_probe), ("boosting", boosting_probe)]:
        predictions = {}
        results[probe_name] = {}
        for name, parts in sets.items():
            x = np.hstack(parts)
            predictions[name], result = probe(make, x, data["label"], train, val)
            result["features"] = int(x.shape[1])
            result["gain_vs_rhythm_ci95"] = gain_interval(y_val, predictions[name], predictions["rhythm"], resamples)
            results[probe_name][name] = result
        # The question of the issue: does the LSTM-AE beat PCA? Paired on the same resamples.
        results[probe_name]["LSTM-AE minus PCA"] = {
            pair[0]: gain_interval(y_val, predictions[pair[0]], predictions[pair[1]], resamples)
            for pair in [("rhythm + LSTM-AE", "rhythm + PCA"), ("LSTM-AE", "PCA")]
        }
    print(f"train records {int(train.sum())}, validation records {int(val.sum())}")
    print("| features | inputs | logistic CinC F1 | gain vs rhythm (95% CI) | boosting CinC F1 | gain vs rhythm (95% CI) |")
    print("|---|---|---|---|---|---|")
    for name in sets:
        cells = []
        for probe_name in results:
            r = results[probe_name][name]
            low, high = r["gain_vs_rhythm_ci95"]
            cells += [f"{r['cinc2017_f1']:.3f}", f"[{low:+.3f}, {high:+.3f}]"]
        print(f"| {name} | {results['logistic'][name]['features']} | " + " | ".join(cells) + " |")
    for probe_name, r in results.items():
        for name, (low, high) in r["LSTM-AE minus PCA"].items():
            print(f"{probe_name}: CinC F1 of {name} minus its PCA twin, 95% CI [{low:+.3f}, {high:+.3f}]")
    with open(f"{out_dir}/probe.json", "w") as f:
        json.dump(results, f, indent=2)


if __name__ == "__main__":
    main(sys.argv[1])
