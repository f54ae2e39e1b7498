"""tinydl: a small deep-learning engine on NumPy (and CuPy), written to be read.

    import tinydl
    x = tinydl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    x.grad            # tensor([2., 4., 6.])
"""
from . import backend, backends, cuda, dtypes
from .backend import DeviceError
from .devices import Device as device  # tinydl.device("cuda:0"), as torch.device
from .backend import get_default_device, set_default_device
from .dtypes import get_default_dtype, set_default_dtype
from .dtypes import bool_ as bool  # noqa: A001  (PyTorch's name)
from .dtypes import float16, float32, float64, int8, int16, int32, int64, uint8
from .engine import Context, Function, Node, Tensor, enable_grad, is_grad_enabled, no_grad
from .creation import (FloatTensor, LongTensor, arange, as_tensor, empty, empty_like, eye, from_numpy, full,
                       full_like, linspace, manual_seed, ones, ones_like, rand, randint, randn, tensor, zeros,
                       zeros_like)
from . import functional
from .functional import *  # noqa: F401,F403  (tinydl.relu, tinydl.cat, ... as in PyTorch)
from . import methods  # noqa: F401  (attaches operators to Tensor)
from .gradcheck import GradcheckError, gradcheck
from . import autograd
from .serialize import CheckpointError, load, save
from . import data, nn, optim, utils
from .utils import data as _utils_data  # noqa: F401  (tinydl.utils.data, as torch.utils.data)

__version__ = "0.1.0"

double = float64
float = float32  # noqa: A001
long = int64

# --- PyTorch API surface (issue 10, branch i10): Size, dtype, print options, generators, sampling
from .printing import set_printoptions  # noqa: E402
from .rng import Generator, default_generator  # noqa: E402
from .dtypes import dtype  # noqa: E402
from .size import Size  # noqa: E402
from . import random  # noqa: E402,F811  (tinydl.random, as torch.random)
from .random import (bernoulli, initial_seed, multinomial, normal, rand_like, randint_like,  # noqa: E402
                     randn_like, randperm, seed)

# --- newcomer's first hour (issue 14): offline data sets
from . import datasets  # noqa: E402

# --- coursework kit (issue 16): tinydl.testing, the one-call layer check
from . import testing  # noqa: E402
