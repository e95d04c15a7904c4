"""Training throughput of ResNet-20 (CIFAR shape, batch 64) in PyTorch on
one CPU thread: the reference for core/train's BenchmarkTrainStepResNet20
(same network: projection shortcuts, BatchNorm in training mode, SGD step
excluded on both sides). Prints images/s.

    /usr/bin/python3 core/train/bench/torch_resnet20.py [steps]
"""
import sys
import time

import torch
import torch.nn as nn

torch.set_num_threads(1)
torch.manual_seed(0)


def conv_bn(cin, cout, k, stride):
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, bias=False), nn.BatchNorm2d(cout))


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.a = conv_bn(cin, cout, 3, stride)
        self.b = conv_bn(cout, cout, 3, 1)
        self.short = conv_bn(cin, cout, 1, stride) if stride != 1 or cin != cout else nn.Identity()

    def forward(self, x):
        return torch.relu(self.b(torch.relu(self.a(x))) + self.short(x))


def resnet20():
    layers = [conv_bn(3, 16, 3, 1), nn.ReLU()]
    cin = 16
    for stage, cout in enumerate([16, 32, 64]):
        for blk in range(3):
            layers.append(Block(cin, cout, 2 if stage > 0 and blk == 0 else 1))
            cin = cout
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))


def main():
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    model = resnet20().train()
    x = torch.randn(64, 3, 32, 32)
    y = torch.randint(0, 10, (64,))
    loss_fn = nn.CrossEntropyLoss()

    def step():
        model.zero_grad()
        loss_fn(model(x), y).backward()

    step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    sec = time.perf_counter() - start
    print("torch %s, 1 thread: %.1f images/s" % (torch.__version__, steps * 64 / sec))


if __name__ == "__main__":
    main()
