import torch.nn as nn
from vendor_lib import VendorProjection


class ZImageFinalLayer(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.proj = VendorProjection(dim)

    def forward(self, x):
        return self.proj(x)
