"""Training throughput of ResNet-20 (CIFAR shape, batch 64) in PyTorch on
one CPU thread: the reference for core/train's BenchmarkTrainStepResNet20
(same network: projection shortcuts, BatchNorm in training mode, SGD step
excluded on both sides). Prints images/s; with --memory, what the net and
its input add to the process's resident memory and what the steps add on
top (peak RSS), beside BenchmarkTrainStepResNet20's net-MiB and train-MiB.

    /usr/bin/python3 core/train/bench/torch_resnet20.py [steps] [--memory]
"""
import os
import resource
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


def rss_mib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main():
    args = [a for a in sys.argv[1:] if a != "--memory"]
    memory = len(args) < len(sys.argv) - 1
    steps = int(args[0]) if args else 10
    rss0 = rss_mib()
    model = resnet20().train()
    x = torch.randn(64, 3, 32, 32)
    y = torch.randint(0, 10, (64,))
    loss_fn = nn.CrossEntropyLoss()
    rss1 = rss_mib()

    def step():
        model.zero_grad()
        loss_fn(model(x), y).backward()

    step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    sec = time.perf_counter() - start
    if memory:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print("torch %s: net %.1f MiB, train %.1f MiB (resident: %.1f before the net, %.1f with it, peak %.1f)"
              % (torch.__version__, rss1 - rss0, peak - rss1, rss0, rss1, peak))
        return
    print("torch %s, 1 thread: %.1f images/s" % (torch.__version__, steps * 64 / sec))


if __name__ == "__main__":
    main()
