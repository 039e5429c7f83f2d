"""Morphology clusters vote on ventricular origin (issue 13; no training): within each record, beats whose QRS
(+-0.1 s around the R peak, every raw lead, mean removed) correlate at >= CORR with a cluster's first beat and have
0.7-1.4x its RMS join that cluster (greedy, in time order). A beat's ventricular share of its classifiable
probability, (p(V) + p(F)) / (p(N) + p(S) + p(V) + p(F)), is then blended with its cluster's mean: (1 - W) * own + W *
cluster mean; Q keeps its probability, N vs S and V vs F keep the beat's own ratios, so timing still decides S and
the cluster only decides "ventricular or not" (a PVC looks like the patient's other PVCs;
an S beat looks like their N beats). Labels are never read. Writes a CV folder per input whose fold-k/heldout.json
holds the re-decided out-of-fold logits (the `metrics` field is the original's; `compare` recomputes everything):

    npx tsx scripts/experiments/dump-beat-context.ts DIR OUT/two-lead-gate-local-noise/fold-1/config.json ds1.json
    python3 scripts/experiments/beats-cluster-vote.py ds1.json OUT/two-lead-gate-local-noise [...-s1 ...] \\
        --corr 0.9 --weight 0.5 --suffix vote
    npx efficientecg compare --arm base=OUT/two-lead-gate-local-noise --arm vote=OUT/two-lead-gate-local-noise-vote \\
        --nested-offsets S --details
"""
import argparse
import importlib.util
import json
import os

import numpy as np

FS = 180
HALF_QRS = round(0.1 * FS)


def qrs_vectors(dump, leads):
    """[beats, leads * (2 * HALF_QRS + 1)] QRS segments of the raw leads, each segment's mean removed."""
    count, channels, width = dump["windows"]["shape"]
    windows = np.fromfile(dump["windows"]["file"], dtype=np.float32).reshape(count, channels, width)
    # The window is [margin][before][after][margin]; the R peak sits at margin + before.
    config_before = dump["before_samples"]
    margin = (width - config_before - dump["after_samples"]) // 2
    peak = margin + config_before
    seg = windows[:, :leads, peak - HALF_QRS : peak + HALF_QRS + 1].astype(np.float64)
    seg -= seg.mean(axis=2, keepdims=True)
    return seg.reshape(count, -1)


def clusters_of(vectors, corr_min):
    """Greedy clustering in time order: cluster index per beat."""
    norms = np.linalg.norm(vectors, axis=1) + 1e-9
    units = vectors / norms[:, None]
    heads, head_norms, of = [], [], np.empty(len(vectors), dtype=np.int64)
    for i in range(len(vectors)):
        if heads:
            corr = np.asarray(heads) @ units[i]
            ratio = norms[i] / np.asarray(head_norms)
            ok = (corr >= corr_min) & (ratio >= 0.7) & (ratio <= 1.4)
            if ok.any():
                of[i] = int(np.argmax(np.where(ok, corr, -2)))
                continue
        heads.append(units[i])
        head_norms.append(norms[i])
        of[i] = len(heads) - 1
    return of


def softmax(logits):
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def vote(probabilities, clusters, weight):
    """The ventricular share of each beat's classifiable mass (N, S, V, F; Q is left as it is) blended with its
    cluster's mean; N:S and V:F keep the beat's own ratios."""
    ventricular = probabilities[:, 2] + probabilities[:, 3]
    supraventricular = probabilities[:, 0] + probabilities[:, 1]
    classifiable = ventricular + supraventricular
    share = ventricular / np.maximum(classifiable, 1e-12)
    mean = np.bincount(clusters, weights=share) / np.bincount(clusters)
    blended = (1 - weight) * share + weight * mean[clusters]
    out = probabilities.copy()
    for k in (0, 1):
        out[:, k] = classifiable * (1 - blended) * np.where(
            supraventricular > 1e-12, probabilities[:, k] / np.maximum(supraventricular, 1e-12), 0.5
        )
    for k in (2, 3):
        out[:, k] = classifiable * blended * np.where(
            ventricular > 1e-12, probabilities[:, k] / np.maximum(ventricular, 1e-12), 0.5
        )
    return out


def vf_vote(probabilities, clusters, weight):
    """A second vote (measured, not kept): the V share of each beat's ventricular mass, V / (V + F), blended with its
    cluster's (ventricular-mass weighted) mean; everything else unchanged."""
    ventricular = probabilities[:, 2] + probabilities[:, 3]
    own = probabilities[:, 2] / np.maximum(ventricular, 1e-12)
    mean = np.bincount(clusters, weights=probabilities[:, 2]) / np.maximum(
        np.bincount(clusters, weights=ventricular), 1e-12
    )
    blended = (1 - weight) * own + weight * mean[clusters]
    out = probabilities.copy()
    out[:, 2] = ventricular * blended
    out[:, 3] = ventricular * (1 - blended)
    return out


def scoring():
    """The EC57 scoring and nested S offset of beats-seed-ensemble.py (the independent numpy check of `compare`)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "beats-seed-ensemble.py")
    spec = importlib.util.spec_from_file_location("seed_ensemble", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def nested_weight(folder, cluster_of, weights):
    """Fold k decided with the (weight, S offset) pair that maximises pooled N/S/V mean F1 on the other folds."""
    m = scoring()
    logits, labels, folds = m.load(folder)
    ids = []
    k = 1
    while os.path.exists(f"{folder}/fold-{k}/heldout.json"):
        outputs = json.load(open(f"{folder}/fold-{k}/heldout.json"))["outputs"]
        ids += [(k, cluster_of[i]) for i in outputs["ids"]]
        k += 1
    uniq = {key: n for n, key in enumerate(sorted(set(ids)))}
    clusters = np.asarray([uniq[key] for key in ids])
    voted = {w: np.log(np.maximum(vote(softmax(logits), clusters, w), 1e-12)) for w in weights}
    grid = sorted(np.round(np.arange(-2, 2.0001, 0.05), 2), key=lambda a: (abs(a), a))
    predicted = np.zeros(len(labels), dtype=int)
    chosen = []
    for k in np.unique(folds):
        others = folds != k
        best = (-1.0, 0.0, 0.0)
        for w in weights:
            for offset in grid:
                score = m.nsv(m.shifted(voted[w][others], offset), labels[others])
                if score > best[0] + 1e-12:
                    best = (score, w, offset)
        predicted[folds == k] = m.shifted(voted[best[1]][folds == k], best[2])
        chosen.append(best[1:])
    print(
        f"{folder}: nested (weight, S offset) N/S/V mean F1 {m.nsv(predicted, labels):.3f}"
        f"  S F1 {m.f1(predicted, labels, m.S):.3f}  V F1 {m.f1(predicted, labels, m.V):.3f}  chosen {chosen}"
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dump")
    parser.add_argument("cv", nargs="+")
    parser.add_argument("--corr", type=float, default=0.9)
    parser.add_argument("--weight", type=float, default=0.5)
    parser.add_argument("--suffix", default="vote")
    parser.add_argument("--leads", type=int, default=2, help="raw leads at the start of the dumped channels")
    parser.add_argument("--vf-weight", type=float, default=0.0, help="also vote on V vs F (measured, not kept)")
    parser.add_argument("--nested", help="comma-separated weights: choose (weight, S offset) per fold on the others")
    args = parser.parse_args()
    dump = json.load(open(args.dump))
    config = json.load(open(f"{args.cv[0]}/fold-1/config.json"))
    dump["before_samples"] = round(config["beats"]["beforeSeconds"] * FS)
    dump["after_samples"] = round(config["beats"]["afterSeconds"] * FS)
    vectors = qrs_vectors(dump, args.leads)
    cluster_of = {}
    records = np.asarray(dump["record"])
    for record in sorted(set(dump["record"])):
        rows = np.flatnonzero(records == record)
        of = clusters_of(vectors[rows], args.corr)
        for row, c in zip(rows, of):
            cluster_of[f"{record}:{dump['samples'][row]}"] = (record, int(c))
        sizes = np.bincount(of)
        print(f"{record}: {len(rows)} beats, {len(sizes)} clusters, largest {sizes.max()}, singletons {(sizes == 1).sum()}")
    if args.nested:
        for folder in args.cv:
            nested_weight(folder, cluster_of, [float(w) for w in args.nested.split(",")])
        return
    for folder in args.cv:
        out = f"{folder.rstrip('/')}-{args.suffix}"
        k = 1
        while os.path.exists(f"{folder}/fold-{k}/heldout.json"):
            heldout = json.load(open(f"{folder}/fold-{k}/heldout.json"))
            outputs = heldout["outputs"]
            logits = np.asarray(outputs["logits"], dtype=np.float64)
            keys = [cluster_of[i] for i in outputs["ids"]]
            # Cluster indices made unique across the fold's records.
            uniq = {key: n for n, key in enumerate(sorted(set(keys)))}
            clusters = np.asarray([uniq[key] for key in keys])
            probabilities = vote(softmax(logits), clusters, args.weight)
            if args.vf_weight > 0:
                probabilities = vf_vote(probabilities, clusters, args.vf_weight)
            outputs["logits"] = np.log(np.maximum(probabilities, 1e-12)).tolist()
            os.makedirs(f"{out}/fold-{k}", exist_ok=True)
            json.dump(heldout, open(f"{out}/fold-{k}/heldout.json", "w"))
            k += 1
        print(f"{out}: {k - 1} folds")


if __name__ == "__main__":
    main()
