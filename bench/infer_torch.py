#!/usr/bin/python3
"""PyTorch side of bench/infer.ts: rebuilds a shipped model's architecture from its checkpoint (safetensors, parsed
here: 8-byte little-endian header length, JSON header, raw data), loads the weights strictly, and times eval
inference under torch.no_grad() on the bench's inputs. Prints one JSON line.

Usage: /usr/bin/python3 bench/infer_torch.py MANIFEST THREADS latency|throughput RUNS WARMUP BUDGET_SECONDS
An ensemble (src/models/ensemble.ts) is its members' twins under members.k, as its ONNX graph computes it: the
mean of the members' logits (summed in member order, times 1/n), plus the class_offsets buffer when the config has
classOffsets; a fusion ensemble's members read the patient inputs encoded with the first member's groups, each
numeric group moved onto the member's own standardisation (onScale). Every run is one batch of the manifest's
windows (a whole 10 s record's windows for latency).
An architecture without a twin (twin_of) prints {"status": "n/a", "reason": ...} and exits 0."""
import json
import os
import struct
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from baselines_torch import ARCHITECTURES as BASELINES, build as build_baseline  # noqa: E402
from fusion_torch import EfficientEcgFusion, efficientecg_from_config  # noqa: E402

SAFETENSORS_DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32, "U8": np.uint8,
                      "BOOL": np.bool_}
NUMPY_FEEDS = {"float32": np.float32, "int64": np.int64}
PLAIN_EFFICIENTECG = {"efficientecg-b0", "efficientecg-b1", "efficientecg-b2", "efficientecg-b3",
                      "efficientecg-w0.5", "efficientecg-w0.25"}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    metadata = header.pop("__metadata__", {})
    base = 8 + length
    tensors = {}
    for name, entry in header.items():
        start, end = entry["data_offsets"]
        array = np.frombuffer(data, SAFETENSORS_DTYPES[entry["dtype"]], (end - start) // np.dtype(
            SAFETENSORS_DTYPES[entry["dtype"]]).itemsize, base + start).reshape(entry["shape"])
        tensors[name] = torch.from_numpy(array.copy())
    return tensors, metadata


def plain_twin(config, groups):
    model = efficientecg_from_config(config)
    return model, lambda feeds: model(feeds["ecg"])


def fusion_patients(feeds, groups):
    """{group name: (values, missing)} from the ONNX feeds of the metadata's patient groups."""
    return {g["name"]: (feeds[g["inputs"]["values"]], feeds[g["inputs"]["missing"]]) for g in groups}


def fusion_twin(config, groups, patients_of=fusion_patients):
    model = EfficientEcgFusion(config)

    def run(feeds):
        return model(feeds["ecg"], patients_of(feeds, groups))

    return model, run


MIN_RR_SECONDS = 0.05  # as src/models/beats.ts: the record-mean RR divisor is clamped to it


def standardised(values, group):
    mean = torch.tensor(group["mean"], dtype=torch.float32).reshape(1, -1)
    std = torch.tensor(group["std"], dtype=torch.float32).reshape(1, -1)
    return (values - mean) / std, values * 0


def beat_twin(config, groups):
    """Twin of src/models/beats.ts EfficientEcgBeat: an EfficientECG on the beat window (rrContext none, state
    ecg.*) or EfficientECG-Fusion with two RR tokens computed from `rr` seconds (rrContext tokens, state fusion.*)."""
    model = torch.nn.Module()
    if config["rrContext"] == "none":
        model.ecg = efficientecg_from_config(config["backbone"])
        return model, lambda feeds: model.ecg(feeds["ecg"])
    model.fusion = EfficientEcgFusion(config["fusion"])
    rr_group, ratio_group = config["fusion"]["groups"][:2]
    # With `context` features (config.context), a third token group reads the `context` input [N, K], standardised
    # in the graph like the RR groups; residual channels only widen the ECG input (fusion.backbone.leads).
    context_group = config["fusion"]["groups"][2] if config.get("context") else None

    def run(feeds):
        rr = feeds["rr"]
        ratios = rr[:, 0:3] / torch.clamp(rr[:, 3:4], min=MIN_RR_SECONDS)
        tokens = {rr_group["name"]: standardised(rr * 1000, rr_group),
                  ratio_group["name"]: standardised(ratios, ratio_group)}
        if context_group is not None:
            tokens[context_group["name"]] = standardised(feeds["context"], context_group)
        return model.fusion(feeds["ecg"], tokens)

    return model, run


def baseline_twin(name):
    """The PTB-XL benchmark baselines (bench/baselines_torch.py): the same config keys as the TypeScript models."""
    def build_twin(config, groups):
        model = build_baseline(name, config)
        return model, lambda feeds: model(feeds["ecg"])

    return build_twin


def twin_of(name):
    """Builder (config, patient groups) -> (module, feeds -> logits) for a checkpoint's architecture, or None."""
    if name in PLAIN_EFFICIENTECG:
        return plain_twin
    if name in BASELINES:
        return baseline_twin(name)
    return {"efficientecg-fusion": fusion_twin, "efficientecg-beat": beat_twin, "ensemble": ensemble_twin}.get(name)


class NoTwin(Exception):
    pass


def on_scale(first, member, patients):
    """src/models/ensemble.ts onScale: patients standardised with the first member's numeric groups, moved onto
    `member`'s (value * std0 / std + (mean0 - mean) / std, constants computed in float64 and stored as the values'
    dtype, then Mul and Add as in the graph); missing flags and categorical groups unchanged."""
    out = dict(patients)
    for group, reference in zip(member["groups"], first["groups"]):
        if group["kind"] != "numeric" or reference["kind"] != "numeric" or group["name"] not in patients:
            continue
        if not group.get("mean") or not group.get("std") or not reference.get("mean") or not reference.get("std"):
            continue
        if group["mean"] == reference["mean"] and group["std"] == reference["std"]:
            continue
        scale = [r / s for r, s in zip(reference["std"], group["std"])]
        shift = [(r - m) / s for r, m, s in zip(reference["mean"], group["mean"], group["std"])]
        values, missing = patients[group["name"]]
        moved = values * torch.tensor(scale, dtype=values.dtype) + torch.tensor(shift, dtype=values.dtype)
        out[group["name"]] = (moved, missing)
    return out


def ensemble_twin(config, groups):
    """src/models/ensemble.ts Ensemble / FusionEnsemble: members under members.k, mean of their logits (summed in
    order, then times 1 / n, as meanOfMembers and meanOf), plus class_offsets when the config carries classOffsets.
    Every member reads the same feeds; a fusion ensemble's members each read the patients on their own scale."""
    members = config["members"]
    built = []
    for member in members:
        builder = twin_of(member["name"])
        if builder is None or member["name"] == "ensemble":
            raise NoTwin(f"no PyTorch twin for ensemble member {member['name']}")
        if member["name"] == "efficientecg-fusion":
            first = members[0]["config"]
            own = member["config"]
            built.append(fusion_twin(own, groups,
                                     lambda feeds, g, own=own: on_scale(first, own, fusion_patients(feeds, g))))
        else:
            built.append(builder(member["config"], groups))
    model = torch.nn.Module()
    model.members = torch.nn.ModuleList([module for module, _ in built])
    offsets = config.get("classOffsets")
    if offsets is not None:
        model.register_buffer("class_offsets", torch.tensor(offsets, dtype=torch.float32))

    def run(feeds):
        total = None
        for _, forward in built:
            logits = forward(feeds)
            total = logits if total is None else total + logits
        mean = total if len(built) == 1 else total * (1 / len(built))
        return mean if offsets is None else mean + model.class_offsets

    return model, run


def load_feeds(manifest, batch):
    feeds = {}
    for feed in manifest["feeds"]:
        array = np.fromfile(feed["file"], NUMPY_FEEDS[feed["dtype"]]).reshape(feed["dims"])
        feeds[feed["name"]] = torch.from_numpy(array[:batch].copy())
    return feeds


def measure(run, feeds, runs, warmup, budget):
    """Seconds of each timed run (at least 3, at most `runs`, stopping once `budget` seconds are spent)."""
    for _ in range(warmup):
        run(feeds)
    times, spent = [], 0.0
    while len(times) < runs and (len(times) < 3 or spent < budget):
        start = time.perf_counter()
        run(feeds)
        times.append(time.perf_counter() - start)
        spent += times[-1]
    return times


def main():
    manifest_path, threads, mode, runs, warmup, budget = sys.argv[1:7]
    with open(manifest_path) as f:
        manifest = json.load(f)
    torch.set_num_threads(int(threads))
    torch.set_num_interop_threads(1)
    state, metadata = read_safetensors(manifest["checkpoint"])
    spec = json.loads(metadata["model"])
    builder = twin_of(spec["name"])
    if builder is None:
        print(json.dumps({"status": "n/a", "reason": f"no PyTorch twin for architecture {spec['name']}"}))
        return
    try:
        model, forward = builder(spec["config"], manifest["patientGroups"])
    except NoTwin as error:
        print(json.dumps({"status": "n/a", "reason": str(error)}))
        return
    model.load_state_dict({k: v for k, v in state.items() if not k.startswith("optimizer/")}, strict=True)
    model.eval()
    batch = manifest["batches"][mode]
    feeds = load_feeds(manifest, batch)
    with torch.no_grad():
        times = measure(lambda f: forward(f), feeds, int(runs), int(warmup), float(budget))
        logits = forward(feeds)
    result = {"status": "ok", "version": f"torch {torch.__version__}", "runs": len(times), "batch": batch,
              "median_ms": float(np.median(times) * 1000), "min_ms": min(times) * 1000, "max_ms": max(times) * 1000,
              "per_s": batch / float(np.median(times)),
              "logits": logits.reshape(batch, -1).tolist()}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
