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

# --- newcomer's first hour (issue 14): model summaries, as torchinfo prints them
from .summary import ModelSummary, summary  # noqa: E402

__all__ += ["ModelSummary", "summary"]
