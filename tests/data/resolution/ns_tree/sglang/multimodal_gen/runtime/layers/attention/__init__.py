from sglang.multimodal_gen.runtime.layers.attention.layer import USPAttention, LocalAttention

__all__ = ["USPAttention", "LocalAttention"]
