"""Export the architecture of Pare's demo model (untrained): a small
residual CNN for MNIST with BatchNormalization, two residual additions and
a depthwise-separable block. Pare itself initialises and trains it
(scripts/train-demo.sh); PyTorch only writes the graph.

The model takes raw pixels 0..255 and scales them by 1/255 itself, so the
page's default preprocessing is the right one.

    /usr/bin/python3 scripts/train-demo.py OUT.onnx
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
    """x + f(x), then ReLU."""

    def __init__(self, body):
        super().__init__()
        self.body = body

    def forward(self, x):
        return torch.relu(x + self.body(x))


class DemoResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(conv_bn(1, 8), nn.ReLU())
        # 28x28 -> 14x14
        self.down1 = nn.Sequential(conv_bn(8, 16, stride=2), nn.ReLU())
        self.block1 = Residual(nn.Sequential(conv_bn(16, 16), nn.ReLU(), conv_bn(16, 16)))
        # 14x14 -> 7x7
        self.down2 = nn.Sequential(conv_bn(16, 32, stride=2), nn.ReLU())
        # Depthwise-separable residual block (MobileNet style).
        self.block2 = Residual(nn.Sequential(
            conv_bn(32, 32, groups=32), nn.ReLU(), conv_bn(32, 32, k=1)))
        self.head = nn.Linear(32, 10)

    def forward(self, x):
        x = self.stem(x * (1.0 / 255.0))
        x = self.block1(self.down1(x))
        x = self.block2(self.down2(x))
        x = torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1)
        return self.head(x)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "demo-resnet-mnist.onnx"
    model = DemoResNet().eval()
    # The exporter merges initializers with equal values (every fresh
    # BatchNorm has scale 1 and running variance 1) behind Identity nodes,
    # which would tie them together; make them distinct. `pare init`
    # replaces all of these values anyway.
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
    m.producer_name = "pare demo (scripts/train-demo.sh)"
    m.doc_string = ("Small residual MNIST CNN (BatchNorm, residual adds, a depthwise block), "
                    "trained by Pare on the 60k MNIST training images; input raw pixels 0..255.")
    onnx.save(m, out)
    print("wrote", out, file=sys.stderr)


if __name__ == "__main__":
    main()
