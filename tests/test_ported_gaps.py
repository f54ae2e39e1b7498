"""What the last ported programs (tests/ported/) stopped on: meshgrid, RMSprop, max(a, b) /
min(a, b) with a tensor second argument, and a ``range`` as an index. Each behaves as PyTorch's;
expected values are written by hand or computed with NumPy."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinydl
import tinydl.optim as optim
from helpers import broadcast_pairs, host, leaf, seeds, values
from test_optim_parity import GRADS, run  # run: p = [1, -2] stepped with GRADS, p after each step


# ------------------------------------------------------------------ meshgrid
def test_meshgrid_ij_by_hand():
    x, y = tinydl.tensor([1, 2, 3]), tinydl.tensor([4, 5])
    grid_x, grid_y = tinydl.meshgrid(x, y, indexing="ij")
    assert grid_x.tolist() == [[1, 1], [2, 2], [3, 3]]  # G_0[i, j] = x[i]
    assert grid_y.tolist() == [[4, 5], [4, 5], [4, 5]]  # G_1[i, j] = y[j]
    assert grid_x.dtype == tinydl.int64


def test_meshgrid_xy_swaps_the_first_two_axes():
    x, y = tinydl.tensor([1.0, 2.0, 3.0]), tinydl.tensor([4.0, 5.0])
    grid_x, grid_y = tinydl.meshgrid(x, y, indexing="xy")
    assert grid_x.tolist() == [[1, 2, 3], [1, 2, 3]]  # shape (len(y), len(x)), as for plotting
    assert grid_y.tolist() == [[4, 4, 4], [5, 5, 5]]
    assert grid_x.dtype == tinydl.float32


@given(st.lists(st.integers(1, 4), min_size=1, max_size=4), st.sampled_from(["ij", "xy"]), seeds)
def test_meshgrid_matches_numpy(sizes, indexing, seed):
    arrays = [values((n,), seed + k) for k, n in enumerate(sizes)]
    grids = tinydl.meshgrid(*[tinydl.tensor(a) for a in arrays], indexing=indexing)
    expected = np.meshgrid(*arrays, indexing=indexing)
    assert len(grids) == len(sizes)
    for grid, reference in zip(grids, expected):
        np.testing.assert_array_equal(host(grid), reference)


def test_meshgrid_accepts_a_list_and_0d_tensors():
    a, b = tinydl.tensor(7.0), tinydl.tensor([1.0, 2.0])
    grid_a, grid_b = tinydl.meshgrid([a, b], indexing="ij")  # 0-d counts as one element
    assert tuple(grid_a.shape) == (1, 2) and grid_a.tolist() == [[7.0, 7.0]]
    assert grid_b.tolist() == [[1.0, 2.0]]


def test_meshgrid_without_indexing_is_ij_and_warns():
    x, y = tinydl.tensor([1, 2, 3]), tinydl.tensor([4, 5])
    with pytest.warns(UserWarning, match="indexing"):
        grid_x, _ = tinydl.meshgrid(x, y)
    assert tuple(grid_x.shape) == (3, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tinydl.meshgrid(x, y, indexing="ij")  # no warning when indexing is given


@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.sampled_from(["ij", "xy"]), seeds)
def test_meshgrid_gradcheck(n0, n1, n2, indexing, seed):
    inputs = [leaf(values((n,), seed + k)) for k, n in enumerate((n0, n1, n2))]
    weights = [tinydl.tensor(values(tinydl.meshgrid(*inputs, indexing=indexing)[0].shape, seed + 9 + k),
                             dtype=tinydl.float64) for k in range(3)]

    def weighted_grids(x, y, z):
        return sum((grid * w).sum() for grid, w in zip(tinydl.meshgrid(x, y, z, indexing=indexing), weights))
    assert tinydl.gradcheck(weighted_grids, inputs)


def test_meshgrid_gradient_by_hand():
    # d sum(G_0) / dx_i = the number of copies of x_i = len(y); d sum(G_1) / dy_j = len(x)
    x, y = leaf(np.array([1.0, 2.0, 3.0])), leaf(np.array([4.0, 5.0]))
    grid_x, grid_y = tinydl.meshgrid(x, y, indexing="xy")
    (grid_x.sum() + 10 * grid_y.sum()).backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0] and y.grad.tolist() == [30.0, 30.0]


def test_meshgrid_errors():
    x = tinydl.tensor([1.0, 2.0])
    with pytest.raises(ValueError, match="indexing must be one of 'xy' or 'ij', got 'ji'"):
        tinydl.meshgrid(x, x, indexing="ji")
    with pytest.raises(ValueError, match=r"0-D or 1-D tensors, got shape \(2, 2\) at position 1"):
        tinydl.meshgrid(x, tinydl.ones(2, 2), indexing="ij")
    with pytest.raises(TypeError, match="same dtype"):
        tinydl.meshgrid(x, tinydl.tensor([1, 2]), indexing="ij")
    with pytest.raises(TypeError, match="expected tensors, got list at position 0"):
        tinydl.meshgrid([1.0, 2.0], x, indexing="ij")
    with pytest.raises(ValueError, match="non-empty"):
        tinydl.meshgrid(indexing="ij")


def test_meshgrid_on_cuda(cuda):
    x, y = tinydl.tensor([1.0, 2.0], device=cuda), tinydl.tensor([3.0, 4.0, 5.0], device=cuda)
    grid_x, grid_y = tinydl.meshgrid(x, y, indexing="ij")
    assert grid_x.device == x.device and grid_x.device.type == "cuda" and host(grid_y).tolist() == [[3, 4, 5], [3, 4, 5]]
    with pytest.raises(tinydl.DeviceError, match="same device"):
        tinydl.meshgrid(x, tinydl.tensor([1.0]), indexing="ij")


# ------------------------------------------------------------------ max(a, b), min(a, b)
def test_max_min_of_two_tensors_are_elementwise():
    a, b = tinydl.tensor([1.0, -2.0, 3.0]), tinydl.tensor([0.0, 0.0, 5.0])
    assert tinydl.max(a, b).tolist() == [1.0, 0.0, 5.0]  # d2l's relu: torch.max(X, zeros_like(X))
    assert tinydl.min(a, b).tolist() == [0.0, -2.0, 3.0]
    assert a.max(b).tolist() == [1.0, 0.0, 5.0] and a.min(b).tolist() == [0.0, -2.0, 3.0]
    assert tinydl.max(a, other=b).tolist() == [1.0, 0.0, 5.0]
    # a broadcast second tensor, as torch.maximum
    assert tinydl.max(tinydl.tensor([[1.0], [4.0]]), tinydl.tensor([2.0, 3.0])).tolist() == [[2, 3], [4, 4]]


def test_max_min_with_an_int_still_reduce_along_dim():
    x = tinydl.tensor([[1.0, 5.0], [7.0, 2.0]])
    assert x.max(1).values.tolist() == [5.0, 7.0] and tinydl.min(x, 0).indices.tolist() == [0, 1]


def test_max_of_two_tensors_gradient_by_hand():
    # the gradient goes to the larger element; a tie splits it in half (as PyTorch's maximum)
    a, b = leaf(np.array([1.0, -2.0, 3.0])), leaf(np.array([0.0, 0.0, 3.0]))
    tinydl.max(a, b).sum().backward()
    assert a.grad.tolist() == [1.0, 0.0, 0.5] and b.grad.tolist() == [0.0, 1.0, 0.5]


@given(broadcast_pairs, seeds, st.sampled_from(["max", "min"]))
def test_max_min_of_two_tensors_broadcast_like_maximum(shapes, seed, name):
    a, b = (values(shape, seed + k) for k, shape in enumerate(shapes.input_shapes))
    expected = (np.maximum if name == "max" else np.minimum)(a, b)
    np.testing.assert_array_equal(host(getattr(tinydl, name)(tinydl.tensor(a), tinydl.tensor(b))), expected)


@given(hnp.array_shapes(min_dims=1, max_dims=3, min_side=2, max_side=4), seeds, st.sampled_from(["max", "min"]))
def test_max_min_of_two_tensors_gradcheck(shape, seed, name):
    # b is a +- at least 0.1 (away from ties, where the derivative jumps), and each of a and b
    # wins somewhere, so that both gradients are checked
    a = values(shape, seed)
    gap = values(shape, seed + 1, away_from_zero=0.1)
    gap.flat[0], gap.flat[-1] = 0.5, -0.5
    op = getattr(tinydl, name)
    assert tinydl.gradcheck(lambda x, y: op(x, y), [leaf(a), leaf(a + gap)], raise_on_vacuous=True)


def test_max_of_two_tensors_takes_no_dim_or_keepdim():
    a, b = tinydl.tensor([1.0, 2.0]), tinydl.tensor([2.0, 1.0])
    with pytest.raises(TypeError, match=r"max\(input, other\) takes no dim or keepdim"):
        tinydl.max(a, b, keepdim=True)
    with pytest.raises(TypeError, match=r"min\(input, other\) takes no dim or keepdim"):
        tinydl.min(a, 0, other=b)
    with pytest.raises(TypeError, match="pass the other tensor once"):
        tinydl.max(a, b, other=b)


# ------------------------------------------------------------------ x[range(...)]
def test_range_index_pairs_with_a_label_tensor():
    # d2l's cross_entropy: -log(y_hat[range(len(y_hat)), y]) picks each row's label column
    y_hat = tinydl.tensor([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])
    y = tinydl.tensor([0, 2])
    assert y_hat[range(len(y_hat)), y].tolist() == pytest.approx([0.1, 0.5])
    assert y_hat[range(len(y_hat)), [0, 2]].tolist() == pytest.approx([0.1, 0.5])


def test_range_index_is_the_list_of_its_integers():
    x = tinydl.arange(12.0).reshape(3, 4)
    for index in (range(1, 3), range(0, 3, 2), range(2, -1, -1)):
        np.testing.assert_array_equal(host(x[index]), host(x)[list(index)])
    np.testing.assert_array_equal(host(x[:, range(0, 4, 3)]), host(x)[:, [0, 3]])
    assert tuple(x[range(0)].shape) == (0, 4)  # empty: still an integer index
    with pytest.raises(IndexError, match="out of range"):
        x[range(2, 5)]


def test_range_index_gradient_by_hand():
    x = leaf(np.arange(6.0).reshape(2, 3))
    picked = x[range(2), tinydl.tensor([2, 0])]
    (picked * tinydl.tensor([10.0, 1.0], dtype=tinydl.float64)).sum().backward()
    assert x.grad.tolist() == [[0.0, 0.0, 10.0], [1.0, 0.0, 0.0]]


def test_range_index_assignment():
    x = tinydl.zeros(3, 3)
    x[range(3), range(3)] = 1.0
    assert x.tolist() == np.eye(3).tolist()


# ------------------------------------------------------------------ RMSprop
def reference_rmsprop(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False,
                      maximize=False):
    """PyTorch's RMSprop written out (the algorithm in torch.optim.RMSprop's docs)."""
    p = np.array([1.0, -2.0])
    square_avg, grad_avg, buffer = np.zeros(2), np.zeros(2), np.zeros(2)
    history = []
    for g in GRADS:
        g = -g if maximize else g
        g = g + weight_decay * p
        square_avg = alpha * square_avg + (1 - alpha) * g ** 2
        if centered:
            grad_avg = alpha * grad_avg + (1 - alpha) * g
            denominator = np.sqrt(square_avg - grad_avg ** 2) + eps
        else:
            denominator = np.sqrt(square_avg) + eps
        if momentum > 0:
            buffer = momentum * buffer + g / denominator
            p = p - lr * buffer
        else:
            p = p - lr * g / denominator
        history.append(p)
    return np.array(history)


def test_rmsprop_first_step_by_hand():
    # v = (1 - 0.99) g^2, so g / sqrt(v) = sign(g) / 0.1: the first step is 10 lr against the gradient
    p = tinydl.tensor([1.0, -2.0], dtype=tinydl.float64, requires_grad=True)
    optimizer = optim.RMSprop([p], lr=1e-3)
    p.grad = tinydl.tensor([0.5, -4.0], dtype=tinydl.float64)
    version = p._version
    optimizer.step()
    np.testing.assert_allclose(p.detach().numpy(), [1.0 - 0.01, -2.0 + 0.01], rtol=1e-6)
    assert p._version > version  # in place: graphs that saved p see it changed
    np.testing.assert_allclose(optimizer.state[p]["square_avg"], [0.01 * 0.25, 0.01 * 16.0])
    assert optimizer.state[p]["step"] == 1


@pytest.mark.parametrize("options", [
    dict(), dict(lr=1e-3), dict(lr=0.05, alpha=0.9), dict(momentum=0.9), dict(centered=True, lr=0.03),
    dict(centered=True, momentum=0.5, weight_decay=0.1), dict(weight_decay=0.2, eps=1e-3),
    dict(maximize=True, momentum=0.3)])
def test_rmsprop_matches_pytorch_algorithm(options):
    np.testing.assert_allclose(run(lambda p: optim.RMSprop(p, **options)), reference_rmsprop(**options), rtol=1e-10)


def test_rmsprop_defaults_and_state():
    p = tinydl.zeros(2, requires_grad=True)
    optimizer = optim.RMSprop([p])
    assert {k: v for k, v in optimizer.defaults.items()} == dict(
        lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False, maximize=False)
    p.grad = tinydl.ones(2)
    optimizer.step()
    assert set(optimizer.state[p]) == {"step", "square_avg"}  # buffers only where the options need them
    assert p.dtype == tinydl.float32 and optimizer.state[p]["square_avg"].dtype == np.float32
    q = tinydl.zeros(2, requires_grad=True)
    both = optim.RMSprop([q], momentum=0.9, centered=True)
    q.grad = tinydl.ones(2)
    both.step()
    assert set(both.state[q]) == {"step", "square_avg", "momentum_buffer", "grad_avg"}


def test_rmsprop_state_dict_resumes_exactly():
    def fresh():
        return tinydl.tensor([1.0, -2.0], dtype=tinydl.float64, requires_grad=True)
    options = dict(lr=0.05, momentum=0.5, centered=True)
    p, q = fresh(), fresh()
    first, second = optim.RMSprop([p], **options), optim.RMSprop([q], **options)
    for grad in GRADS[:2]:
        p.grad = tinydl.tensor(grad)
        first.step()
    q.array[...] = p.array
    q._bump_version()
    second.load_state_dict(first.state_dict())
    for grad in GRADS[2:]:
        p.grad, q.grad = tinydl.tensor(grad), tinydl.tensor(grad)
        first.step()
        second.step()
    np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
    np.testing.assert_allclose(p.detach().numpy(), reference_rmsprop(**options)[-1], rtol=1e-10)


@pytest.mark.parametrize("name", ["lr", "alpha", "eps", "weight_decay", "momentum"])
def test_rmsprop_rejects_negative_options(name):
    with pytest.raises(ValueError, match=f"RMSprop: {name} must be >= 0, got -0.1"):
        optim.RMSprop([tinydl.zeros(1, requires_grad=True)], **{name: -0.1})


def test_rmsprop_fits_a_line():
    # the polynomial_optim tutorial's use: RMSprop drives a least-squares loss down
    x = tinydl.linspace(-1, 1, 50).unsqueeze(1)
    y = 3 * x - 1
    model = tinydl.nn.Linear(1, 1)
    optimizer = optim.RMSprop(model.parameters(), lr=0.05)
    for _ in range(300):
        loss = ((model(x) - y) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < 1e-3
    np.testing.assert_allclose([model.weight.item(), model.bias.item()], [3.0, -1.0], atol=0.05)
