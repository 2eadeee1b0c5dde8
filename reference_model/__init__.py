"""The bundled reference model: a small Z-Image-style diffusion transformer.

``reference_model.legacy`` is the model as it was before the fix: its forward reaches into each
block and sets ``layer.attention.attn.skip_sequence_parallel``, which zlint reports as ZL001.
"""
