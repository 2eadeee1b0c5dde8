from sglang.srt.cycle_b import CycleBase
