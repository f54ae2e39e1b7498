"""Sampling (tinydl/random.py), generators and the in-place initialisers."""
from __future__ import annotations

import numpy as np
import pytest

import tinydl


# ------------------------------------------------------------ seeds and generators
def test_manual_seed_returns_the_default_generator():
    generator = tinydl.manual_seed(7)
    assert generator is tinydl.default_generator and isinstance(generator, tinydl.Generator)
    assert generator.initial_seed() == 7 and tinydl.initial_seed() == 7
    first = tinydl.randn(3).tolist()
    tinydl.manual_seed(7)
    assert tinydl.randn(3).tolist() == first


def test_torch_random_module_names():
    assert tinydl.random.manual_seed(4).initial_seed() == 4 and tinydl.random.initial_seed() == 4
    with pytest.raises(tinydl.DeviceError, match="generators live on the cpu"):
        tinydl.Generator(device="cuda")
    assert "initial_seed=4" in repr(tinydl.default_generator)


def test_seed_reseeds_with_fresh_entropy():
    tinydl.manual_seed(0)
    new_seed = tinydl.seed()
    assert tinydl.initial_seed() == new_seed
    tinydl.manual_seed(new_seed)
    again = tinydl.randn(2).tolist()
    tinydl.manual_seed(new_seed)
    assert tinydl.randn(2).tolist() == again


def test_generator_objects_give_their_own_streams():
    generator = tinydl.Generator().manual_seed(3)
    assert generator.initial_seed() == 3
    first = tinydl.randperm(10, generator=generator).tolist()
    tinydl.randn(5)  # the default stream does not disturb it
    generator.manual_seed(3)
    assert tinydl.randperm(10, generator=generator).tolist() == first
    chosen = generator.seed()
    assert generator.initial_seed() == chosen
    with pytest.raises(TypeError, match="generator= must be a tinydl.Generator"):
        tinydl.randperm(3, generator=np.random.default_rng(0))


@pytest.mark.parametrize("sample", [
    lambda g: tinydl.rand(4, generator=g),
    lambda g: tinydl.randn(4, generator=g),
    lambda g: tinydl.randint(0, 100, (4,), generator=g),
    lambda g: tinydl.normal(0.0, 1.0, size=(4,), generator=g),
    lambda g: tinydl.normal(tinydl.zeros(4), 1.0, generator=g),
    lambda g: tinydl.rand_like(tinydl.zeros(4), generator=g),
    lambda g: tinydl.randn_like(tinydl.zeros(4), generator=g),
    lambda g: tinydl.randint_like(tinydl.zeros(4), 100, generator=g),
    lambda g: tinydl.bernoulli(tinydl.full((8,), 0.5), generator=g),
    lambda g: tinydl.multinomial(tinydl.ones(6), 3, generator=g),
    lambda g: tinydl.zeros(4).normal_(generator=g),
    lambda g: tinydl.zeros(4).uniform_(generator=g),
])
def test_every_sampler_follows_manual_seed_and_generator(sample):
    tinydl.manual_seed(11)
    first = sample(None).tolist()
    tinydl.manual_seed(11)
    assert sample(None).tolist() == first
    assert sample(tinydl.Generator().manual_seed(5)).tolist() == sample(tinydl.Generator().manual_seed(5)).tolist()


# ------------------------------------------------------------ normal
def test_normal_overloads_shapes_and_dtypes():
    assert tinydl.normal(2.0, 3.0, size=(2, 3)).shape == (2, 3)
    assert tinydl.normal(2.0, 3.0, (5,)).dtype == tinydl.float32
    assert tinydl.normal(0.0, 1.0, size=(2,), dtype=tinydl.float64).dtype == tinydl.float64
    mean = tinydl.zeros(3, 1, dtype=tinydl.float64)
    assert tinydl.normal(mean).shape == (3, 1) and tinydl.normal(mean).dtype == tinydl.float64
    assert tinydl.normal(mean, tinydl.ones(4, dtype=tinydl.float64)).shape == (3, 4)
    assert tinydl.normal(1.0, tinydl.ones(2, 2)).shape == (2, 2)
    assert tinydl.normal(0.0, 1.0, size=3, requires_grad=True).requires_grad


def test_normal_statistics_follow_mean_and_std():
    mean = tinydl.tensor([-5.0, 0.0, 10.0]).reshape(3, 1).expand(3, 20000)
    samples = tinydl.normal(mean, tinydl.tensor([0.5, 1.0, 2.0]).reshape(3, 1)).numpy()
    np.testing.assert_allclose(samples.mean(axis=1), [-5.0, 0.0, 10.0], atol=0.05)
    np.testing.assert_allclose(samples.std(axis=1), [0.5, 1.0, 2.0], rtol=0.03)
    scalar = tinydl.normal(3.0, 2.0, size=(20000,)).numpy()
    assert abs(scalar.mean() - 3.0) < 0.05 and abs(scalar.std() - 2.0) < 0.05


def test_normal_errors():
    with pytest.raises(TypeError, match="give size="):
        tinydl.normal(0.0, 1.0)
    with pytest.raises(TypeError, match="size= is only for a number mean and std"):
        tinydl.normal(tinydl.zeros(2), 1.0, size=(2,))
    with pytest.raises(ValueError, match="std must be >= 0"):
        tinydl.normal(tinydl.zeros(2), -1.0)
    with pytest.raises(TypeError, match="mean must be a floating-point tensor"):
        tinydl.normal(tinydl.tensor([1, 2]), 1.0)


# ------------------------------------------------------------ *_like, randperm
def test_like_samplers_copy_shape_and_dtype():
    x = tinydl.zeros(2, 3, dtype=tinydl.float64)
    for sample in (tinydl.rand_like(x), tinydl.randn_like(x)):
        assert sample.shape == (2, 3) and sample.dtype == tinydl.float64
    uniform = tinydl.rand_like(tinydl.zeros(1000)).numpy()
    assert uniform.min() >= 0 and uniform.max() < 1 and uniform.dtype == np.float32
    assert tinydl.rand_like(x, dtype=tinydl.float32).dtype == tinydl.float32
    ints = tinydl.randint_like(tinydl.zeros(1000, dtype=tinydl.int64), 3, 7).numpy()
    assert ints.dtype == np.int64 and set(ints.tolist()) == {3, 4, 5, 6}
    floats = tinydl.randint_like(tinydl.zeros(500), 4)
    assert floats.dtype == tinydl.float32 and set(floats.tolist()) == {0.0, 1.0, 2.0, 3.0}
    with pytest.raises(TypeError, match="expected a floating-point dtype"):
        tinydl.randn_like(tinydl.zeros(2, dtype=tinydl.int64))
    with pytest.raises(TypeError, match=r"rand_like\(\): argument 'input' \(position 1\) must be Tensor"):
        tinydl.rand_like([1.0])


def test_randperm():
    order = tinydl.randperm(50)
    assert order.dtype == tinydl.int64 and sorted(order.tolist()) == list(range(50))
    assert order.tolist() != list(range(50))
    assert tinydl.randperm(0).shape == (0,) and tinydl.randperm(4, dtype=tinydl.int32).dtype == tinydl.int32
    with pytest.raises(ValueError, match="n must be a non-negative int"):
        tinydl.randperm(-1)


# ------------------------------------------------------------ bernoulli, multinomial
def test_bernoulli():
    probabilities = tinydl.tensor([0.0, 1.0, 0.3]).reshape(3, 1).expand(3, 20000)
    draws = tinydl.bernoulli(probabilities).numpy()
    assert draws.dtype == np.float32 and set(np.unique(draws).tolist()) <= {0.0, 1.0}
    assert draws[0].sum() == 0 and draws[1].sum() == 20000 and abs(draws[2].mean() - 0.3) < 0.02
    assert abs(tinydl.bernoulli(tinydl.zeros(20000), 0.8).numpy().mean() - 0.8) < 0.02
    assert tinydl.zeros(3).bernoulli().shape == (3,)
    with pytest.raises(ValueError, match=r"probabilities must be in \[0, 1\]"):
        tinydl.bernoulli(tinydl.tensor([1.5]))
    with pytest.raises(TypeError, match="floating-point tensor of probabilities"):
        tinydl.bernoulli(tinydl.tensor([1]))


def test_multinomial_without_replacement_never_repeats():
    weights = tinydl.tensor([[1.0, 2.0, 3.0, 4.0, 0.0], [0.0, 5.0, 5.0, 0.0, 1.0]])
    for _ in range(50):
        draws = tinydl.multinomial(weights, 3)
        assert draws.shape == (2, 3) and draws.dtype == tinydl.int64
        for row, weight_row in zip(draws.tolist(), weights.tolist()):
            assert len(set(row)) == 3 and all(weight_row[i] > 0 for i in row)
    assert sorted(tinydl.multinomial(tinydl.tensor([0.2, 0.3, 0.5]), 3).tolist()) == [0, 1, 2]


def test_multinomial_frequencies_follow_the_weights():
    weights = tinydl.tensor([1.0, 0.0, 3.0])  # unnormalised, as PyTorch allows
    draws = tinydl.multinomial(weights, 20000, replacement=True).numpy()
    assert draws.shape == (20000,) and 1 not in draws
    assert abs((draws == 2).mean() - 0.75) < 0.02
    first = tinydl.multinomial(tinydl.tensor([[9.0, 1.0]]).expand(4000, 2), 1).numpy()
    assert first.shape == (4000, 1) and abs((first == 0).mean() - 0.9) < 0.02
    assert tinydl.tensor([0.1, 0.9]).multinomial(1).shape == (1,)


@pytest.mark.parametrize("call, error, message", [
    (lambda: tinydl.multinomial(tinydl.tensor([1.0, 0.0]), 2), ValueError, "cannot draw 2 samples without replacement"),
    (lambda: tinydl.multinomial(tinydl.tensor([1.0, -1.0]), 1), ValueError, "finite and non-negative"),
    (lambda: tinydl.multinomial(tinydl.tensor([0.0, 0.0]), 1, True), ValueError, "sums to 0"),
    (lambda: tinydl.multinomial(tinydl.ones(2, 2, 2), 1), ValueError, "1-D or 2-D"),
    (lambda: tinydl.multinomial(tinydl.ones(3), 0), ValueError, "num_samples must be a positive int"),
    (lambda: tinydl.multinomial(tinydl.tensor([1, 2]), 1), TypeError, "floating-point weights"),
])
def test_multinomial_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ------------------------------------------------------------ in-place initialisers
def test_in_place_initialisers_fill_the_tensor_itself():
    w = tinydl.zeros(4000)
    storage = w.array
    assert w.normal_(2.0, 0.5) is w and w.array is storage and w._version == 1
    assert abs(tinydl.zeros(4000).normal_(mean=-1.0, std=0.1).numpy().mean() + 1.0) < 0.01
    assert abs(w.numpy().mean() - 2.0) < 0.05 and abs(w.numpy().std() - 0.5) < 0.05
    w.uniform_(-3.0, -1.0)
    assert w.numpy().min() >= -3.0 and w.numpy().max() < -1.0 and w._version == 2
    w.random_(5)
    assert set(w.tolist()) == {0.0, 1.0, 2.0, 3.0, 4.0}
    w.random_(10, 12)
    assert set(w.tolist()) == {10.0, 11.0}
    w.bernoulli_(0.25)
    assert set(w.tolist()) == {0.0, 1.0} and abs(w.numpy().mean() - 0.25) < 0.03
    flags = tinydl.zeros(1000, dtype=tinydl.bool).bernoulli_(0.5)
    assert flags.dtype == tinydl.bool and set(flags.tolist()) == {False, True}
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\]"):
        w.bernoulli_(2.0)
    counts = tinydl.zeros(1000, dtype=tinydl.int64).random_(3)
    assert counts.dtype == tinydl.int64 and set(counts.tolist()) == {0, 1, 2}
    assert tinydl.zeros(100).random_().numpy().max() <= 2 ** 24


def test_in_place_initialisers_through_data_and_no_grad():
    p = tinydl.zeros(3, requires_grad=True)
    p.data.normal_(0, 0.01)  # textbooks: the parameter itself changes
    assert (p.detach().numpy() != 0).all()
    with pytest.raises(RuntimeError, match="normal_: in-place random fill of a tensor that requires grad"):
        p.normal_()
    with pytest.raises(RuntimeError, match="uniform_: in-place random fill"):
        p.uniform_()
    with tinydl.no_grad():
        p.uniform_(5, 6)
    assert (p.detach().numpy() >= 5).all()


def test_float_samplers_refuse_integer_tensors():
    with pytest.raises(TypeError, match=r"normal_\(\): expected a floating-point dtype"):
        tinydl.zeros(2, dtype=tinydl.int64).normal_()
