"""Export the untrained architectures of the two Fashion-MNIST nets that
the pruning and quantization reports use (docs/pruning.md,
docs/quantization.md): a residual CNN and a depthwise-separable
(MobileNet-style) CNN, both with BatchNormalization kept as nodes. Pare
itself initialises and trains them (scripts/train-fashion.sh); PyTorch only
writes the graphs.

Both take raw pixels 0..255 and scale them by 1/255 themselves.

    /usr/bin/python3 scripts/train-fashion.py resnet|dwnet OUT.onnx
"""
import sys

import torch
import torch.nn as nn

torch.set_num_threads(1)
torch.manual_seed(0)


def conv_bn(cin, cout, stride=1, groups=1, k=3):
    return nn.Sequential(
        nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, groups=groups, bias=False),
        nn.BatchNorm2d(cout))


class Residual(nn.Module):
    """relu(x + f(x))."""

    def __init__(self, body):
        super().__init__()
        self.body = body

    def forward(self, x):
        return torch.relu(x + self.body(x))


class FashionResNet(nn.Module):
    """Stem 16, two residual stages (16 at 28x28, 32 at 14x14, 64 at 7x7)."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(conv_bn(1, 16), nn.ReLU())
        self.block1 = Residual(nn.Sequential(conv_bn(16, 16), nn.ReLU(), conv_bn(16, 16)))
        self.down1 = nn.Sequential(conv_bn(16, 32, stride=2), nn.ReLU())
        self.block2 = Residual(nn.Sequential(conv_bn(32, 32), nn.ReLU(), conv_bn(32, 32)))
        self.down2 = nn.Sequential(conv_bn(32, 64, stride=2), nn.ReLU())
        self.block3 = Residual(nn.Sequential(conv_bn(64, 64), nn.ReLU(), conv_bn(64, 64)))
        self.head = nn.Linear(64, 10)

    def forward(self, x):
        x = self.stem(x * (1.0 / 255.0))
        x = self.block1(x)
        x = self.block2(self.down1(x))
        x = self.block3(self.down2(x))
        x = torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1)
        return self.head(x)


def separable(cin, cout, stride=1):
    """Depthwise 3x3 then pointwise 1x1, each with BN and ReLU6."""
    return nn.Sequential(
        conv_bn(cin, cin, stride=stride, groups=cin), nn.ReLU6(),
        conv_bn(cin, cout, k=1), nn.ReLU6())


class FashionDWNet(nn.Module):
    """A MobileNetV1-style chain: a plain stem, then depthwise-separable
    blocks 16 -> 32 (28x28), -> 64 (14x14), -> 64, -> 128 (7x7)."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(conv_bn(1, 16), nn.ReLU6())
        self.body = nn.Sequential(
            separable(16, 32),
            separable(32, 64, stride=2),
            separable(64, 64),
            separable(64, 128, stride=2))
        self.head = nn.Linear(128, 10)

    def forward(self, x):
        x = self.body(self.stem(x * (1.0 / 255.0)))
        x = torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1)
        return self.head(x)


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("resnet", "dwnet"):
        sys.exit("usage: train-fashion.py resnet|dwnet OUT.onnx")
    arch, out = sys.argv[1], sys.argv[2]
    model = (FashionResNet() if arch == "resnet" else FashionDWNet()).eval()
    # Distinct initial values, so the exporter does not merge equal
    # BatchNorm tensors behind Identity nodes; `pare init` replaces them.
    with torch.no_grad():
        for t in model.state_dict().values():
            if t.is_floating_point():
                t.add_(torch.rand_like(t) * 1e-3)
    torch.onnx.export(
        model, torch.zeros(1, 1, 28, 28), out,
        input_names=["image"], output_names=["logits"],
        dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=13, training=torch.onnx.TrainingMode.PRESERVE,
        do_constant_folding=False)
    import onnx
    m = onnx.load(out)
    m.producer_name = "pare fashion-%s (scripts/train-fashion.sh)" % arch
    m.doc_string = {
        "resnet": "Residual Fashion-MNIST CNN (16/32/64 channels, BatchNorm, three residual adds), trained by Pare; input raw pixels 0..255.",
        "dwnet": "Depthwise-separable Fashion-MNIST CNN (MobileNetV1-style chain to 128 channels, ReLU6), trained by Pare; input raw pixels 0..255.",
    }[arch]
    onnx.save(m, out)
    print("wrote", out, file=sys.stderr)


if __name__ == "__main__":
    main()
