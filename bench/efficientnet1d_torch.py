#!/usr/bin/python3
"""PyTorch twin of src/models/efficientecg.ts (same layers, names and shapes), used by the benchmarks and the
parity fixtures. Requires Debian's python3-torch."""
import math
import torch
import torch.nn as nn
import torch.nn.functional as F

B0_STAGES = [(1, 16, 1, 1, 3), (6, 24, 2, 2, 3), (6, 40, 2, 2, 5), (6, 80, 3, 2, 3),
             (6, 112, 3, 1, 5), (6, 192, 4, 2, 5), (6, 320, 1, 1, 3)]


def round_channels(c, width, divisor=8):
    scaled = c * width
    r = max(divisor, int((scaled + divisor / 2) // divisor) * divisor)
    if r < 0.9 * scaled:
        r += divisor
    return r


class ConvBnAct(nn.Sequential):
    def __init__(self, cin, cout, k, stride=1, groups=1, act=True):
        layers = [nn.Conv1d(cin, cout, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm1d(cout, 1e-3, 0.1)]
        if act:
            layers.append(nn.SiLU())
        super().__init__(*layers)


class SqueezeExcitation(nn.Module):
    def __init__(self, channels, hidden):
        super().__init__()
        self.reduce = nn.Conv1d(channels, hidden, 1)
        self.expand = nn.Conv1d(hidden, channels, 1)

    def forward(self, x):
        return x * torch.sigmoid(self.expand(F.silu(self.reduce(x.mean(2, keepdim=True)))))


class MBConv(nn.Module):
    def __init__(self, cin, cout, expand, k, stride, se_ratio, drop_path):
        super().__init__()
        hidden = cin * expand
        layers = []
        if expand != 1:
            layers.append(ConvBnAct(cin, hidden, 1))
        layers.append(ConvBnAct(hidden, hidden, k, stride, hidden))
        if se_ratio > 0:
            layers.append(SqueezeExcitation(hidden, max(1, int(cin * se_ratio))))
        layers.append(ConvBnAct(hidden, cout, 1, act=False))
        self.block = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout
        self.drop_path = drop_path

    def forward(self, x):
        y = self.block(x)
        if not self.residual:
            return y
        if self.training and self.drop_path > 0:
            keep = 1 - self.drop_path
            mask = torch.floor(torch.rand(x.shape[0], 1, 1, dtype=x.dtype) + keep)
            y = y * (mask / keep)
        return x + y


class EfficientECG(nn.Module):
    def __init__(self, leads=12, classes=5, width=1.0, depth=1.0, dropout=0.2, stochastic_depth=0.2,
                 stem_kernel=7, head=1280, se_ratio=0.25):
        super().__init__()
        stem = round_channels(32, width)
        self.stem = ConvBnAct(leads, stem, stem_kernel, 2)
        total = sum(math.ceil(r * depth) for _, _, r, _, _ in B0_STAGES)
        blocks, cin = [], stem
        for e, c, r, s, k in B0_STAGES:
            cout = round_channels(c, width)
            for i in range(math.ceil(r * depth)):
                blocks.append(MBConv(cin, cout, e, k, s if i == 0 else 1, se_ratio, stochastic_depth * len(blocks) / total))
                cin = cout
        self.blocks = nn.Sequential(*blocks)
        hc = round_channels(head, max(1.0, width))
        self.head = ConvBnAct(cin, hc, 1)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(hc, classes)

    def forward(self, x):
        return self.classifier(self.dropout(self.head(self.blocks(self.stem(x))).mean(2)))


def count_macs(model, shape):
    """Multiply-accumulates of one eval forward, counted with forward hooks on Conv1d and Linear only (the rule of
    src/models/macs.ts: elementwise ops, BatchNorm and pooling are not counted)."""
    total = [0]

    def conv_hook(module, inputs, output):
        total[0] += output.numel() * module.in_channels // module.groups * module.kernel_size[0]

    def linear_hook(module, inputs, output):
        total[0] += output.numel() * module.in_features

    hooks = [m.register_forward_hook(conv_hook) for m in model.modules() if isinstance(m, nn.Conv1d)]
    hooks += [m.register_forward_hook(linear_hook) for m in model.modules() if isinstance(m, nn.Linear)]
    model.eval()
    with torch.no_grad():
        model(torch.zeros(*shape))
    for h in hooks:
        h.remove()
    return total[0]


if __name__ == "__main__":
    import sys
    m = EfficientECG()
    if "--macs" in sys.argv:
        # EfficientECG-B0, 12 leads x 1000 samples, batch 1 (test/models/macs.test.ts holds this number)
        print(count_macs(m, (1, 12, 1000)))
    else:
        print(sum(p.numel() for p in m.parameters()))
