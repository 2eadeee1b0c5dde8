import torch.nn as nn

REGISTRY = {}


def register(name):
    def add(cls):
        REGISTRY[name] = cls
        return cls

    return add


@register("gated")
class GatedBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(4, 4)
        self.gate_open = True

    def forward(self, x):
        return self.proj(x) if self.gate_open else x


def make_layers(name, count):
    return nn.ModuleList([REGISTRY[name]() for _ in range(count)])
