"""Public tests of assignment 3. Run them with: python -m tinydl.coursework grade DIR"""
import numpy

import tinydl
from tinydl.coursework import task
from tinydl.coursework.checks import as_numpy, expect_close, expect_dtype, expect_gradients, expect_shape

TITLE = "Softmax cross-entropy, fused and stable"
STUDENT_FILE = "cross_entropy.py"

TARGET = [0, 2, 1, 2]
# Logits of +-1e4: exp(1e4) overflows even float64 (its largest is about e^709).
HUGE = [[1e4, 0.0, -1e4], [-1e4, 1e4, 1e4], [5e3, -1e4, 1e4], [0.0, -1e4, 2e3]]


def reference_log_softmax(z):
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - numpy.log(numpy.exp(shifted).sum(axis=1, keepdims=True))


def reference_loss(z, target, reduction="mean"):
    losses = -reference_log_softmax(z)[numpy.arange(len(target)), target]
    return {"mean": losses.mean(), "sum": losses.sum(), "none": losses}[reduction]


def reference_grad(z, target, reduction="mean"):
    """d(loss)/d(logits) for grad_out = 1 (mean, sum) or ones (none): softmax - one_hot, / N for the mean."""
    grad = numpy.exp(reference_log_softmax(z))
    grad[numpy.arange(len(target)), target] -= 1
    return grad / len(target) if reduction == "mean" else grad


def logits(values=None, dtype=tinydl.float64, requires_grad=False):
    if values is None:
        values = numpy.random.default_rng(3).normal(size=(len(TARGET), 3)) * 2
    return tinydl.tensor(values, dtype=dtype, requires_grad=requires_grad)


def target():
    return tinydl.tensor(TARGET)


@task("3.1", points=2)
def test_log_softmax_values(student):
    z = logits()
    expect_close(student.log_softmax(z), reference_log_softmax(as_numpy(z)), "log_softmax(z)")
    expect_dtype(student.log_softmax(logits(dtype=tinydl.float32)), tinydl.float32, "log_softmax of float32")


@task("3.1")
def test_log_softmax_is_numerically_stable(student):
    expect_close(student.log_softmax(logits(HUGE)), reference_log_softmax(numpy.array(HUGE)),
                 "log_softmax at logits of +-1e4", rtol=1e-6)
    expect_close(student.log_softmax(logits(HUGE, tinydl.float32)), reference_log_softmax(numpy.array(HUGE)),
                 "log_softmax at float32 logits of +-1e4", rtol=1e-5, atol=1e-3)


def check_mean_loss(student, values, what):
    loss = student.SoftmaxCrossEntropy.apply(logits(values), target(), "mean")
    expected = reference_loss(numpy.array(as_numpy(logits(values))), TARGET)
    expect_shape(loss, (), what)
    got = float(as_numpy(loss))
    if numpy.isfinite(got) and abs(got - len(TARGET) * expected) < 1e-6 * abs(expected) + 1e-9:
        raise AssertionError(f"{what} is {got:.6g}, N = {len(TARGET)} times the expected {expected:.6g}: "
                             "the losses are summed, not averaged (PyTorch's default reduction='mean' "
                             "divides by the batch size N)")
    expect_close(loss, expected, what, rtol=1e-6)


@task("3.2", points=2)
def test_forward_mean_loss(student):
    check_mean_loss(student, None, "SoftmaxCrossEntropy.apply(logits, target, 'mean')")
    loss32 = student.SoftmaxCrossEntropy.apply(logits(dtype=tinydl.float32), target(), "mean")
    expect_dtype(loss32, tinydl.float32, "the loss of float32 logits")


@task("3.2")
def test_forward_is_numerically_stable(student):
    check_mean_loss(student, HUGE, "the loss at logits of +-1e4")


@task("3.3", points=3)
def test_backward_gradcheck(student):
    expect_gradients(lambda z: student.SoftmaxCrossEntropy.apply(z, target(), "mean"),
                     [logits(requires_grad=True)], "SoftmaxCrossEntropy.backward")


@task("3.3")
def test_backward_values_and_stability(student):
    for values, what in ((None, "dL/dlogits"), (HUGE, "dL/dlogits at logits of +-1e4")):
        z = logits(values, requires_grad=True)
        student.SoftmaxCrossEntropy.apply(z, target(), "mean").backward()
        expect_close(z.grad, reference_grad(numpy.array(as_numpy(z)), TARGET), what)
    z32 = logits(dtype=tinydl.float32, requires_grad=True)
    student.SoftmaxCrossEntropy.apply(z32, target(), "mean").backward()
    expect_dtype(z32.grad, tinydl.float32, "dL/dlogits of float32 logits")


@task("3.4", points=2)
def test_reduction_sum_and_none(student):
    z = logits()
    for reduction, shape in (("sum", ()), ("none", (len(TARGET),))):
        what = f"cross_entropy(logits, target, reduction={reduction!r})"
        loss = student.cross_entropy(z, target(), reduction)
        expect_shape(loss, shape, what)
        expect_close(loss, reference_loss(as_numpy(z), TARGET, reduction), what, rtol=1e-6)


@task("3.4")
def test_reduction_backward(student):
    for reduction in ("sum", "none"):
        z = logits(requires_grad=True)
        expect_gradients(lambda z: student.cross_entropy(z, target(), reduction), [z],
                         f"backward with reduction={reduction!r}")
        student.cross_entropy(z, target(), reduction).sum().backward()
        expect_close(z.grad, reference_grad(as_numpy(z), TARGET, reduction), f"dL/dlogits, reduction={reduction!r}")
