"""Neural-network building blocks: Module, layers, losses, init, functional (F)."""
from . import functional, init
from .containers import ModuleList, Sequential
from .layers import (Dropout, Flatten, Identity, LeakyReLU, Linear, LogSoftmax, ReLU, Sigmoid, Softmax,
                     Tanh)
from .loss import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from .module import IncompatibleKeys, Module, Parameter

__all__ = [
    "BCEWithLogitsLoss", "CrossEntropyLoss", "Dropout", "Flatten", "Identity", "IncompatibleKeys",
    "LeakyReLU", "Linear", "LogSoftmax", "MSELoss", "Module", "ModuleList", "NLLLoss", "Parameter",
    "ReLU", "Sequential", "Sigmoid", "Softmax", "Tanh", "functional", "init",
]

# --- nn/optim parity (issues 9, 10, 11): more losses, nn.utils (gradient clipping), nn.modules (hooks)
from . import modules, utils  # noqa: E402
from .loss import BCELoss, HuberLoss, L1Loss, SmoothL1Loss  # noqa: E402

__all__ += ["BCELoss", "HuberLoss", "L1Loss", "SmoothL1Loss", "modules", "utils"]

# ---- Beyond the MLP (issue 13): convolution, pooling, normalization, embedding, smooth activations
from .activation import ELU, GELU, SiLU, Softplus  # noqa: E402
from .conv import Conv1d, Conv2d  # noqa: E402
from .embedding import Embedding  # noqa: E402
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm  # noqa: E402
from .pooling import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AvgPool1d, AvgPool2d, MaxPool1d,  # noqa: E402
                      MaxPool2d)
from .reshape import Unflatten  # noqa: E402

__all__ += [
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AvgPool1d", "AvgPool2d", "BatchNorm1d", "BatchNorm2d",
    "Conv1d", "Conv2d", "ELU", "Embedding", "GELU", "LayerNorm", "MaxPool1d", "MaxPool2d", "SiLU",
    "Softplus", "Unflatten",
]

# --- newcomer's first hour (issue 14): model summaries, as torchinfo prints them
from .summary import ModelSummary, summary  # noqa: E402

__all__ += ["ModelSummary", "summary"]
