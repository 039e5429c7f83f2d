#!/usr/bin/python3
"""PyTorch twins of src/models/baselines (resnet1d_wang, xresnet1d101, inception1d of the PTB-XL benchmark,
Strodthoff et al. 2020): the same layers, state-dict names, shapes and initialisation as the TypeScript models, so
that weights move between them. Used by the benchmarks and by test/fixtures/models/make_baselines_fixture.py.
Configs use the TypeScript field names (camelCase), so one JSON config builds either twin.
Run: /usr/bin/python3 bench/baselines_torch.py   (prints parameter counts of the published configurations)
Requires Debian's python3-torch."""
import math
import torch
import torch.nn as nn
import torch.nn.functional as F


def conv(cin, cout, k, stride=1):
    return nn.Conv1d(cin, cout, k, stride, (k - 1) // 2, bias=False)


class ConvBn(nn.Sequential):
    def __init__(self, cin, cout, k, stride=1, relu=True):
        layers = [conv(cin, cout, k, stride), nn.BatchNorm1d(cout)]
        if relu:
            layers.append(nn.ReLU())
        super().__init__(*layers)


class HeadBlock(nn.Module):
    def __init__(self, cin, cout, p, relu):
        super().__init__()
        self.norm = nn.BatchNorm1d(cin)
        self.dropout = nn.Dropout(p)
        self.linear = nn.Linear(cin, cout)
        self.relu = relu

    def forward(self, x):
        y = self.linear(self.dropout(self.norm(x)))
        return F.relu(y) if self.relu else y


class ConcatPoolHead(nn.Sequential):
    """max and average pooling concatenated (max first), then BN/dropout/linear(/ReLU) blocks."""

    def __init__(self, channels, classes, hidden, dropout):
        widths = [2 * channels, *hidden, classes]
        n = len(widths) - 1
        super().__init__(*[HeadBlock(widths[i], widths[i + 1], dropout if i == n - 1 else dropout / 2, i < n - 1)
                           for i in range(n)])

    def forward(self, x):
        pooled = torch.cat([F.adaptive_max_pool1d(x, 1), F.adaptive_avg_pool1d(x, 1)], 1).flatten(1)
        return super().forward(pooled)


def init_like_benchmark(model):
    """Kaiming-normal (fan-in, ReLU gain) conv/linear weights, zero biases, BN 1/0."""
    for name, p in model.named_parameters():
        if name.endswith(".weight") and p.dim() >= 2:
            nn.init.kaiming_normal_(p)
        elif name.endswith(".bias"):
            nn.init.zeros_(p)


class BasicBlock1d(nn.Module):
    def __init__(self, cin, cout, stride, kernels):
        super().__init__()
        self.conv1 = conv(cin, cout, kernels[0], stride)
        self.bn1 = nn.BatchNorm1d(cout)
        self.conv2 = conv(cout, cout, kernels[1])
        self.bn2 = nn.BatchNorm1d(cout)
        self.downsample = ConvBn(cin, cout, 1, stride, relu=False) if stride != 1 or cin != cout else None

    def forward(self, x):
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(y + (self.downsample(x) if self.downsample is not None else x))


class ResNet1dWang(nn.Module):
    def __init__(self, leads, classes, channels, blocks, kernels, stemKernel, hidden, dropout):
        super().__init__()
        self.stem = ConvBn(leads, channels, stemKernel)
        self.blocks = nn.Sequential(*[BasicBlock1d(channels, channels, 2 if s > 0 and i == 0 else 1, kernels)
                                      for s, n in enumerate(blocks) for i in range(n)])
        self.head = ConcatPoolHead(channels, classes, hidden, dropout)
        init_like_benchmark(self)

    def features(self, x):
        return self.blocks(self.stem(x))

    def forward(self, x):
        return self.head(self.features(x))


class XResBlock1d(nn.Module):
    def __init__(self, cin, width, expansion, stride, kernel):
        super().__init__()
        out = width * expansion
        if expansion == 1:
            convs = [ConvBn(cin, width, kernel, stride), ConvBn(width, out, kernel, relu=False)]
        else:
            convs = [ConvBn(cin, width, 1), ConvBn(width, width, kernel, stride), ConvBn(width, out, 1, relu=False)]
        self.convs = nn.Sequential(*convs)
        nn.init.zeros_(convs[-1][1].weight)  # fastai's zero_bn: the block starts as its shortcut
        self.shortcut = ConvBn(cin, out, 1, relu=False) if cin != out else None
        self.stride = stride

    def forward(self, x):
        identity = x if self.stride == 1 else F.avg_pool1d(x, 2, 2, ceil_mode=True)
        if self.shortcut is not None:
            identity = self.shortcut(identity)
        return F.relu(self.convs(x) + identity)


class XResNet1d(nn.Module):
    def __init__(self, leads, classes, stemChannels, stemKernel, layers, widths, expansion, kernel, hidden, dropout):
        super().__init__()
        s1, s2, s3 = stemChannels
        self.stem = nn.Sequential(ConvBn(leads, s1, stemKernel, 2), ConvBn(s1, s2, stemKernel), ConvBn(s2, s3, stemKernel))
        blocks, cin = [], s3
        for s, n in enumerate(layers):
            for i in range(n):
                blocks.append(XResBlock1d(cin, widths[s], expansion, 2 if s > 0 and i == 0 else 1, kernel))
                cin = widths[s] * expansion
        self.blocks = nn.Sequential(*blocks)
        self.head = ConcatPoolHead(cin, classes, hidden, dropout)
        init_like_benchmark(self)

    def features(self, x):
        return self.blocks(F.max_pool1d(self.stem(x), 3, 2, 1))

    def forward(self, x):
        return self.head(self.features(x))


def branch_kernels(k):
    return [j - 1 if j % 2 == 0 else j for j in (k, k // 2, k // 4)]


class InceptionBlock1d(nn.Module):
    def __init__(self, cin, filters, kernels, bottleneck):
        super().__init__()
        self.bottleneck = conv(cin, bottleneck, 1) if bottleneck > 0 else None
        self.branches = nn.Sequential(*[conv(bottleneck if bottleneck > 0 else cin, filters, k) for k in kernels])
        self.pool_branch = conv(cin, filters, 1)
        self.bn = nn.BatchNorm1d((len(kernels) + 1) * filters)

    def forward(self, x):
        b = self.bottleneck(x) if self.bottleneck is not None else x
        outs = [branch(b) for branch in self.branches] + [self.pool_branch(F.max_pool1d(x, 3, 1, 1))]
        return F.relu(self.bn(torch.cat(outs, 1)))


class Inception1d(nn.Module):
    def __init__(self, leads, classes, kernel, depth, bottleneck, filters, residual, hidden, dropout):
        super().__init__()
        kernels = branch_kernels(kernel)
        width = (len(kernels) + 1) * filters
        cin = lambda d: leads if d == 0 else width
        self.blocks = nn.Sequential(*[InceptionBlock1d(cin(d), filters, kernels, bottleneck) for d in range(depth)])
        self.shortcuts = nn.Sequential(*[ConvBn(cin(3 * i), width, 1, relu=False) for i in range(depth // 3)]) \
            if residual else None
        self.head = ConcatPoolHead(width, classes, hidden, dropout)
        init_like_benchmark(self)

    def features(self, x):
        residual = y = x
        for d, block in enumerate(self.blocks):
            y = block(y)
            if self.shortcuts is not None and d % 3 == 2:
                y = F.relu(y + self.shortcuts[d // 3](residual))
                residual = y
        return y

    def forward(self, x):
        return self.head(self.features(x))


def resnet1d_wang_config(leads, classes):
    return dict(leads=leads, classes=classes, channels=128, blocks=[1, 1, 1], kernels=[5, 3], stemKernel=7,
                hidden=[128], dropout=0.5)


def xresnet1d101_config(leads, classes):
    return dict(leads=leads, classes=classes, stemChannels=[32, 32, 64], stemKernel=5, layers=[3, 4, 23, 3],
                widths=[64, 64, 64, 64], expansion=4, kernel=5, hidden=[128], dropout=0.5)


def inception1d_config(leads, classes):
    return dict(leads=leads, classes=classes, kernel=40, depth=6, bottleneck=32, filters=32, residual=True,
                hidden=[128], dropout=0.5)


ARCHITECTURES = {
    "resnet1d_wang": (ResNet1dWang, resnet1d_wang_config),
    "xresnet1d101": (XResNet1d, xresnet1d101_config),
    "inception1d": (Inception1d, inception1d_config),
}


def build(name, config):
    return ARCHITECTURES[name][0](**config)


def count_parameters(model):
    return sum(p.numel() for p in model.parameters())


if __name__ == "__main__":
    for name, (cls, config) in ARCHITECTURES.items():
        counts = [count_parameters(cls(**config(12, classes))) for classes in (5, 23, 44, 71)]
        print(f"{name:14s} 12 leads -> 5 / 23 / 44 / 71 classes: " + " / ".join(f"{c:,}" for c in counts))
