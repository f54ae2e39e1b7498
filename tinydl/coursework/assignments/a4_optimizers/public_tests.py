"""Public tests of assignment 4: each optimizer's trajectory, step by step, against NumPy by hand.

Every test runs a few steps of your optimizer on the quadratic

    L(p) = sum(0.5 * A * p^2 + B * p),   so   dL/dp = A * p + B,

records p after each step, and compares it with the same steps computed in
NumPy from the formulas in statement.md. When your trajectory matches a known
mistake instead (no bias correction, momentum on the step, ...), the message
names that mistake.
"""
from __future__ import annotations

import numpy as np

import tinydl
from tinydl.coursework import task

TITLE = "Optimizers: SGD with momentum and Adam"
STUDENT_FILE = "optimizers.py"

A = np.array([1.0, 2.0, 0.5, 3.0])     # curvature of each coordinate
B = np.array([0.3, -0.2, 0.1, -0.5])
P0 = np.array([1.0, -2.0, 0.5, 3.0])   # starting point


def quadratic_grad(p: np.ndarray) -> np.ndarray:
    return A * p + B


def run_optimizer(make_optimizer, steps: int, lrs: list[float] | None = None,
                  dtype=tinydl.float64) -> tuple[list[np.ndarray], object, tinydl.Tensor]:
    """p after each of ``steps`` steps of ``make_optimizer([p])`` (lrs[k]: the lr set before step k)."""
    p = tinydl.tensor(P0, dtype=dtype, requires_grad=True)
    optimizer = make_optimizer([p])
    trajectory = []
    for k in range(steps):
        if lrs is not None:
            optimizer.param_groups[0]["lr"] = lrs[k]   # as a learning-rate scheduler does
        optimizer.zero_grad()
        loss = (0.5 * tinydl.tensor(A, dtype=dtype) * p * p + tinydl.tensor(B, dtype=dtype) * p).sum()
        loss.backward()
        optimizer.step()
        assert isinstance(p, tinydl.Tensor) and p.is_leaf and p.requires_grad, (
            "after step() the parameter must still be a leaf that requires grad: update it in place "
            "under tinydl.no_grad() (p -= ...), never p = p - ...")
        trajectory.append(p.detach().numpy().astype(np.float64))
    return trajectory, optimizer, p


def sgd_by_hand(steps: int, lrs: list[float], momentum: float = 0.0, dampening: float = 0.0,
                weight_decay: float = 0.0, nesterov: bool = False, mistake: str = "") -> list[np.ndarray]:
    """PyTorch's SGD in NumPy; ``mistake`` computes a known wrong variant instead (for the diagnosis)."""
    p, buffer, trajectory = P0.copy(), None, []
    for k in range(steps):
        grad = quadratic_grad(p) + weight_decay * p
        if mistake == "momentum on the step":   # b = momentum * b + lr * g; p = p - b
            buffer = lrs[k] * grad if buffer is None else momentum * buffer + lrs[k] * grad
            p = p - buffer
        else:
            if momentum:
                if buffer is None:
                    buffer = (1 - dampening) * grad if mistake == "dampened first step" else grad.copy()
                else:
                    buffer = momentum * buffer + (1 - dampening) * grad
                grad = grad + momentum * buffer if nesterov else buffer
            p = p - lrs[k] * grad
        trajectory.append(p)
    return trajectory


def adam_by_hand(steps: int, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, mistake: str = "") -> list[np.ndarray]:
    """PyTorch's Adam in NumPy; ``mistake`` computes a known wrong variant instead."""
    beta1, beta2 = betas
    p, m, v, trajectory = P0.copy(), np.zeros_like(P0), np.zeros_like(P0), []
    for t in range(1, steps + 1):
        grad = quadratic_grad(p) + weight_decay * p
        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * grad * grad
        if mistake == "no bias correction":
            m_hat, v_hat = m, v
        else:
            m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
        if mistake == "eps inside the square root":
            p = p - lr * m_hat / np.sqrt(v_hat + eps)
        else:
            p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
        trajectory.append(p)
    return trajectory


def assert_same_trajectory(name: str, got: list[np.ndarray], expected: list[np.ndarray],
                           known_mistakes: dict[str, tuple[list[np.ndarray], str]] | None = None,
                           rtol: float = 1e-7, atol: float = 1e-9) -> None:
    """Fail at the first step where p differs, naming a known mistake when the whole run matches one."""
    for k, (p_got, p_expected) in enumerate(zip(got, expected)):
        if not np.allclose(p_got, p_expected, rtol=rtol, atol=atol):
            for mistake, (wrong, hint) in (known_mistakes or {}).items():
                if all(np.allclose(g, w, rtol=rtol, atol=atol) for g, w in zip(got, wrong)):
                    raise AssertionError(f"{name}: your steps match {mistake}: {hint}")
            raise AssertionError(
                f"{name}: after step {k + 1}, p = {np.array2string(p_got, precision=6)}, expected "
                f"{np.array2string(p_expected, precision=6)}"
                + (f" (the {k} steps before were right)" if k else "")
                + "; compare your update with statement.md")


# ------------------------------------------------------------------ Task 4.1: plain SGD
@task("4.1", points=2)
def test_sgd_steps(student) -> None:
    """p <- p - lr * g, three steps."""
    got, _, _ = run_optimizer(lambda params: student.SGD(params, lr=0.1), 3)
    expected = sgd_by_hand(3, [0.1] * 3)
    uphill = [P0 + (P0 - e) for e in expected[:1]]
    assert_same_trajectory("SGD(lr=0.1)", got, expected, {
        "a step uphill": (uphill, "the step must be p - lr * g (minus: gradients point uphill)")})


@task("4.1")
def test_sgd_weight_decay(student) -> None:
    """weight_decay adds weight_decay * p to the gradient (the gradient of an L2 penalty)."""
    got, _, _ = run_optimizer(lambda params: student.SGD(params, lr=0.1, weight_decay=0.05), 3)
    expected = sgd_by_hand(3, [0.1] * 3, weight_decay=0.05)
    assert_same_trajectory("SGD(lr=0.1, weight_decay=0.05)", got, expected, {
        "SGD without weight decay": (sgd_by_hand(3, [0.1] * 3),
                                     "add weight_decay * p to the gradient before the step"),
        "weight decay with the wrong sign": (sgd_by_hand(3, [0.1] * 3, weight_decay=-0.05),
                                             "the gradient is g + weight_decay * p, plus")})


@task("4.1")
def test_sgd_keeps_dtype_and_skips_missing_grads(student) -> None:
    """float32 parameters stay float32; a parameter without .grad is not touched."""
    got, _, p = run_optimizer(lambda params: student.SGD(params, lr=0.1), 2, dtype=tinydl.float32)
    assert p.dtype == tinydl.float32, f"SGD turned a float32 parameter into {p.dtype}"
    np.testing.assert_allclose(got[-1], sgd_by_hand(2, [0.1] * 2)[-1], rtol=1e-5,
                               err_msg="SGD on a float32 parameter")
    unused = tinydl.nn.Parameter(tinydl.ones(3))
    optimizer = student.SGD([unused], lr=0.1, momentum=0.9)
    optimizer.step()   # unused.grad is None: PyTorch skips such parameters
    assert np.array_equal(unused.detach().numpy(), np.ones(3)), (
        "SGD.step() changed a parameter whose .grad is None: skip parameters without a gradient")


# ------------------------------------------------------------------ Task 4.2: momentum
@task("4.2", points=4)
def test_sgd_momentum(student) -> None:
    """b <- momentum * b + g; p <- p - lr * b, with the lr changed halfway (as a scheduler would)."""
    lrs = [0.1, 0.1, 0.05, 0.05]
    got, optimizer, p = run_optimizer(lambda params: student.SGD(params, lr=0.1, momentum=0.9), 4, lrs)
    expected = sgd_by_hand(4, lrs, momentum=0.9)
    assert_same_trajectory("SGD(lr, momentum=0.9)", got, expected, {
        "momentum applied to the step (b = momentum * b + lr * g; p -= b)": (
            sgd_by_hand(4, lrs, momentum=0.9, mistake="momentum on the step"),
            "PyTorch's momentum buffer accumulates gradients, not lr-scaled steps: b = momentum * b + g, "
            "then p -= lr * b (the two agree only while lr is constant)"),
        "SGD without momentum": (sgd_by_hand(4, lrs), "keep a momentum buffer per parameter")})
    buffer = optimizer.state.get(p, {}).get("momentum_buffer")
    assert buffer is not None, ("keep the momentum buffer in self.state[p]['momentum_buffer'] "
                                "(PyTorch's name: it is saved with state_dict())")


@task("4.2")
def test_sgd_dampening(student) -> None:
    """b <- momentum * b + (1 - dampening) * g, but the first step sets b = g (no dampening)."""
    got, _, _ = run_optimizer(lambda params: student.SGD(params, lr=0.1, momentum=0.5, dampening=0.5), 3)
    expected = sgd_by_hand(3, [0.1] * 3, momentum=0.5, dampening=0.5)
    assert_same_trajectory("SGD(momentum=0.5, dampening=0.5)", got, expected, {
        "dampening applied on the first step": (
            sgd_by_hand(3, [0.1] * 3, momentum=0.5, dampening=0.5, mistake="dampened first step"),
            "on the first step the momentum buffer is the gradient itself (b = g), without dampening"),
        "SGD that ignores dampening": (sgd_by_hand(3, [0.1] * 3, momentum=0.5),
                                       "later steps add (1 - dampening) * g to momentum * b")})


@task("4.2")
def test_sgd_nesterov(student) -> None:
    """Nesterov: the step uses g + momentum * b instead of b."""
    got, _, _ = run_optimizer(lambda params: student.SGD(params, lr=0.1, momentum=0.9, nesterov=True), 3)
    expected = sgd_by_hand(3, [0.1] * 3, momentum=0.9, nesterov=True)
    assert_same_trajectory("SGD(momentum=0.9, nesterov=True)", got, expected, {
        "SGD with plain momentum": (sgd_by_hand(3, [0.1] * 3, momentum=0.9),
                                    "with nesterov=True the step is lr * (g + momentum * b)")})


# ------------------------------------------------------------------ Task 4.3: Adam
BIAS_CORRECTION = ("m and v start at 0, so early averages are too small: divide m by (1 - beta1^t) and "
                   "v by (1 - beta2^t) (bias correction), t = 1 at the first step")


@task("4.3", points=4)
def test_adam_defaults(student) -> None:
    """PyTorch's defaults: lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0."""
    optimizer = student.Adam([tinydl.nn.Parameter(tinydl.zeros(2))])
    group = optimizer.param_groups[0]
    for name, value in dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0).items():
        assert name in group and group[name] == value, (
            f"Adam's default {name} must be {value} (PyTorch's), got {group.get(name, 'nothing')}")
    got, _, _ = run_optimizer(student.Adam, 3)
    assert_same_trajectory("Adam() with its defaults", got, adam_by_hand(3), {
        "Adam without bias correction": (adam_by_hand(3, mistake="no bias correction"), BIAS_CORRECTION)})


@task("4.3")
def test_adam_steps(student) -> None:
    """Five steps of m, v, bias correction and the update; the state holds step, exp_avg, exp_avg_sq."""
    got, optimizer, p = run_optimizer(lambda params: student.Adam(params, lr=0.1, betas=(0.8, 0.9)), 5)
    expected = adam_by_hand(5, lr=0.1, betas=(0.8, 0.9))
    assert_same_trajectory("Adam(lr=0.1, betas=(0.8, 0.9))", got, expected, {
        "Adam without bias correction": (
            adam_by_hand(5, lr=0.1, betas=(0.8, 0.9), mistake="no bias correction"), BIAS_CORRECTION),
        "eps inside the square root": (
            adam_by_hand(5, lr=0.1, betas=(0.8, 0.9), mistake="eps inside the square root"),
            "eps is added after the square root: m_hat / (sqrt(v_hat) + eps)")}, rtol=1e-6)
    state = optimizer.state.get(p, {})
    for key in ("step", "exp_avg", "exp_avg_sq"):
        assert key in state, f"keep Adam's {key} in self.state[p]['{key}'] (PyTorch's names)"
    assert state["step"] == 5, f"state['step'] must count the steps taken (5), got {state['step']}"


@task("4.3")
def test_adam_weight_decay(student) -> None:
    """Adam's weight_decay is L2 in the gradient: g <- g + weight_decay * p, before m and v."""
    got, _, _ = run_optimizer(lambda params: student.Adam(params, lr=0.1, weight_decay=0.1), 3)
    assert_same_trajectory("Adam(lr=0.1, weight_decay=0.1)", got, adam_by_hand(3, lr=0.1, weight_decay=0.1),
                           {"Adam without weight decay": (adam_by_hand(3, lr=0.1),
                                                          "add weight_decay * p to the gradient first"),
                            "Adam without bias correction": (
                                adam_by_hand(3, lr=0.1, weight_decay=0.1, mistake="no bias correction"),
                                BIAS_CORRECTION)},
                           rtol=1e-6)


def fits_a_line(name: str, make_optimizer) -> None:
    """Fit y = 3x - 1 with tinydl.nn.Linear in 150 steps of ``make_optimizer(model.parameters())``."""
    x = np.linspace(-1, 1, 32).reshape(-1, 1)
    inputs, targets = tinydl.tensor(x), tinydl.tensor(3 * x - 1)
    model = tinydl.nn.Linear(1, 1).double()
    optimizer = make_optimizer(model.parameters())
    for _ in range(150):
        optimizer.zero_grad()
        loss = ((model(inputs) - targets) ** 2).mean()
        loss.backward()
        optimizer.step()
    assert loss.item() < 1e-3, (f"{name} did not fit y = 3x - 1 in 150 steps: "
                                f"mean squared error {loss.item():.3g}")


@task("4.2")
def test_sgd_momentum_fits_a_line(student) -> None:
    fits_a_line("SGD(lr=0.1, momentum=0.9)", lambda params: student.SGD(params, lr=0.1, momentum=0.9))


@task("4.3")
def test_adam_fits_a_line(student) -> None:
    fits_a_line("Adam(lr=0.1)", lambda params: student.Adam(params, lr=0.1))
