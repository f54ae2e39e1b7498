"""One place registers an op (tinydl/ops/registry.py): the public surface it builds, checked name by name.

The names below are dir(tinydl), dir(tinydl.functional), dir(tinydl.nn.functional)
and dir(Tensor) at commit 4bbda92, before the registry: moving to it must not
lose any of them.
"""
from __future__ import annotations

import pytest

import tinydl
import tinydl.functional as F
import tinydl.nn.functional as NF
from tinydl import Tensor
from tinydl.ops import registry

TINYDL_AT_BASE = """
    CheckpointError Context DeviceError FloatTensor Function Generator GradcheckError LongTensor
    Node Size Tensor abs acos adaptive_avg_pool1d adaptive_avg_pool2d add addmm arange arccos arcsin
    arctan argmax argmin argsort as_tensor asin atan autograd avg_pool1d avg_pool2d backend backends
    batch_norm bernoulli binary_cross_entropy binary_cross_entropy_with_logits bmm bool cast cat
    ceil chunk clamp clip clone conv1d conv2d cos cosh creation cross_entropy cuda data datasets
    default_generator device devices div dot double dropout dtype dtypes elu embedding enable_grad
    engine eq erf exp expand expm1 eye fix flatten float float16 float32 float64 floor from_numpy
    full full_like functional ge gelu get_default_device get_default_dtype getitem gradcheck
    gradcheck_diagnosis gt huber_loss initial_seed instruments int16 int32 int64 int8
    is_grad_enabled is_tensor l1_loss layer_norm le leaky_relu linear linspace load log log10 log1p
    log2 log_softmax logical_and logical_not logical_or logical_xor logsumexp long lt manual_seed
    matmul max max_pool1d max_pool2d maximum mean meshgrid methods min minimum mm mse_loss mul
    multinomial mv narrow ne neg nll_loss nn no_grad norm normal numel ones ones_like ops optim
    outer permute pow rand rand_like randint randint_like randn randn_like random randperm
    reciprocal relu reshape return_types round rsqrt safetensors_io save seed serialize
    set_default_device set_default_dtype set_printoptions sigmoid sign silu sin sinh size
    smooth_l1_loss softmax softplus sort split sqrt square squeeze stack std sub sum t tan tanh
    tensor to to_device topk transpose trunc uint8 unsqueeze utils var view where zeros zeros_like
""".split()

FUNCTIONAL_AT_BASE = """
    abs acos adaptive_avg_pool1d adaptive_avg_pool2d add addmm arccos arcsin arctan argmax argmin
    argsort asin atan avg_pool1d avg_pool2d batch_norm binary_cross_entropy
    binary_cross_entropy_with_logits bmm cast cat ceil chunk clamp clip clone conv1d conv2d cos cosh
    cross_entropy div dot dropout elu embedding eq erf exp expand expm1 fix flatten floor ge gelu
    getitem gt huber_loss is_tensor l1_loss layer_norm le leaky_relu linear log log10 log1p log2
    log_softmax logical_and logical_not logical_or logical_xor logsumexp lt matmul max max_pool1d
    max_pool2d maximum mean meshgrid min minimum mm mse_loss mul mv narrow ne neg nll_loss norm
    numel outer permute pow reciprocal relu reshape round rsqrt sigmoid sign silu sin sinh
    smooth_l1_loss softmax softplus sort split sqrt square squeeze stack std sub sum t tan tanh to
    to_device topk transpose trunc unsqueeze var view where
""".split()

NN_FUNCTIONAL_AT_BASE = FUNCTIONAL_AT_BASE  # F re-exported tinydl.functional at 4bbda92 too

TENSOR_AT_BASE = """
    T __abs__ __add__ __and__ __array__ __array_ufunc__ __bool__ __class__ __delattr__ __dir__
    __doc__ __eq__ __float__ __format__ __ge__ __getattribute__ __getitem__ __getstate__ __gt__
    __hash__ __iadd__ __imul__ __index__ __init__ __init_subclass__ __int__ __invert__ __isub__
    __iter__ __itruediv__ __le__ __len__ __lt__ __matmul__ __module__ __mul__ __ne__ __neg__ __new__
    __or__ __pos__ __pow__ __radd__ __reduce__ __reduce_ex__ __repr__ __rmatmul__ __rmul__ __rpow__
    __rsub__ __rtruediv__ __setattr__ __setitem__ __sizeof__ __slots__ __str__ __sub__
    __subclasshook__ __truediv__ __weakref__ __xor__ abs acos add add_ addmm arccos arcsin arctan
    argmax argmin argsort array asin atan backward bernoulli bernoulli_ bmm bool ceil chunk clamp
    clamp_ clip clone copy_ cos cosh cpu cuda data detach device dim div div_ dot double dtype eq
    erf exp expand expand_as expm1 fill_ fix flatten float floor ge grad grad_fn gt int is_leaf item
    le log log10 log1p log2 log_softmax logsumexp long lt mT matmul max maximum mean min minimum mm
    mul mul_ multinomial mv narrow ndim ne neg norm normal_ numel numpy outer permute pow random_
    reciprocal register_hook relu requires_grad requires_grad_ reshape retain_grad retains_grad
    round rsqrt shape sigmoid sign sin sinh size softmax sort split sqrt square squeeze std sub sub_
    sum t tan tanh to tolist topk transpose trunc type uniform_ unsqueeze var view view_as zero_
""".split()


def test_nothing_public_disappeared():
    for names, module in ((TINYDL_AT_BASE, tinydl), (FUNCTIONAL_AT_BASE, F), (NN_FUNCTIONAL_AT_BASE, NF),
                          (TENSOR_AT_BASE, Tensor)):
        assert sorted(set(names) - set(dir(module))) == [], module


def test_functional_publishes_exactly_the_registered_functions():
    assert sorted(F.__all__) == sorted(registry.FUNCTIONS) == sorted(NF.__all__)
    assert set(F.__all__) == set(FUNCTIONAL_AT_BASE)  # the same list as before the registry


@pytest.mark.parametrize("name", sorted(registry.FUNCTIONS))
def test_every_registered_function_is_the_same_object_everywhere(name):
    function = registry.FUNCTIONS[name]
    assert getattr(F, name) is function and getattr(NF, name) is function
    assert getattr(tinydl, name) is function
    if name in registry.METHODS:
        assert getattr(Tensor, name) is function  # no wrapper: x.exp() calls exp itself
    elif name != "numel":  # Tensor.numel is the engine's own method
        assert not hasattr(Tensor, name), f"{name} is registered with method=False but Tensor has it"


def test_methods_and_functions_only_split_as_before():
    functions_only = {"adaptive_avg_pool1d", "adaptive_avg_pool2d", "avg_pool1d", "avg_pool2d", "batch_norm",
                      "binary_cross_entropy", "binary_cross_entropy_with_logits", "cast", "cat", "conv1d",
                      "conv2d", "cross_entropy", "dropout", "elu", "embedding", "gelu", "getitem",
                      "huber_loss", "is_tensor", "l1_loss", "layer_norm", "leaky_relu", "linear",
                      "logical_and", "logical_not", "logical_or", "logical_xor", "max_pool1d", "max_pool2d",
                      "meshgrid", "mse_loss", "nll_loss", "numel", "silu", "smooth_l1_loss", "softplus",
                      "stack", "to_device", "where"}
    assert set(registry.FUNCTIONS) - set(registry.METHODS) == functions_only


def test_aliases_are_the_same_function():
    assert F.clip is F.clamp and Tensor.clip is F.clamp
    assert F.arcsin is F.asin and F.arccos is F.acos and F.arctan is F.atan and F.fix is F.trunc
    assert tinydl.tensor([-2.0, 0.5, 3.0]).clip(-1, 1).tolist() == [-1.0, 0.5, 1.0]


def test_registering_registers_everywhere_and_returns_the_function_itself(monkeypatch):
    monkeypatch.setattr(registry, "FUNCTIONS", dict(registry.FUNCTIONS))  # the real tables stay as they are
    monkeypatch.setattr(registry, "METHODS", dict(registry.METHODS))

    def cube(x: Tensor) -> Tensor:
        return x * x * x

    def only_a_function(x: Tensor) -> Tensor:
        return x

    assert registry.public(cube) is cube
    assert registry.FUNCTIONS["cube"] is cube and registry.METHODS["cube"] is cube
    assert registry.public(method=False, aliases=("same_function",))(only_a_function) is only_a_function
    assert registry.FUNCTIONS["only_a_function"] is registry.FUNCTIONS["same_function"] is only_a_function
    assert "only_a_function" not in registry.METHODS and "same_function" not in registry.METHODS


def test_a_second_op_cannot_take_a_registered_name():
    def exp(x: Tensor) -> Tensor:  # another module's exp
        return x

    with pytest.raises(ValueError, match="'exp' is already registered by tinydl.ops.elementwise.exp"):
        registry.public(exp)
    assert registry.FUNCTIONS["exp"] is F.exp
