#!/usr/bin/python3
"""PyTorch twin of src/models/fusion (EfficientEcgFusion): the EfficientECG encoder's feature sequence becomes ECG
tokens, patient groups become tokens beside a learned null token, and cross-attention blocks fuse them as the
design says. Module names follow the TypeScript state dict (backbone.*, fusion.*) so that a checkpoint loads with
load_state_dict(strict=True). Built from the checkpoint's JSON `model.config`. Requires Debian's python3-torch."""
import math
import torch
import torch.nn as nn
import torch.nn.functional as F

from efficientnet1d_torch import B0_STAGES, EfficientECG

# design -> (patient tokens query the ECG, ECG positions query the patient tokens); as FUSION_DESIGNS in config.ts
DESIGNS = {
    "patient-queries-ecg": (True, False),
    "ecg-queries-patient": (False, True),
    "bidirectional": (True, True),
    "concat": (False, False),
}
NULL_TOKEN = "_null"


def efficientecg_from_config(config):
    """The EfficientECG twin for a TypeScript EfficientEcgConfig (the twin has B0's stages, stem stride 2)."""
    stages = [(s["expand"], s["channels"], s["repeats"], s["stride"], s["kernel"]) for s in config["stages"]]
    if stages != B0_STAGES or config["stemChannels"] != 32 or config["stemStride"] != 2:
        raise ValueError("the PyTorch twin builds B0 stages with a 32-channel, stride-2 stem only: " + str(config))
    return EfficientECG(leads=config["leads"], classes=config["classes"], width=config["width"],
                        depth=config["depth"], dropout=config["dropout"],
                        stochastic_depth=config["stochasticDepth"], stem_kernel=config["stemKernel"],
                        head=config["headChannels"], se_ratio=config["seRatio"])


class EcgEncoder(nn.Module):
    """EfficientECG without its pooled classifier: stem -> blocks -> head, names unchanged."""

    def __init__(self, config):
        super().__init__()
        full = efficientecg_from_config(config)
        self.stem, self.blocks, self.head = full.stem, full.blocks, full.head
        self.channels = full.classifier.in_features

    def forward(self, x):
        return self.head(self.blocks(self.stem(x)))


class MultiheadAttention(nn.Module):
    """src/nn/attention.ts: separate q/k/v/out projections, additive -1e9 bias on masked keys."""

    def __init__(self, d_model, heads, dropout):
        super().__init__()
        self.heads, self.head_dim = heads, d_model // heads
        self.q_proj = nn.Linear(d_model, d_model)
        self.k_proj = nn.Linear(d_model, d_model)
        self.v_proj = nn.Linear(d_model, d_model)
        self.out_proj = nn.Linear(d_model, d_model)
        self.attn_dropout = nn.Dropout(dropout)

    def split(self, x):
        n, length, _ = x.shape
        return x.reshape(n, length, self.heads, self.head_dim).permute(0, 2, 1, 3)

    def forward(self, query, key, value, ignore=None):
        n, lq, d = query.shape
        q, k, v = self.split(self.q_proj(query)), self.split(self.k_proj(key)), self.split(self.v_proj(value))
        scores = torch.matmul(q, k.transpose(2, 3)) * (1 / math.sqrt(self.head_dim))
        if ignore is not None:
            scores = scores + (ignore.to(torch.float32) * -1e9).reshape(n, 1, 1, key.shape[1])
        weights = torch.softmax(scores, -1)
        merged = torch.matmul(self.attn_dropout(weights), v).permute(0, 2, 1, 3).reshape(n, lq, d)
        return self.out_proj(merged), weights


class CrossAttentionBlock(nn.Module):
    """Post-norm: x = LN(q + Attn(q, kv)); x = LN(x + FFN(x))."""

    def __init__(self, d_model, heads, ffn_multiplier, dropout):
        super().__init__()
        self.attention = MultiheadAttention(d_model, heads, dropout)
        self.norm1 = nn.LayerNorm(d_model, eps=1e-5)
        hidden = round(d_model * ffn_multiplier)
        self.ffn = nn.Sequential(nn.Linear(d_model, hidden), nn.GELU(), nn.Linear(hidden, d_model)) if hidden > 0 else None
        self.norm2 = nn.LayerNorm(d_model, eps=1e-5) if hidden > 0 else None
        self.dropout = nn.Dropout(dropout)

    def forward(self, query, key_value, ignore=None):
        output, weights = self.attention(query, key_value, key_value, ignore)
        x = self.norm1(query + self.dropout(output))
        if self.ffn is not None:
            x = self.norm2(x + self.dropout(self.ffn(x)))
        return x, weights


class NumericEmbedder(nn.Module):
    def __init__(self, spec, d_model):
        super().__init__()
        self.proj = nn.Linear(2 * len(spec["features"]), d_model)

    def forward(self, values, missing):
        return self.proj(numeric_raw(values, missing))


class CategoricalEmbedder(nn.Module):
    def __init__(self, spec, d_model):
        super().__init__()
        self.embedding = nn.Embedding(len(spec["categories"]), d_model)

    def forward(self, values, missing):
        return self.embedding(values)


def numeric_raw(values, missing):
    known = torch.where(missing > 0.5, torch.zeros_like(values), values)
    return torch.cat([known, missing], 1)


def raw_features(spec, values, missing):
    if spec["kind"] == "numeric":
        return numeric_raw(values, missing)
    categories = torch.arange(len(spec["categories"]), dtype=torch.int64)
    return (values.unsqueeze(1) == categories).to(missing.dtype)


def raw_width(spec):
    return 2 * len(spec["features"]) if spec["kind"] == "numeric" else len(spec["categories"])


def sinusoid(length, d_model):
    """Transformer encoding, computed in float64 as src/models/fusion/model.ts does, then float32."""
    p = torch.arange(length, dtype=torch.float64).unsqueeze(1)
    i = torch.arange(d_model)
    angle = p / torch.pow(torch.tensor(10000.0, dtype=torch.float64), (2 * (i // 2)).to(torch.float64) / d_model)
    return torch.where(i % 2 == 0, torch.sin(angle), torch.cos(angle)).to(torch.float32)


class FusionHead(nn.Module):
    def __init__(self, config, ecg_channels):
        super().__init__()
        self.config = config
        d, heads, ffn, dropout = config["dModel"], config["heads"], config["ffnMultiplier"], config["dropout"]
        patient_queries, ecg_queries = DESIGNS[config["design"]]
        attends = patient_queries or ecg_queries
        self.ecg_proj = nn.Linear(ecg_channels, d)
        self.ecg_dropout = nn.Dropout(dropout)
        if attends and config["position"] == "learned":
            self.position = nn.Parameter(torch.zeros(config["maxPositions"], d))
        if attends and config["position"] == "sinusoidal":
            self.register_buffer("sinusoid", sinusoid(config["maxPositions"], d), persistent=False)
        if attends:
            self.null_token = nn.Parameter(torch.zeros(d))
            self.tokens = nn.ModuleDict({
                g["name"]: (NumericEmbedder(g, d) if g["kind"] == "numeric" else CategoricalEmbedder(g, d))
                for g in config["groups"]
            })
        self.patient_to_ecg = CrossAttentionBlock(d, heads, ffn, dropout) if patient_queries else None
        self.ecg_to_patient = CrossAttentionBlock(d, heads, ffn, dropout) if ecg_queries else None
        if not attends:
            width = d + sum(raw_width(g) for g in config["groups"])
        else:
            width = 2 * d if patient_queries else d
        hidden = config["classifierHidden"]
        self.classifier = nn.Sequential(nn.Linear(width, hidden), nn.GELU(), nn.Dropout(dropout),
                                        nn.Linear(hidden, config["classes"]))
        self.attends = attends
        # The ECG shortcut (config "shortcut"): the plain EfficientECG classifier over the pooled backbone features.
        self.shortcut = None
        if config.get("shortcut", False):
            self.shortcut_dropout = nn.Dropout(config["backbone"]["dropout"])
            self.shortcut = nn.Linear(ecg_channels, config["classes"])

    def positions(self, length):
        if self.config["position"] == "learned":
            return self.position[:length]
        table = self.sinusoid if self.sinusoid.shape[0] >= length else sinusoid(length, self.config["dModel"])
        return table[:length]

    def forward(self, features, patients):
        """features [N, C, L']; patients: group name -> (values, missing)."""
        logits = self.fused(features, patients)
        if self.shortcut is None:
            return logits
        return logits + self.shortcut(self.shortcut_dropout(features.mean(2)))

    def fused(self, features, patients):
        projected = self.ecg_dropout(self.ecg_proj(features.permute(0, 2, 1)))
        pooled = projected.mean(1)
        groups = self.config["groups"]
        if not self.attends:
            readout = [pooled] + [raw_features(g, *patients[g["name"]]) for g in groups]
            return self.classifier(torch.cat(readout, 1))
        ecg = projected if self.config["position"] == "none" else projected + self.positions(projected.shape[1])
        tokens, present = self.patient_tokens(patients, features.shape[0])
        readout = [pooled]
        if self.ecg_to_patient is not None:
            output, _ = self.ecg_to_patient(ecg, tokens, present == 0)
            readout = [output.mean(1)]
        if self.patient_to_ecg is not None:
            output, _ = self.patient_to_ecg(tokens, ecg)
            weights = present.unsqueeze(2)
            readout.append((output * weights).sum(1) / weights.sum(1))
        return self.classifier(torch.cat(readout, 1))

    def patient_tokens(self, patients, n):
        d = self.config["dModel"]
        embedded = [self.null_token.reshape(1, d).expand(n, d)]
        present = [torch.ones(n)]
        for g in self.config["groups"]:
            values, missing = patients[g["name"]]
            embedded.append(self.tokens[g["name"]](values, missing))
            present.append((missing.sum(1) < missing.shape[1] - 0.5).to(torch.float32))
        return torch.stack(embedded, 1), torch.stack(present, 1)


class EfficientEcgFusion(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.backbone = EcgEncoder(config["backbone"])
        self.fusion = FusionHead(config, self.backbone.channels)

    def forward(self, ecg, patients):
        return self.fusion(self.backbone(ecg), patients)
