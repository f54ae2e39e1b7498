"""Public tests of assignment 7: Embedding, the RNN cell, backprop through time, a character-level model."""
from __future__ import annotations

import numpy as np

import tinydl
from tinydl.coursework import task
from tinydl.coursework.checks import expect_close, expect_gradients, expect_shape

TITLE = "Sequences: Embedding and an RNN cell"
STUDENT_FILE = "sequences.py"


def example(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


def rnn_step(x: np.ndarray, h: np.ndarray, weight_ih: np.ndarray, weight_hh: np.ndarray,
             bias_ih: np.ndarray, bias_hh: np.ndarray) -> np.ndarray:
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh), PyTorch's RNNCell."""
    return np.tanh(x @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh)


def cell_example(input_size: int = 3, hidden_size: int = 4, batch: int = 2) -> list[np.ndarray]:
    """x, h, weight_ih, weight_hh, bias_ih, bias_hh, scaled so that tanh is not saturated."""
    shapes = [(batch, input_size), (batch, hidden_size), (hidden_size, input_size),
              (hidden_size, hidden_size), (hidden_size,), (hidden_size,)]
    return [0.5 * example(*shape, seed=seed) for seed, shape in enumerate(shapes)]


# ------------------------------------------------------------------ Task 7.1: Embedding
@task("7.1", points=3)
def test_embedding_forward(student) -> None:
    """y[..., :] = weight[indices[...], :], for indices of any shape."""
    weight = example(5, 3)
    indices = np.array([[0, 4, 1], [4, 4, 2]])
    y = student.EmbeddingFunction.apply(tinydl.tensor(indices), tinydl.tensor(weight))
    expect_shape(y, (2, 3, 3),
                 "EmbeddingFunction(indices (2, 3), weight (5, 3)) (the output has the indices' shape plus "
                 "the embedding dimension: indices.shape + (D,))")
    expect_close(y, weight[indices], "EmbeddingFunction forward (row indices[i, j] of weight)")


@task("7.1")
def test_embedding_repeated_indices_accumulate(student) -> None:
    """A row looked up several times receives the sum of its gradients (scatter-add)."""
    weight = tinydl.tensor(example(4, 2), requires_grad=True)
    indices = tinydl.tensor([[0, 2, 0], [2, 2, 1]])
    grad_out = np.arange(1.0, 13.0).reshape(2, 3, 2)
    student.EmbeddingFunction.apply(indices, weight).backward(tinydl.tensor(grad_out))
    expected = np.zeros((4, 2))
    for position, row in np.ndenumerate(indices.numpy()):
        expected[row] += grad_out[position]
    overwritten = np.zeros((4, 2))
    for position, row in np.ndenumerate(indices.numpy()):
        overwritten[row] = grad_out[position]
    if weight.grad is not None and np.allclose(weight.grad.numpy(), overwritten):
        raise AssertionError("EmbeddingFunction.backward: a row looked up more than once (repeated indices) "
                             "must receive the SUM of its gradients; `grad[indices] = grad_out` keeps only "
                             "the last one: use np.add.at(grad, indices, grad_out)")
    expect_close(weight.grad, expected,
                 "dL/dweight of an embedding with repeated indices (row r of the gradient is the sum of "
                 "grad_out over every position where indices == r; rows never looked up get 0)")


@task("7.1")
def test_embedding_gradients_and_module(student) -> None:
    """Strict gradcheck of dweight; Embedding(V, D) has weight (V, D) drawn from N(0, 1)."""
    indices = tinydl.tensor([[1, 3], [3, 0], [1, 1]])
    expect_gradients(lambda weight: student.EmbeddingFunction.apply(indices, weight),
                     [tinydl.tensor(example(5, 4), requires_grad=True)], "EmbeddingFunction.backward")
    layer = student.Embedding(200, 10)
    parameters = dict(layer.named_parameters())
    assert set(parameters) == {"weight"}, f"Embedding has one parameter, 'weight'; got {sorted(parameters)}"
    values = parameters["weight"].detach().numpy()
    expect_shape(values, (200, 10), "Embedding(200, 10).weight ((num_embeddings, embedding_dim))")
    assert abs(values.mean()) < 0.1 and 0.9 < values.std() < 1.1, (
        f"Embedding's weight must be drawn from N(0, 1) (PyTorch's default): mean {values.mean():.3f}, "
        f"std {values.std():.3f}")
    expect_close(layer(indices), values[indices.numpy()], "Embedding(200, 10)(indices)")


# ------------------------------------------------------------------ Task 7.2: RNNCellFunction
@task("7.2", points=3)
def test_rnn_cell_forward(student) -> None:
    arrays = cell_example()
    y = student.RNNCellFunction.apply(*(tinydl.tensor(a) for a in arrays))
    expect_close(y, rnn_step(*arrays),
                 "RNNCellFunction forward (h' = tanh(x @ weight_ih.T + bias_ih + h @ weight_hh.T + "
                 "bias_hh))")


@task("7.2")
def test_rnn_cell_gradients(student) -> None:
    """Strict float64 gradcheck of all six gradients."""
    arrays = cell_example()
    x = tinydl.tensor(arrays[0], requires_grad=True)
    student.RNNCellFunction.apply(x, *(tinydl.tensor(a) for a in arrays[1:])).sum().backward()
    without_tanh = np.ones((2, 4)) @ arrays[2]          # dx if the (1 - h'^2) factor were left out
    if x.grad is not None and np.allclose(x.grad.numpy(), without_tanh):
        raise AssertionError("RNNCellFunction.backward: the gradient skips the derivative of tanh: multiply "
                             "dL/dh' by (1 - h'^2) before the matrix products (statement.md, Task 7.2)")
    inputs = [tinydl.tensor(a, requires_grad=True) for a in arrays]
    expect_gradients(student.RNNCellFunction.apply, inputs, "RNNCellFunction.backward")


# ------------------------------------------------------------------ Task 7.3: RNNCell, backprop through time
@task("7.3", points=2)
def test_rnn_cell_module(student) -> None:
    """RNNCell(3, 4): PyTorch's parameter names, shapes and U(-1/sqrt(H), 1/sqrt(H)); hx defaults to zeros."""
    cell = student.RNNCell(3, 4)
    parameters = dict(cell.named_parameters())
    shapes = {"weight_ih": (4, 3), "weight_hh": (4, 4), "bias_ih": (4,), "bias_hh": (4,)}
    assert set(parameters) == set(shapes), (
        f"RNNCell's parameters must be {sorted(shapes)} (PyTorch's names), got {sorted(parameters)}")
    for name, shape in shapes.items():
        expect_shape(parameters[name], shape, f"RNNCell(3, 4).{name}")
        largest = np.abs(parameters[name].detach().numpy()).max()
        assert 0 < largest <= 0.5, (f"RNNCell(3, 4).{name} must be drawn from U(-1/sqrt(4), 1/sqrt(4)) = "
                                    f"U(-0.5, 0.5); its largest |value| is {largest:.3f}")
    x = tinydl.tensor(example(2, 3), dtype=tinydl.float32)
    expect_close(cell(x), cell(x, tinydl.zeros(2, 4)),
                 "RNNCell(3, 4)(x) without hx (when hx is None, start from zeros of shape (N, hidden_size))")


class Unrolled(tinydl.nn.Module):
    """run_rnn as a Module, so that gradcheck checks the cell's parameters too."""

    def __init__(self, student, cell) -> None:
        super().__init__()
        self.cell = cell
        self.run_rnn = student.run_rnn

    def forward(self, xs: tinydl.Tensor, h0: tinydl.Tensor) -> tinydl.Tensor:
        return self.run_rnn(self.cell, xs, h0)


@task("7.3")
def test_run_rnn_backprop_through_time(student) -> None:
    """run_rnn over T = 4 steps: the loop h_t = cell(x_t, h_{t-1}); gradcheck through time."""
    cell = student.RNNCell(3, 4).double()
    xs, h0 = example(4, 2, 3, seed=7), 0.5 * example(2, 4, seed=8)
    hidden = student.run_rnn(cell, tinydl.tensor(xs), tinydl.tensor(h0))
    weights = [p.detach().numpy() for p in (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)]
    expected, h = [], h0
    for x in xs:
        h = rnn_step(x, h, *weights)
        expected.append(h)
    expect_close(hidden, np.stack(expected),
                 "run_rnn(cell, xs (4, 2, 3), h0) (hidden states (T, N, H): h_t = cell(x_t, h_{t-1}) "
                 "starting from h0, stacked over time)")
    # Backprop through time is the engine's job here: checked end to end (not strict: your
    # RNNCellFunction.backward was checked strictly in Task 7.2).
    tinydl.gradcheck(Unrolled(student, cell), [tinydl.tensor(xs, requires_grad=True),
                                               tinydl.tensor(h0, requires_grad=True)])


# ------------------------------------------------------------------ Task 7.4: a character-level model
TEXT = "hello world "


def char_batches(length: int = 16) -> tuple[tinydl.Tensor, tinydl.Tensor, np.ndarray]:
    """Inputs and next-character targets (T, N): one sequence starting at each character of TEXT."""
    vocabulary = sorted(set(TEXT))
    codes = np.array([vocabulary.index(c) for c in TEXT])
    sequences = np.stack([np.resize(np.roll(codes, -k), length + 1) for k in range(len(TEXT))], axis=1)
    return tinydl.tensor(sequences[:-1]), tinydl.tensor(sequences[1:]), sequences[1:]


@task("7.4", points=2)
def test_char_rnn_learns_the_next_character(student) -> None:
    """CharRNN(V) learns to predict the next character of "hello world hello world ..." in 60 Adam steps."""
    inputs, targets, target_codes = char_batches()
    vocabulary_size = len(set(TEXT))
    model = student.CharRNN(vocabulary_size)
    logits = model(inputs)
    expect_shape(logits, (16, len(TEXT), vocabulary_size),
                 "CharRNN(V)(indices of shape (T, N)) (logits (T, N, V): one score per character of the "
                 "vocabulary, at every step)")
    optimizer = tinydl.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(60):
        optimizer.zero_grad()
        logits = model(inputs).reshape(-1, vocabulary_size)          # (T, N, V) -> (T*N, V)
        loss = tinydl.nn.functional.cross_entropy(logits, targets.reshape(-1))
        loss.backward()
        optimizer.step()
    with tinydl.no_grad():
        predictions = model(inputs).numpy().argmax(axis=-1)
    # From the 5th character on the context decides the next one ("l" is followed by "l", "o" or "d").
    accuracy = (predictions[4:] == target_codes[4:]).mean()
    assert accuracy >= 0.95, (
        f"after 60 Adam steps (lr 0.05) CharRNN predicts {accuracy:.0%} of the next characters (from the "
        f"5th on) right, expected at least 95% (cross-entropy {loss.item():.3f}); check that run_rnn carries "
        "the hidden state from step to step, that every parameter is registered (model.parameters()), and "
        "that the gradient checks of Tasks 7.1 to 7.3 pass")
