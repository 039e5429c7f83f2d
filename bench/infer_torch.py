#!/usr/bin/python3
"""PyTorch side of bench/infer.ts: rebuilds a shipped model's architecture from its checkpoint (safetensors, parsed
here: 8-byte little-endian header length, JSON header, raw data), loads the weights strictly, and times eval
inference under torch.no_grad() on the bench's inputs. Prints one JSON line.

Usage: /usr/bin/python3 bench/infer_torch.py MANIFEST THREADS latency|throughput RUNS WARMUP BUDGET_SECONDS
An architecture without a twin (twin_of) prints {"status": "n/a", "reason": ...} and exits 0."""
import json
import os
import struct
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
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


def fusion_twin(config, groups):
    model = EfficientEcgFusion(config)

    def run(feeds):
        patients = {g["name"]: (feeds[g["inputs"]["values"]], feeds[g["inputs"]["missing"]]) for g in groups}
        return model(feeds["ecg"], patients)

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
    rr_group, ratio_group = config["fusion"]["groups"]

    def run(feeds):
        rr = feeds["rr"]
        ratios = rr[:, 0:3] / torch.clamp(rr[:, 3:4], min=MIN_RR_SECONDS)
        tokens = {rr_group["name"]: standardised(rr * 1000, rr_group),
                  ratio_group["name"]: standardised(ratios, ratio_group)}
        return model.fusion(feeds["ecg"], tokens)

    return model, run


def twin_of(name):
    """Builder (config, patient groups) -> (module, feeds -> logits) for a checkpoint's architecture, or None."""
    if name in PLAIN_EFFICIENTECG:
        return plain_twin
    return {"efficientecg-fusion": fusion_twin, "efficientecg-beat": beat_twin}.get(name)


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
    model, forward = builder(spec["config"], manifest["patientGroups"])
    model.load_state_dict({k: v for k, v in state.items() if not k.startswith("optimizer/")}, strict=True)
    model.eval()
    batch = manifest["batches"][mode]
    feeds = load_feeds(manifest, batch)
    with torch.no_grad():
        times = measure(lambda f: forward(f), feeds, int(runs), int(warmup), float(budget))
        logits = forward(feeds)
    result = {"status": "ok", "version": f"torch {torch.__version__}", "runs": len(times), "batch": batch,
              "median_ms": float(np.median(times) * 1000), "per_s": batch / float(np.median(times)),
              "logits": logits.reshape(batch, -1).tolist()}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
