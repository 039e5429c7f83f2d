"""What the beat context features alone can separate across patients (issue 13 analysis, numpy only).

A quadratic softmax regression on a beat's context features (src/signal/beat-context.ts) and RR ratios, in the same
leave-two-records-out folds as a beat CV (fold k's records read from CV_DIR/fold-k/heldout.json), pooled gross
Se / +P / F1 per class as beats-cv-report.ts gives them. Candidate features computed here from the dumped windows
can be added one by one, to see whether a feature is worth building into the model before training it.

  npx tsx scripts/experiments/dump-beat-context.ts MITDB_DIR CV_DIR/fold-1/config.json DUMP.json
  python3 scripts/experiments/beat-features-lr.py DUMP.json CV_DIR [--add pWaveCorrelation,...] [--cap 10]

Candidates (--add): pWaveCorrelation (the P-wave region, 0.24-0.07 s before the R peak, against the record median
beat's), pWaveEnergy (its RMS over the template's), tWaveCorrelation (0.17-0.45 s after the peak), irregularity30
(median |successive difference| over the median of the 30 RR intervals before the previous one), previousOverNext5
(the previous RR over the median of the next 5) and pWaveConsistency (energy of the mean P region of the 10
preceding beats over their mean energy: ~1 with a steady P wave, low in atrial fibrillation); common90, common95,
common90Amplitude, commonRecord90 (how common the beat's QRS shape is in its patient, see commonness()).
--folds FOLDS.json (scripts/experiments/beat-folds.ts) replaces CV_DIR's heldout files (pass any CV_DIR, e.g. none).
"""
import argparse
import glob
import json

import numpy as np

CLASSES = 'NSVF'  # Q (8 DS1 beats) left out


def load(dump):
    d = json.load(open(dump))
    k = len(d['features'])
    shape = d['windows']['shape']
    windows = np.fromfile(d['windows']['file'], dtype=np.float32).reshape(shape)
    return {
        'names': d['features'],
        'context': np.array(d['context'], dtype=np.float64).reshape(-1, k),
        'rr': np.array(d['rr'], dtype=np.float64).reshape(-1, 4),
        'labels': np.array(d['labels']),
        'record': np.array(d['record']),
        'rhythm': np.array(d.get('rhythm', ['(N'] * len(d['labels']))),
        'lead': windows[:, 0, :].astype(np.float64),
    }


def correlation(a, b):
    a = a - a.mean(1, keepdims=True)
    b = b - b.mean()
    return (a @ b) / (np.sqrt((a * a).sum(1) * (b * b).sum()) + 1e-9)


def candidates(data, fs=180, before=45, margin=4):
    """Candidate features per beat (record-level templates, causal rhythm windows)."""
    peak = before + margin
    p = slice(peak - round(0.24 * fs), peak - round(0.07 * fs))
    t = slice(peak + round(0.17 * fs), peak + round(0.45 * fs))
    n = len(data['labels'])
    out = {name: np.zeros(n) for name in
           ['pWaveCorrelation', 'pWaveEnergy', 'tWaveCorrelation', 'irregularity30', 'previousOverNext5',
            'pWaveConsistency']}
    for record in np.unique(data['record']):
        at = np.where(data['record'] == record)[0]
        beats = data['lead'][at]
        template = np.median(beats, 0)
        out['pWaveCorrelation'][at] = correlation(beats[:, p], template[p])
        centred = beats[:, p] - beats[:, p].mean(1, keepdims=True)
        reference = template[p] - template[p].mean()
        out['pWaveEnergy'][at] = np.minimum(5, np.sqrt((centred ** 2).mean(1)) / (np.sqrt((reference ** 2).mean()) + 1e-9))
        out['tWaveCorrelation'][at] = correlation(beats[:, t], template[t])
        previous = data['rr'][at, 0]
        for j, i in enumerate(at):
            window = previous[max(0, j - 31):max(0, j - 1)]
            if len(window) >= 3:
                out['irregularity30'][i] = min(5, np.median(np.abs(np.diff(window))) / np.median(window))
            following = previous[j + 1:j + 6]
            out['previousOverNext5'][i] = min(5, previous[j] / np.median(following)) if len(following) >= 2 else 1
            recent = centred[max(0, j - 10):j] if j >= 3 else centred[:10]
            mean = recent.mean(0)
            out['pWaveConsistency'][i] = (mean ** 2).sum() / ((recent ** 2).sum(1).mean() + 1e-9)
    out.update(commonness(data, qrs=slice(peak - round(0.1 * fs), peak + round(0.1 * fs))))
    return out


def commonness(data, qrs, band=75):
    """How common a beat's QRS shape is in its patient: the fraction of the beats around it (band beats either side,
    ~1 min) or in the whole record whose MLII QRS correlates with its own at >= 0.9 (0.95), optionally also within
    0.75-1.33x of its RMS amplitude. A shape most of the patient's beats share is that patient's normal."""
    n = len(data['labels'])
    names = ['common90', 'common95', 'common90Amplitude', 'commonRecord90']
    out = {name: np.zeros(n) for name in names}
    for record in np.unique(data['record']):
        at = np.where(data['record'] == record)[0]
        x = data['lead'][at][:, qrs]
        x = x - x.mean(1, keepdims=True)
        norm = np.sqrt((x * x).sum(1)) + 1e-9
        c = (x @ x.T) / np.outer(norm, norm)
        rms = norm / np.sqrt(x.shape[1])
        amp = rms[None, :] / rms[:, None]
        similar_amp = (amp > 0.75) & (amp < 1.33)
        m = len(at)
        idx = np.arange(m)
        near = (np.abs(idx[:, None] - idx[None, :]) <= band) & (idx[:, None] != idx[None, :])
        count = near.sum(1)
        out['common90'][at] = ((c >= 0.9) & near).sum(1) / count
        out['common95'][at] = ((c >= 0.95) & near).sum(1) / count
        out['common90Amplitude'][at] = ((c >= 0.9) & similar_amp & near).sum(1) / count
        out['commonRecord90'][at] = ((c >= 0.9).sum(1) - 1) / max(1, m - 1)
    return out


def fit(inputs, targets, weights, classes, iterations=400, rate=0.5, l2=1e-3):
    """Softmax regression by full-batch gradient descent (inputs standardised)."""
    ones = np.c_[inputs, np.ones(len(inputs))]
    coefficients = np.zeros((ones.shape[1], classes))
    onehot = np.eye(classes)[targets]
    for _ in range(iterations):
        logits = ones @ coefficients
        logits -= logits.max(1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(1, keepdims=True)
        coefficients -= rate * (ones.T @ ((p - onehot) * weights[:, None]) / weights.sum() + l2 * coefficients)
    return coefficients


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('dump')
    parser.add_argument('cv')
    parser.add_argument('--add', default='')
    parser.add_argument('--af', help='per-beat AF probabilities (af-probability-dump.ts) as one more column')
    parser.add_argument('--gate', help="'annotated' (an oracle: the reference rhythm) or a JSON of per-beat AF "
                        'probabilities: beats in atrial fibrillation or flutter predicted S are called N')
    parser.add_argument('--gate-train', action='store_true', help='also leave the gated beats out of training')
    parser.add_argument('--folds', help='a JSON {fold: [records]} instead of reading CV_DIR/fold-*/heldout.json')
    parser.add_argument('--cap', type=float, default=10, help='cap of the balanced class weights (as in training)')
    args = parser.parse_args()
    data = load(args.dump)
    labels, records = data['labels'], data['record']
    rr = data['rr']
    columns = [data['context'][:, i] for i in range(data['context'].shape[1])]
    columns += [rr[:, 0] / rr[:, 3], rr[:, 1] / rr[:, 3], rr[:, 2] / rr[:, 3]]
    added = [name for name in args.add.split(',') if name]
    if added:
        extra = candidates(data)
        columns += [extra[name] for name in added]
    if args.af:
        columns.append(np.array(json.load(open(args.af)), dtype=np.float64))
    z = np.stack(columns, 1)
    z = np.concatenate([z, z ** 2], 1)
    fibrillation = np.zeros(len(labels), bool)
    if args.gate == 'annotated':
        fibrillation = np.isin(data['rhythm'], ['(AFIB', '(AFL'])
    elif args.gate:
        fibrillation = np.array(json.load(open(args.gate)), dtype=np.float64) > 0.5
    folds = {}
    if args.folds:
        folds = {int(k): v for k, v in json.load(open(args.folds)).items()}
    for path in glob.glob(f'{args.cv}/fold-*/heldout.json'):
        heldout = json.load(open(path))
        folds[heldout['fold']] = sorted(set(heldout['outputs']['groups']))
    scored = labels < len(CLASSES)
    predicted = np.full(len(labels), -1)
    for fold in sorted(folds):
        test = np.isin(records, folds[fold]) & scored
        train = ~np.isin(records, folds[fold]) & scored
        if args.gate_train:
            train &= ~fibrillation
        mean, sd = z[train].mean(0), z[train].std(0) + 1e-9
        inputs = (z - mean) / sd
        counts = np.bincount(labels[train], minlength=len(CLASSES)).astype(float)
        weights = np.minimum(args.cap, train.sum() / (len(CLASSES) * np.maximum(counts, 1)))
        coefficients = fit(inputs[train], labels[train], weights[labels[train]], len(CLASSES))
        predicted[test] = (np.c_[inputs[test], np.ones(test.sum())] @ coefficients).argmax(1)
    if args.gate:
        predicted[fibrillation & (predicted == CLASSES.index('S'))] = CLASSES.index('N')
    confusion = np.zeros((len(CLASSES), len(CLASSES)), int)
    for reference, guess in zip(labels[scored], predicted[scored]):
        confusion[reference, guess] += 1
    figures = []
    for c, name in enumerate(CLASSES):
        se = confusion[c, c] / max(1, confusion[c].sum())
        ppv = confusion[c, c] / max(1, confusion[:, c].sum())
        figures.append(f'{name} Se {se:.3f} +P {ppv:.3f} F1 {2 * se * ppv / max(1e-9, se + ppv):.3f}')
    print(f'+[{args.add}{" af" if args.af else ""}{" gate " + args.gate if args.gate else ""}] cap {args.cap}: ' + '; '.join(figures) + f'; accuracy {np.trace(confusion) / confusion.sum():.3f}')


if __name__ == '__main__':
    main()
