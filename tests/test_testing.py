"""tinydl.testing: assert_close against crafted values, and the layer checks against planted bugs.

Each planted bug is one a student makes (a sign error, a transposed dW, a bias
gradient not summed over the batch, a float64 constant, a dropout that ignores
eval(), a running mean kept outside state_dict): the check that must catch it
fails, with the diagnosis in the message, and the correct version passes.
"""
from __future__ import annotations

import numpy as np
import pytest

import tinydl
from tinydl import nn
from tinydl.testing import (CheckResult, LayerCheckError, LayerCheckReport, assert_close, check_function,
                            check_module, default_tolerances)

from conftest import CUDA_KIND


# ----------------------------------------------------------------------------- assert_close
def test_assert_close_passes_within_the_default_float32_tolerance() -> None:
    actual = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    assert_close(tinydl.tensor(actual), actual + np.float32(5e-6))  # |diff| <= 1e-5 + 1.3e-6 |expected|
    with pytest.raises(AssertionError, match="not close"):
        assert_close(tinydl.tensor(actual), actual + np.float32(3e-5))


def test_assert_close_float64_defaults_are_tighter() -> None:
    assert default_tolerances(tinydl.float64) == (1e-7, 1e-7)
    assert default_tolerances(tinydl.float32) == (1.3e-6, 1e-5)
    assert default_tolerances(tinydl.float16) == (1e-3, 1e-5)
    assert default_tolerances(tinydl.int64) == (0.0, 0.0)
    assert_close(tinydl.tensor([1.0], dtype=tinydl.float64), np.array([1.0 + 5e-8]))
    with pytest.raises(AssertionError):
        assert_close(tinydl.tensor([1.0], dtype=tinydl.float64), np.array([1.0 + 5e-6]))


def test_assert_close_names_the_worst_element_and_its_values() -> None:
    actual = tinydl.tensor([[1.0, 2.0], [3.0, 4.0]])
    expected = tinydl.tensor([[1.0, 2.1], [3.0, 5.0]])
    with pytest.raises(AssertionError) as caught:
        assert_close(actual, expected)
    message = str(caught.value)
    assert message.startswith("Tensor-likes are not close!")
    assert "Mismatched elements: 2 / 4 (50.0%)" in message
    assert ("Greatest absolute difference: 1.0 at index (1, 1), actual 4.0 vs expected 5.0 "
            "(up to 1e-05 allowed)") in message
    assert "Greatest relative difference: 0.2 at index (1, 1), actual 4.0 vs expected 5.0 (up to 1.3e-06 " \
        "allowed)" in message


def test_assert_close_relative_worst_can_be_another_element() -> None:
    actual = np.array([0.0, 1000.0])
    with pytest.raises(AssertionError) as caught:
        assert_close(actual, np.array([0.5, 1010.0]))
    message = str(caught.value)
    assert "Greatest absolute difference: 10.0 at index (1,), actual 1000.0 vs expected 1010.0" in message
    assert "Greatest relative difference: 1.0 at index (0,), actual 0.0 vs expected 0.5" in message


def test_assert_close_integers_must_be_equal() -> None:
    with pytest.raises(AssertionError) as caught:
        assert_close(tinydl.tensor([1, 2]), tinydl.tensor([1, 3]))
    assert str(caught.value).startswith("Tensor-likes are not equal!")
    assert "Greatest absolute difference: 1 at index (1,), actual 2 vs expected 3\n" in str(caught.value)


def test_assert_close_shape_and_dtype_mismatches() -> None:
    with pytest.raises(AssertionError, match=r"attribute 'shape' do not match: tinydl.Size\(\[2, 3\]\) != "
                                             r"tinydl.Size\(\[3, 2\]\)"):
        assert_close(tinydl.zeros(2, 3), tinydl.zeros(3, 2))
    with pytest.raises(AssertionError,
                       match="attribute 'dtype' do not match: tinydl.float32 != tinydl.float64"):
        assert_close(tinydl.zeros(2), np.zeros(2))
    assert_close(tinydl.zeros(2), np.zeros(2), check_dtype=False)
    # With different dtypes, the looser tolerance (float32's) applies.
    assert_close(tinydl.ones(2), np.ones(2) + 5e-6, check_dtype=False)


def test_assert_close_nan_inf_and_scalars() -> None:
    nan = tinydl.tensor([1.0, float("nan")])
    with pytest.raises(AssertionError, match="Greatest absolute difference: nan at index \\(1,\\)"):
        assert_close(nan, nan)
    assert_close(nan, nan, equal_nan=True)
    assert_close(tinydl.tensor([float("inf")]), tinydl.tensor([float("inf")]))
    with pytest.raises(AssertionError):  # an infinity is close only to itself, whatever the tolerance
        assert_close(tinydl.tensor([float("inf")]), tinydl.tensor([float("-inf")]), rtol=1.0, atol=1.0)
    with pytest.raises(AssertionError, match="Scalars are not close!\n\nExpected 1.1 but got 1.0."):
        assert_close(1.0, 1.1)
    with pytest.raises(AssertionError, match=r"The \(d\)types do not match"):
        assert_close(1, 1.0)
    assert_close(1, 1.0, check_dtype=False)


def test_assert_close_containers_say_which_item() -> None:
    with pytest.raises(AssertionError, match=r"The failure occurred for item \[1\]\['b'\]"):
        assert_close([tinydl.ones(2), {"b": tinydl.ones(1)}], [tinydl.ones(2), {"b": tinydl.zeros(1)}])
    with pytest.raises(AssertionError, match="The length of the sequences mismatch: 1 != 2"):
        assert_close([1.0], (1.0, 2.0))
    with pytest.raises(AssertionError, match=r"Missing keys in the actual mapping: \['b'\]"):
        assert_close({"a": 1.0}, {"a": 1.0, "b": 2.0})


def test_assert_close_arguments() -> None:
    with pytest.raises(ValueError, match="Both 'rtol' and 'atol'"):
        assert_close(tinydl.ones(1), tinydl.ones(1), rtol=0.1)
    assert_close(tinydl.ones(1), tinydl.ones(1) * 1.05, rtol=0.1, atol=0.0)
    with pytest.raises(AssertionError, match="^my message$"):
        assert_close(tinydl.ones(1), tinydl.zeros(1), msg="my message")
    with pytest.raises(AssertionError, match="^layer 3: Tensor-likes"):
        assert_close(tinydl.ones(1), tinydl.zeros(1), msg=lambda text: "layer 3: " + text)
    with pytest.raises(TypeError, match="No comparison pair"):
        assert_close(tinydl.ones(2), [1.0, 1.0])


# ----------------------------------------------------------------------------- planted bugs
class Square(tinydl.autograd.Function):
    """x^2, with backward's sign chosen by the class attribute ``sign`` (-1: the planted bug)."""

    sign = 1.0

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @classmethod
    def backward(cls, ctx, grad_out):
        (x,) = ctx.saved_tensors
        return cls.sign * 2 * x * grad_out


class SquareWithSignError(Square):
    sign = -1.0


class LinearFunction(tinydl.autograd.Function):
    """y = x W^T + b, written by hand; ``bug`` plants one mistake in backward."""

    bug = None

    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        return x @ weight.T + bias

    @classmethod
    def backward(cls, ctx, grad_out):
        x, weight = ctx.saved_tensors
        grad_weight = grad_out.T @ x                  # (out, N) @ (N, in) -> (out, in)
        grad_bias = grad_out.sum(0)                   # (N, out) -> (out,)
        if cls.bug == "transposed":
            grad_weight = grad_weight.T
        if cls.bug == "unsummed bias":
            grad_bias = grad_out
        if cls.bug == "float64 gradient":
            grad_weight = grad_weight.double()
        return grad_out @ weight, grad_weight, grad_bias


class TransposedWeightGradient(LinearFunction):
    bug = "transposed"


class UnsummedBiasGradient(LinearFunction):
    bug = "unsummed bias"


class Float64WeightGradient(LinearFunction):
    bug = "float64 gradient"


class MyLinear(nn.Module):
    """A square Linear layer (3 -> 3, so that a transposed dW still has the right shape)."""

    def __init__(self, function: type = LinearFunction) -> None:
        super().__init__()
        self.function = function
        self.weight = nn.Parameter(tinydl.randn(3, 3) * 0.5)
        self.bias = nn.Parameter(tinydl.randn(3) * 0.5)

    def forward(self, x):
        return self.function.apply(x, self.weight, self.bias)


def failures(report: LayerCheckReport) -> list[str]:
    return [result.key for result in report.failures]


def failing_report(check, *args, **kwargs) -> LayerCheckReport:
    with pytest.raises(LayerCheckError) as caught:
        check(*args, quiet=True, **kwargs)
    return caught.value.report


def test_a_correct_function_passes_and_the_report_is_a_truthy_list(capsys: pytest.CaptureFixture) -> None:
    report = check_function(Square, tinydl.randn(4, 3), reference=lambda x: x * x)
    assert report and isinstance(report, list) and all(isinstance(r, CheckResult) for r in report)
    assert [r.key for r in report] == ["forward", "gradcheck", "float32", "warnings", "cuda", "reference"]
    printed = capsys.readouterr().out
    assert printed.startswith("check_function(Square, input (4, 3) float32)\n")
    assert "  gradcheck float64 (x) ...." in printed and "FAIL" not in printed
    assert printed.splitlines()[-1].startswith("all ") and "checks passed" in printed


def test_quiet_prints_nothing(capsys: pytest.CaptureFixture) -> None:
    check_function(Square, tinydl.randn(2, 2), quiet=True)
    assert capsys.readouterr().out == ""


def test_sign_error_fails_gradcheck_with_its_diagnosis(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(LayerCheckError) as caught:
        check_function(SquareWithSignError, tinydl.randn(4, 3))
    assert failures(caught.value.report) == ["gradcheck"]
    assert "sign flipped" in str(caught.value)
    assert "gradcheck float64 (x)" in capsys.readouterr().out  # printed before raising
    assert isinstance(caught.value, AssertionError)


def test_a_correct_module_passes_every_check() -> None:
    report = check_module(MyLinear(), (4, 3), quiet=True)
    assert [r.status for r in report["gradcheck"]] == ["PASS"]
    assert "gradcheck float64, train() (x, weight, bias)" == report["gradcheck"][0].name
    passed = {r.key for r in report if r.status == "PASS"}
    assert passed >= {"forward", "gradcheck", "float32", "batch", "modes", "warnings", "state_dict"}


def test_transposed_weight_gradient_is_diagnosed() -> None:
    report = failing_report(check_module, MyLinear(TransposedWeightGradient), (4, 3))
    assert failures(report) == ["gradcheck"]
    assert "transposed" in report["gradcheck"][0].details
    assert "weight" in report["gradcheck"][0].details


def test_unsummed_bias_gradient_is_caught_by_strict_mode() -> None:
    report = failing_report(check_module, MyLinear(UnsummedBiasGradient), (4, 3))
    assert failures(report) == ["gradcheck"]
    details = report["gradcheck"][0].details
    assert "bias" in details and "(4, 3)" in details and "(3,)" in details


def test_a_float64_gradient_from_backward_is_caught_in_float32() -> None:
    report = failing_report(check_module, MyLinear(Float64WeightGradient), (4, 3))
    assert failures(report) == ["float32"]
    assert "dtype float64" in report["float32"][0].details and "weight" in report["float32"][0].details


class LeaksFloat64(nn.Module):
    """Scales by a NumPy float64 array: float32 inputs come out float64."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = np.linspace(0.5, 1.5, 3)  # float64, and not a buffer

    def forward(self, x):
        return x * tinydl.from_numpy(self.scale)


def test_a_forward_that_leaks_float64_fails_the_float32_check() -> None:
    # (skip cuda: the CPU array fails there too)
    report = failing_report(check_module, LeaksFloat64(), (4, 3), skip=["cuda"])
    assert failures(report) == ["float32"]
    details = report["float32"][0].details
    assert "output 0 is float64; float64 first appears in Cast, whose result goes into Mul" in details
    assert "the gradient of x is float64" not in details  # the engine casts x's gradient back


class AlwaysDrops(nn.Module):
    """A dropout that forgets to look at self.training."""

    def forward(self, x):
        return tinydl.nn.functional.dropout(x, 0.5, training=True)


def test_a_module_that_ignores_eval_fails_the_mode_check() -> None:
    report = failing_report(check_module, AlwaysDrops(), (4, 3))
    assert "modes" in failures(report)  # (and the batch check in eval(): the samples get other masks)
    assert "forward is random in eval() mode" in report["modes"][0].details
    assert check_module(nn.Dropout(0.5), (4, 3), quiet=True, mode_dependent=True)


class RunningMean(nn.Module):
    """Centres by a running mean of the batches seen in train(), as BatchNorm does.

    ``register=False`` plants the bug: the running mean is a plain attribute, so
    state_dict misses it.
    """

    def __init__(self, register: bool = True, update_in_eval: bool = False) -> None:
        super().__init__()
        self.update_in_eval = update_in_eval
        if register:
            self.register_buffer("running_mean", tinydl.zeros(3))
        else:
            self.running_mean = tinydl.zeros(3)

    def forward(self, x):
        if self.training or self.update_in_eval:
            with tinydl.no_grad():
                self.running_mean.array[...] = 0.5 * self.running_mean.array + 0.5 * x.array.mean(0)
                self.running_mean._bump_version()
        if self.training:
            return x - x.mean(0)
        return x - self.running_mean


def test_a_running_mean_outside_state_dict_fails_the_round_trip() -> None:
    assert check_module(RunningMean(), (4, 3), quiet=True)
    report = failing_report(check_module, RunningMean(register=False), (4, 3))
    assert "state_dict" in failures(report)  # (and cuda, where available: to() does not move the attribute)
    details = report["state_dict"][0].details
    assert "running_mean is a Tensor attribute, not in state_dict" in details
    assert "self.register_buffer('running_mean', tensor)" in details


def test_a_buffer_that_changes_in_eval_fails_the_mode_check() -> None:
    report = failing_report(check_module, RunningMean(update_in_eval=True), (4, 3))
    assert "an eval() forward changed running_mean" in report["modes"][0].details


class MixesTheBatch(nn.Module):
    """Subtracts the batch mean in every mode: a sample's output depends on the others."""

    def forward(self, x):
        return x - x.mean(0)


def test_a_layer_that_mixes_the_batch_fails_the_batch_check() -> None:
    report = failing_report(check_module, MixesTheBatch(), (4, 3))
    assert failures(report) == ["batch", "batch"]
    assert "sample 0 alone differs from row 0 of the batch" in report["batch"][0].note
    assert "batch_statistics=True" in report["batch"][1].details
    # Saying it uses batch statistics excuses train(), never eval().
    report = failing_report(check_module, MixesTheBatch(), (4, 3), batch_statistics=True)
    assert [r.status for r in report["batch"]] == ["FAIL", "SKIP"]


class DropsTheBatchDimension(nn.Module):
    def forward(self, x):
        return x[0] * 2 if x.shape[0] > 1 else x * 2


def test_an_output_shape_that_changes_beyond_dim_0_fails() -> None:
    report = failing_report(check_module, DropsTheBatchDimension(), (4, 3), skip=["state_dict"])
    assert "shape (1, 3) at batch size 1, (3,) at batch size 4" in report["batch"][0].details


class LogOfInput(tinydl.Function):
    """log(x) with raw arrays and no guard: NumPy warns on negative inputs."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        xp = tinydl.backend.get_array_module(x)
        return xp.log(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        return grad_out / x


def test_numpy_warnings_escaping_forward_fail() -> None:
    assert check_function(LogOfInput, tinydl.rand(3, 2) + 0.5, quiet=True)
    report = failing_report(check_function, LogOfInput, -tinydl.rand(3, 2) - 0.5, skip=["gradcheck", "cuda"])
    assert failures(report) == ["warnings"]
    assert "RuntimeWarning: invalid value encountered in log" in report["warnings"][0].details


def test_reference_compares_forward_and_gradients() -> None:
    report = check_module(MyLinear(), (4, 3), reference=nn.Linear(3, 3), quiet=True)
    assert report["reference"][0].note == "forward and backward"
    report = failing_report(check_module, MyLinear(TransposedWeightGradient), (4, 3),
                            reference=nn.Linear(3, 3), skip=["gradcheck"])
    assert failures(report) == ["reference"]
    assert "the gradient of weight differs" in report["reference"][0].details
    report = failing_report(check_function, Square, tinydl.randn(3), reference=lambda x: x * x * x)
    assert "output 0 differs" in report["reference"][0].details


def test_a_reference_returning_arrays_compares_values_only() -> None:
    report = check_function(Square, tinydl.randn(3), reference=lambda x: np.square(x.detach().numpy()),
                            quiet=True)
    assert report["reference"][0].note == "forward only (the reference returned arrays)"


def test_a_failing_forward_skips_the_rest() -> None:
    report = failing_report(check_module, nn.Linear(3, 2), (4, 5))
    assert report[0].key == "forward" and report[0].status == "FAIL"
    assert "expected input with 3 features" in report[0].details
    assert {r.status for r in report[1:]} == {"SKIP"}


def test_the_checks_change_nothing_outside() -> None:
    layer = nn.BatchNorm1d(3)
    layer.eval()
    before = {name: value.array.copy() for name, value in layer.state_dict().items()}
    tinydl.manual_seed(5)
    check_module(layer, (4, 3), quiet=True, skip=["state_dict"])
    drawn_after = tinydl.randn(3).numpy()
    tinydl.manual_seed(5)
    assert np.array_equal(drawn_after, tinydl.randn(3).numpy())  # the global random stream is untouched
    assert not layer.training
    for name, value in layer.state_dict().items():
        assert np.array_equal(value.array, before[name])


def test_the_report_has_one_line_per_check() -> None:
    report = check_module(nn.Identity(), (2, 3), quiet=True)
    lines = str(report).splitlines()
    assert lines[0] == "check_module(Identity(), input (2, 3) float32)"
    assert len(lines) == len(report) + 2 and lines[-1].startswith("all ")
    assert len({line.index(" PASS") for line in lines if " PASS" in line}) == 1  # the statuses line up


def test_integer_inputs_are_not_differentiated() -> None:
    logits, classes = tinydl.randn(4, 3), tinydl.tensor([0, 2, 1, 2])
    report = check_module(nn.CrossEntropyLoss(), (logits, classes), quiet=True)
    assert report["gradcheck"][0].name == "gradcheck float64, train() (input)"


def test_mode_dependence_can_be_demanded() -> None:
    report = failing_report(check_module, nn.Dropout(0.5), (4, 3), mode_dependent=False)
    assert "mode_dependent=False was given, but the output differs" in report["modes"][0].details
    report = failing_report(check_module, nn.Tanh(), (4, 3), mode_dependent=True)
    assert "does not differ" in report["modes"][0].details


def test_a_gradient_that_is_zero_everywhere_is_reported() -> None:
    # A bias before BatchNorm has no effect on the output: its gradient is 0, which proves nothing.
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    report = check_module(model, (5, 3), quiet=True, skip=["state_dict"])
    train_check = report["gradcheck"][0]
    assert train_check.status == "PASS" and "proves little" in train_check.note
    assert "0.bias" in train_check.details


def test_gradients_left_in_the_module_do_not_count() -> None:
    layer = MyLinear()
    layer(tinydl.randn(2, 3)).sum().backward()
    left = layer.weight.grad.numpy().copy()
    assert check_module(layer, (4, 3), reference=nn.Linear(3, 3), quiet=True, skip=["gradcheck"])
    assert np.array_equal(layer.weight.grad.numpy(), left)


def test_skip_and_factories() -> None:
    report = check_module(MyLinear, (4, 3), quiet=True, skip=["cuda", "warnings"])
    assert [r.status for r in report["cuda"] + report["warnings"]] == ["SKIP", "SKIP"]
    with pytest.raises(ValueError, match="unknown check"):
        check_module(MyLinear, (4, 3), quiet=True, skip=["gradchek"])
    with pytest.raises(TypeError, match="not a Module"):
        check_module(lambda: 3, (4, 3))


@pytest.mark.skipif(CUDA_KIND == "skip", reason="no cuda, real or stand-in")
def test_cuda_check_runs_and_catches_numpy_only_code() -> None:
    assert check_function(Square, tinydl.randn(3), quiet=True)["cuda"][0].status == "PASS"

    class NumpyOnly(tinydl.Function):
        @staticmethod
        def forward(ctx, x):
            return np.asarray(x) * 2  # numpy, not the input's array module: fails on a GPU array

        @staticmethod
        def backward(ctx, grad_out):
            return grad_out

    report = failing_report(check_function, NumpyOnly, tinydl.randn(3), skip=["gradcheck"])
    assert failures(report) == ["cuda"]
