#!/usr/bin/python3
"""PyTorch side of bench/engine.ts: trains the reference 1D EfficientNet-B0 (bench/efficientnet1d_torch.py) with
the same settings as the TypeScript engine and prints one JSON line: samples/s and peak resident memory.
Usage: /usr/bin/python3 bench/engine_torch.py STEPS BATCH LEADS LENGTH THREADS WARMUP [PARITY_FILE]
PARITY_FILE: the engine's trained weights with an input __x and the engine's eval output __y on it
(bench/engine-worker.ts): after the timed steps and the peak memory reading, a fresh twin loads the weights
strictly and the JSON line also gives parity_max_diff, max |twin output - engine output| in eval mode (or
parity_error)."""
import json
import os
import resource
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from efficientnet1d_torch import EfficientECG  # noqa: E402

steps, batch, leads, length, threads, warmup = (int(a) for a in sys.argv[1:7])
torch.set_num_threads(threads)
torch.manual_seed(0)
model = EfficientECG(leads=leads, classes=5).train()
decay = [p for n, p in model.named_parameters() if p.dim() > 1]
no_decay = [p for n, p in model.named_parameters() if p.dim() <= 1]
opt = torch.optim.AdamW([{"params": decay, "weight_decay": 1e-2}, {"params": no_decay, "weight_decay": 0.0}], lr=1e-3)
x = torch.randn(batch, leads, length)
y = (torch.rand(batch, 5) > 0.5).float()


def step():
    opt.zero_grad(set_to_none=True)
    loss = F.binary_cross_entropy_with_logits(model(x), y)
    loss.backward()
    opt.step()


for _ in range(warmup):
    step()
start = time.perf_counter()
for _ in range(steps):
    step()
elapsed = time.perf_counter() - start
result = {
    "engine": "pytorch",
    "version": torch.__version__,
    "parameters": sum(p.numel() for p in model.parameters()),
    "samples_per_s": steps * batch / elapsed,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}


def parity(path):
    """Max |twin output - engine output| of a fresh twin loaded strictly with the engine's weights, eval mode."""
    from infer_torch import read_safetensors
    state, _ = read_safetensors(path)
    x_ref, y_ref = state.pop("__x"), state.pop("__y")
    twin = EfficientECG(leads=leads, classes=5)
    twin.load_state_dict(state, strict=True)
    twin.eval()
    with torch.no_grad():
        y = twin(x_ref)
    if y.shape != y_ref.shape:
        raise ValueError(f"output shape {list(y.shape)}, the engine's {list(y_ref.shape)}")
    return float((y - y_ref).abs().max())


if len(sys.argv) > 7:
    try:
        result["parity_max_diff"] = parity(sys.argv[7])
    except Exception as error:  # a missing or mis-shaped key, a wrong shape: the twin is not the engine's model
        result["parity_error"] = " ".join(f"{type(error).__name__}: {error}".split())[:500]
print(json.dumps(result))
