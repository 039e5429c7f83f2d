"""Fits the RR-interval atrial fibrillation detector of the beat classifier's rhythm gate (src/signal/fibrillation.ts).

Trained on CinC 2017 only (AF records against normal and other rhythms; noisy records left out), so nothing of
MIT-BIH is used to fit it; MIT-BIH DS1's reference rhythm annotations only check it.

  npx tsx scripts/experiments/fibrillation-dump.ts cinc2017 CINC_DIR /tmp/fib-cinc.json
  npx tsx scripts/experiments/fibrillation-dump.ts mitdb MITDB_DIR /tmp/fib-ds1.json
  python3 scripts/experiments/fibrillation-fit.py /tmp/fib-cinc.json /tmp/fib-ds1.json [--write src/signal/fibrillation-model.ts]

A short-record model (for records with fewer than 24 intervals, e.g. 10 s ECGs, judged on all their intervals at
once; measured in session 21 and not kept, docs/beats.md): the CinC dump with `--widths 8,10,12,14,16,18,20,22`,
then `--short` (each record weighs the same at every width; prints the out-of-fold figures per width; DS1 is not
checked, its records are long) and `--write FILE.ts` for a FIBRILLATION_MODEL_SHORT constant.

The short records' operating point (session 22): the CinC dump with `--crops 10` (10 s pieces of every record, as
`predict` sees a 10 s record), then `fibrillation-fit.py CINC.json --crops CROPS.json`: the shipped model's form,
fitted out of fold as below, scores the pieces of its held-out records; the threshold for records with fewer than 24
intervals is the one at which those pieces' specificity equals the shipped gate's beat-level specificity on whole
records at 0.5 (the rule chosen before any external record was scored with it).

Logistic regression on the features and their squares, standardised, L2 1e-3, Newton steps; every record weighs the
same whatever its number of beats (one window in STRIDE beats is kept). Prints a record-grouped 5-fold CV of the
CinC fit (window and record level), then the fit on all of CinC checked against DS1's annotated rhythm per beat.
"""
import argparse
import json

import numpy as np

STRIDE = 4
INTERVALS = 24  # src/signal/fibrillation.ts FIBRILLATION_INTERVALS


def design(features):
    return np.concatenate([features, features ** 2], 1)


def fit(x, y, w, l2=1e-3, steps=30):
    mean, sd = x.mean(0), x.std(0) + 1e-9
    z = np.c_[(x - mean) / sd, np.ones(len(x))]
    beta = np.zeros(z.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-z @ beta))
        gradient = z.T @ (w * (p - y)) / w.sum() + l2 * np.r_[beta[:-1], 0]
        hessian = (z * (w * p * (1 - p))[:, None]).T @ z / w.sum() + l2 * np.eye(len(beta))
        beta -= np.linalg.solve(hessian, gradient)
    return mean, sd, beta


def score(model, x):
    mean, sd, beta = model
    return 1 / (1 + np.exp(-(np.c_[(x - mean) / sd, np.ones(len(x))] @ beta)))


def auroc(y, p):
    order = np.argsort(p)
    ranks = np.empty(len(p))
    ranks[order] = np.arange(1, len(p) + 1)
    positives = y.sum()
    return (ranks[y == 1].sum() - positives * (positives + 1) / 2) / (positives * (len(y) - positives))


def cinc_rows(path):
    """Windows of the CinC dump: a row per record (or per record and width), grouped by record."""
    rows = [r for r in json.load(open(path)) if r['label'] in (0, 1, 2)]  # classes N, A, O, ~ by index
    ids = list(dict.fromkeys(r['record'] for r in rows))  # first appearance: the long model's folds as before
    index = {record: i for i, record in enumerate(ids)}
    label = {r['record']: r['label'] for r in rows}
    x, y, w, group, width = [], [], [], [], []
    for r in rows:
        f = np.array(r['features'], dtype=np.float64)[::STRIDE]
        x.append(f)
        width += [r.get('width', INTERVALS)] * len(f)
        y += [float(r['label'] == 1)] * len(f)
        w += [1 / len(f)] * len(f)
        group += [index[r['record']]] * len(f)
    records = [{'record': record, 'label': label[record]} for record in ids]
    return design(np.concatenate(x)), np.array(y), np.array(w), np.array(group), records, np.array(width)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('cinc')
    parser.add_argument('mitdb', nargs='?')
    parser.add_argument('--short', action='store_true', help='the short-record model (a CinC dump with --widths)')
    parser.add_argument('--crops', help='a CinC dump with --crops 10: the short records\' operating point')
    parser.add_argument('--write')
    args = parser.parse_args()
    x, y, w, group, records, width = cinc_rows(args.cinc)
    fold = np.random.default_rng(2017).permutation(len(records)) % 5
    p = np.zeros(len(y))
    for k in range(5):
        test = fold[group] == k
        p[test] = score(fit(x[~test], y[~test], w[~test]), x[test])
    record_p = np.array([p[group == i].mean() for i in range(len(records))])
    record_y = np.array([float(r['label'] == 1) for r in records])
    hit = record_p > 0.5
    print(f'CinC 5-fold CV ({len(records)} records, {int(record_y.sum())} AF): window AUROC {auroc(y, p):.3f}; '
          f'record AUROC {auroc(record_y, record_p):.3f}, record Se {hit[record_y == 1].mean():.3f} '
          f'Sp {1 - hit[record_y == 0].mean():.3f} at 0.5')
    if args.short:  # a window of W intervals of a longer record stands for a record of W intervals
        for v in np.unique(width):
            at, truth = width == v, y == 1
            print(f'  width {v}: window AUROC {auroc(y[at], p[at]):.3f}, Se {(p[at & truth] > 0.5).mean():.3f} '
                  f'Sp {(p[at & ~truth] <= 0.5).mean():.3f} at 0.5 (out of fold)')
    if args.crops:
        crops_operating_point(args.crops, x, y, w, group, records, fold)
        return
    model = fit(x, y, w)
    if args.short:
        write(args.write, model, 'FIBRILLATION_MODEL_SHORT', 0, 'applies to records with fewer intervals than the 24 of FIBRILLATION_MODEL')
        return
    beats = []
    for r in json.load(open(args.mitdb)):
        meta = json.loads(r['label'])
        q = score(model, design(np.array(r['features'], dtype=np.float64)))
        truth = np.isin(meta['rhythm'], ['(AFIB', '(AFL'])
        beats.append((r['record'], truth, q))
        print(f"  {r['record']}: {truth.mean():.2f} of beats in AF/AFL, mean P(AF) {q.mean():.2f}, "
              f'gated {(q > 0.5).mean():.2f}; S beats gated {(q[np.array(meta["aami"]) == "S"] > 0.5).sum()}')
    truth = np.concatenate([b[1] for b in beats])
    q = np.concatenate([b[2] for b in beats])
    print(f'DS1 per beat (annotated rhythm AFIB/AFL): AUROC {auroc(truth.astype(float), q):.3f}, '
          f'Se {(q[truth] > 0.5).mean():.3f}, Sp {(q[~truth] <= 0.5).mean():.3f} at 0.5')
    write(args.write, model, 'FIBRILLATION_MODEL', INTERVALS)


def crops_operating_point(path, x, y, w, group, records, fold):
    """Out-of-fold probabilities of the 10 s pieces (each piece's mean over its beats) and the threshold for pieces of
    fewer than INTERVALS intervals at which their specificity equals the whole records' beat-level one at 0.5."""
    fold_of = {r['record']: fold[i] for i, r in enumerate(records)}
    crops = [c for c in json.load(open(path)) if c['record'] in fold_of]
    models = [fit(x[fold[group] != k], y[fold[group] != k], w[fold[group] != k]) for k in range(5)]
    p = np.array([score(models[fold_of[c['record']]], design(np.array(c['features'], dtype=np.float64))).mean()
                  for c in crops])
    af = np.array([c['label'] == 1 for c in crops])
    short = np.array([len(c['features']) - 1 < INTERVALS for c in crops])
    long_p = np.zeros(len(y))
    for k in range(5):
        test = fold[group] == k
        long_p[test] = score(models[k], x[test])
    target = (w * (y == 0) * (long_p <= 0.5)).sum() / (w * (y == 0)).sum()
    print(f'whole records, out of fold: beat-level Sp {target:.4f} at 0.5 (each record weighs the same)')
    negatives = np.sort(p[short & ~af])
    threshold = float(negatives[int(np.ceil(target * len(negatives))) - 1])
    for name, at in (('pieces under 24 intervals', short), ('pieces of 24 or more', ~short)):
        print(f'{name}: {at.sum()} ({(at & af).sum()} AF), AUROC {auroc(af[at].astype(float), p[at]):.3f}')
        for t in (0.5, threshold):
            print(f'  at {t:.3f}: Se {(p[at & af] > t).mean():.3f}, Sp {(p[at & ~af] <= t).mean():.4f}')
    print(f'threshold for records under {INTERVALS} intervals: {threshold:.3f}')
    rate = 60 / np.exp(np.array([c['features'][0][7] for c in crops]))  # feature 7: log median interval
    for low, high in ((0, 70), (70, 80), (80, 90), (90, 100), (100, 120), (120, 400)):
        at = short & (rate >= low) & (rate < high)
        print(f'  {low}-{high} beats/min: {(at & af).sum()} AF pieces, Se {(p[at & af] > 0.5).mean():.3f}; '
              f'{(at & ~af).sum()} others, Sp {(p[at & ~af] <= 0.5).mean():.4f} at 0.5; '
              f'AUROC {auroc(af[at].astype(float), p[at]):.3f}')
    p_wave_check(crops, fold_of, af, short)


def p_wave_check(crops, fold_of, af, short):
    """Does the share of a piece's beats with a P wave (src/signal/delineate.ts) add to its intervals? The same
    regression fitted on the pieces themselves (out of fold, same record folds), with and without it."""
    group = np.array([fold_of[c['record']] for c in crops])
    rr = np.array([np.array(c['features'], dtype=np.float64).mean(0) for c in crops])  # short: rows are equal
    share = np.array([[c['pWaveShare']] for c in crops])
    y, w = af.astype(float), np.ones(len(crops))
    print(f'P-wave share, mean: AF pieces {share[af].mean():.2f}, others {share[~af].mean():.2f}')
    for name, features in (('intervals', rr), ('intervals + P-wave share', np.c_[rr, share]),
                           ('P-wave share alone', share)):
        x, p = design(features), np.zeros(len(y))
        for k in range(5):
            p[group == k] = score(fit(x[group != k], y[group != k], w[group != k]), x[group == k])
        print(f'  fitted on the pieces, {name}: AUROC {auroc(y[short], p[short]):.3f} (pieces under {INTERVALS} '
              f'intervals), Se {(p[short & af] > 0.5).mean():.3f} Sp {(p[short & ~af] <= 0.5).mean():.4f} at 0.5')


def write(path, model, name, intervals, note=''):
    """The fitted model as a TypeScript constant (`intervals` 0: all of a short record's intervals)."""
    if not path:
        return
    mean, sd, beta = model
    with open(path, 'w') as out:
        out.write('/** Written by scripts/experiments/fibrillation-fit.py (fitted on CinC 2017 only); do not edit. */\n')
        out.write("import type { FibrillationModel } from './fibrillation.js';\n\n")
        if note:
            out.write(f'/** {note}. */\n')
        out.write(f'export const {name}: FibrillationModel = ')
        out.write(json.dumps({'intervals': intervals, 'mean': [round(v, 6) for v in mean],
                              'sd': [round(v, 6) for v in sd], 'weights': [round(v, 6) for v in beta[:-1]],
                              'bias': round(float(beta[-1]), 6)}, indent=2))
        out.write(';\n')


if __name__ == '__main__':
    main()
