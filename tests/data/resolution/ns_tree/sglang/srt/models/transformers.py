from torch import nn
from transformers import PretrainedConfig, PreTrainedModel


class TransformersForCausalLM(PreTrainedModel):
    config_class = PretrainedConfig

    def forward(self, x):
        return x
