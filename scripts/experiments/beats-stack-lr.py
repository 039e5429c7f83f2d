"""Does a linear model of the context features, added to the beat CNN's logits, help across patients? (issue 13
analysis, numpy only; nothing of it ships.)

Per fold of a beat CV, the quadratic softmax regression of beat-features-lr.py (context features + RR ratios) is
fitted on the other folds' beats; its held-out log-probabilities are added, with weight w, to the CNN's out-of-fold
(gated) logits of the same beats. Printed per w: pooled N/S/V mean F1 (EC57 rules, as beats-seed-ensemble.py) with
the nested S offset, S F1 and V F1; w = 0 is the CNN alone, 'nested w' picks w per fold on the other folds.

  npx tsx scripts/experiments/dump-beat-context.ts MITDB_DIR CV_DIR/fold-1/config.json DUMP.json
  python3 scripts/experiments/beats-stack-lr.py DUMP.json CV_DIR [CV_DIR-s1 ...]
"""
import importlib.util
import json
import os
import sys

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))


def module(name):
    spec = importlib.util.spec_from_file_location(name.replace('-', '_'), os.path.join(here, f'{name}.py'))
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


lr = module('beat-features-lr')
ens = module('beats-seed-ensemble')
WEIGHTS = [0, 0.25, 0.5, 1, 2]


def regression_log_probabilities(data, fold_records, order):
    """Out-of-fold log-probabilities [beats, 5] (Q gets -inf) of the context regression, in `order` (dump rows)."""
    labels, records, rr = data['labels'], data['record'], data['rr']
    columns = [data['context'][:, i] for i in range(data['context'].shape[1])]
    columns += [rr[:, 0] / rr[:, 3], rr[:, 1] / rr[:, 3], rr[:, 2] / rr[:, 3]]
    z = np.stack(columns, 1)
    z = np.concatenate([z, z ** 2], 1)
    scored = labels < len(lr.CLASSES)
    out = np.full((len(labels), 5), -30.0)
    for held in fold_records:
        test = np.isin(records, held)
        train = ~test & scored
        mean, sd = z[train].mean(0), z[train].std(0) + 1e-9
        inputs = (z - mean) / sd
        counts = np.bincount(labels[train], minlength=len(lr.CLASSES)).astype(float)
        weights = np.minimum(10, train.sum() / (len(lr.CLASSES) * np.maximum(counts, 1)))
        coefficients = lr.fit(inputs[train], labels[train], weights[labels[train]], len(lr.CLASSES))
        logits = np.c_[inputs[test], np.ones(test.sum())] @ coefficients
        logits -= logits.max(1, keepdims=True)
        out[test, :4] = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    return out[order]


def cnn_outputs(folder):
    ids, logits, labels, folds, groups = [], [], [], [], []
    k = 1
    while os.path.exists(f'{folder}/fold-{k}/heldout.json'):
        outputs = json.load(open(f'{folder}/fold-{k}/heldout.json'))['outputs']
        ids += outputs['ids']
        logits += outputs['logits']
        labels += [label[0] for label in outputs['labels']]
        folds += [k] * len(outputs['ids'])
        groups.append(sorted(set(outputs['groups'])))
        k += 1
    return ids, np.array(logits), np.array(labels), np.array(folds), groups


def nested_weight(combined, labels, folds):
    """Fold k decided with the w (and then S offset) that do best on the other folds."""
    predicted = np.zeros(len(labels), dtype=int)
    for k in np.unique(folds):
        others = folds != k
        best = max(WEIGHTS, key=lambda w: ens.nsv(ens.nested_s_offset(combined[w][others], labels[others], folds[others]), labels[others]))
        predicted[folds == k] = ens.nested_s_offset(combined[best], labels, folds)[folds == k]
    return predicted


def main(dump, folders):
    data = lr.load(dump)
    row = {f'{r}:{s}': i for i, (r, s) in enumerate(zip(data['record'], json.load(open(dump))['samples']))}
    for folder in folders:
        ids, logits, labels, folds, groups = cnn_outputs(folder)
        order = np.array([row[i] for i in ids])
        assert (data['labels'][order] == labels).all(), 'dump and CV disagree on labels'
        regression = regression_log_probabilities(data, groups, order)
        combined = {w: logits + w * regression for w in WEIGHTS}
        for w in WEIGHTS:
            predicted = ens.nested_s_offset(combined[w], labels, folds)
            print(f'{folder} w {w:<4} N/S/V {ens.nsv(predicted, labels):.3f}  S F1 {ens.f1(predicted, labels, ens.S):.3f}'
                  f'  V F1 {ens.f1(predicted, labels, ens.V):.3f}')
        predicted = nested_weight(combined, labels, folds)
        print(f'{folder} nested w N/S/V {ens.nsv(predicted, labels):.3f}  S F1 {ens.f1(predicted, labels, ens.S):.3f}'
              f'  V F1 {ens.f1(predicted, labels, ens.V):.3f}')


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2:])
