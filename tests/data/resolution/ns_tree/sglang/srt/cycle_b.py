from sglang.srt.cycle_a import CycleBase
