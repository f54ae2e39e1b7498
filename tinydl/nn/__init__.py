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
