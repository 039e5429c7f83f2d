"""External check of a beat model on 10 s 12-lead records of other sources, record-level truth only.

LUDB (500 Hz) and PTB-XL (100 Hz) have no beat labels, but their diagnoses say which records hold atrial or
ventricular extrasystoles, atrial fibrillation or flutter, bundle branch block or pacing. So: in records with none
of these, every beat the model calls S, V or F is a false one; in records with extrasystoles, does the model find at
least one of that kind? Beats are also split by where their R peak lies: within 0.1 s of the record's start or end
(QRS cut), within the model's window of an end (0.25 s before, 0.45 s after), or inside.

    npx efficientecg predict DIR/data/ --model mitdb-beat-2lead-local-gate-vote-ens11 --out ludb-beats.jsonl
    python3 scripts/experiments/external-beats-check.py DIR/ludb.csv ludb-beats.jsonl
    npx efficientecg predict DIR/records100/ --model mitdb-beat-2lead-local-gate-vote-ens11 --out ptbxl-beats.jsonl
    python3 scripts/experiments/external-beats-check.py DIR/ptbxl_database.csv ptbxl-beats.jsonl

Groups (first match wins): paced; ventricular extrasystole; atrial extrasystole; AF or flutter; complete or
incomplete bundle branch block; sinus without any of these. Prints per group the records, beats and calls, the
records with at least one S / V / F call, and the false-call rate per beat with a Wilson 95 % interval where every
such call is false.
"""

import ast
import csv
import json
import math
import sys
from collections import Counter, defaultdict

GROUPS = [
    "paced",
    "V extrasystole",
    "S extrasystole",
    "AF or flutter",
    "extrasystole, kind not given",
    "bundle branch block",
    "sinus, none of these",
]
# Where a call of the class is necessarily wrong (no ectopy of that kind and no fibrillation in the diagnoses).
ALL_FALSE = {"bundle branch block": "SVF", "sinus, none of these": "SVF"}


def group_of(row):
    extrasystoles = row["Extrasystolies"]
    if row["Cardiac pacing"].strip():
        return "paced"
    if "Ventricular extrasystole" in extrasystoles:
        return "V extrasystole"
    if "Atrial extrasystole" in extrasystoles:
        return "S extrasystole"
    if "fibrillation" in row["Rhythms"] or "flutter" in row["Rhythms"]:
        return "AF or flutter"
    if "bundle branch block" in row["Conduction abnormalities"].lower():
        return "bundle branch block"
    return "sinus, none of these"


PTBXL_V = {"PVC", "BIGU", "TRIGU"}
PTBXL_S = {"PAC", "SVARR", "SVTAC", "PSVT"}
PTBXL_BBB = {"CLBBB", "CRBBB", "ILBBB", "IRBBB"}


def ptbxl_group_of(row):
    codes = set(ast.literal_eval(row["scp_codes"]))
    extra = row["extra_beats"]
    if row["pacemaker"].strip() or "PACE" in codes:
        return "paced"
    if codes & PTBXL_V or "VES" in extra.replace("SVES", ""):
        return "V extrasystole"
    if codes & PTBXL_S or "SVES" in extra:
        return "S extrasystole"
    if {"AFIB", "AFLT"} & codes:
        return "AF or flutter"
    if extra.strip():
        return "extrasystole, kind not given"
    if codes & PTBXL_BBB:
        return "bundle branch block"
    return "sinus, none of these"


def read_diagnoses(path):
    rows = list(csv.DictReader(open(path, encoding="utf-8")))
    if "scp_codes" in rows[0]:  # PTB-XL: records are named by their file, e.g. 00001_lr
        return {r["filename_lr"].split("/")[-1]: r for r in rows}, ptbxl_group_of
    return {str(int(r["ID"])): r for r in rows}, group_of


def position(sample, samples, fs):
    if sample < 0.1 * fs or samples - sample < 0.1 * fs:
        return "QRS cut"
    if sample < 0.25 * fs or samples - sample < 0.45 * fs:
        return "window cut"
    return "inside"


def wilson(k, n, z=1.96):
    if n == 0:
        return (math.nan, math.nan)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def main(diagnoses_path, predictions_path):
    rows, grouping = read_diagnoses(diagnoses_path)
    stats = defaultdict(Counter)
    positions = Counter()
    with_calls = defaultdict(lambda: defaultdict(list))
    failed = []
    for line in open(predictions_path, encoding="utf-8"):
        prediction = json.loads(line)
        if not prediction.get("ok"):
            failed.append(prediction.get("file"))
            continue
        name = prediction["record"]["name"]
        group = grouping(rows[name])
        if group in ALL_FALSE:
            samples, fs = prediction["record"]["samples"], prediction["record"]["fs"]
            for beat in prediction["beats"]["items"]:
                where = position(beat["sample"], samples, fs)
                positions[where, "beats"] += 1
                positions[where, "false"] += beat["label"] != "N"
        counts = prediction["beats"]["counts"]
        stats[group]["records"] += 1
        stats[group]["beats"] += prediction["beats"]["total"]
        stats[group]["gated records"] += any("atrial fibrillation" in n for n in prediction["notices"])
        for label, count in counts.items():
            stats[group][label] += count
            if label in "SVF" and count > 0:
                with_calls[group][label].append(f"{name}({count})")
    print(f"{sum(s['records'] for s in stats.values())} records, {len(failed)} failed {failed}")
    print("| group | records | beats | N | S | V | F | records with S / V / F calls | gate on | false calls per beat [95 % CI] |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for group in GROUPS:
        s = stats[group]
        recs = " / ".join(str(len(with_calls[group][label])) for label in "SVF")
        false = ""
        if group in ALL_FALSE:
            k = sum(s[label] for label in ALL_FALSE[group])
            low, high = wilson(k, s["beats"])
            false = f"{k} of {s['beats']}: {k / s['beats']:.4f} [{low:.4f}, {high:.4f}]"
        print(
            f"| {group} | {s['records']} | {s['beats']} | {s['N']} | {s['S']} | {s['V']} | {s['F']} | {recs} |"
            f" {s['gated records']} | {false} |"
        )
    print("| where the R peak lies (records without ectopy) | beats | S, V or F calls (all false) |")
    print("|---|---|---|")
    for where in ["QRS cut", "window cut", "inside"]:
        k, n = positions[where, "false"], positions[where, "beats"]
        low, high = wilson(k, n)
        print(f"| {where} | {n} | {k}: {k / max(n, 1):.4f} [{low:.4f}, {high:.4f}] |")
    for group in GROUPS:
        for label in "SVF":
            if with_calls[group][label]:
                print(f"{group}, records with {label} calls (count): {' '.join(sorted(with_calls[group][label]))}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
