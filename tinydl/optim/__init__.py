"""Optimizers (SGD, Adam, AdamW, RMSprop) and learning-rate schedulers."""
from . import lr_scheduler
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["SGD", "Adam", "AdamW", "Optimizer", "lr_scheduler"]

# --- ported programs (branch ported2): RMSprop, which pytorch/tutorials' polynomial_optim uses
from .rmsprop import RMSprop  # noqa: E402

__all__ += ["RMSprop"]
