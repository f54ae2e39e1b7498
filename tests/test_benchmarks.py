"""The benchmark's contenders compute the same thing: the hand-written NumPy floor is a fair floor."""
from __future__ import annotations

import numpy as np
import pytest

from benchmarks import conv_floor, run
from benchmarks import workloads as W


@pytest.mark.parametrize("index", [0, 1, 2, 3], ids=["W1", "W2", "W3", "W4"])
def test_tinydl_and_numpy_floor_agree_on_gradients_and_training(index):
    workload = W.make_workloads(quick=True)[index]
    report = run.check_agreement(workload, [W.NumpyFloor(), W.Tinydl("cpu")])
    assert report["tinydl (cpu)"] < 1e-4
    floor, engine = W.NumpyFloor(), W.Tinydl("cpu")
    floor.setup(workload)
    engine.setup(workload)
    np.testing.assert_allclose(engine.train(2), floor.train(2), rtol=1e-4)
    assert engine.dtypes() == {"float32"}


def test_floor_gradient_matches_finite_differences():
    workload = W.make_workloads(quick=True)[0]
    floor = W.NumpyFloor()
    floor.setup(workload)
    floor.params = [p.astype(np.float64) for p in floor.params]
    x, y = workload.x[:16].astype(np.float64), workload.y[:16]
    loss, grads = floor.loss_and_grads(x, y)
    eps = 1e-6
    for index in [(0, 0), (3, 1)]:
        p = floor.params[0]
        original = p[index]
        p[index] = original + eps
        up = floor.loss_and_grads(x, y)[0]
        p[index] = original - eps
        down = floor.loss_and_grads(x, y)[0]
        p[index] = original
        assert grads[0][index] == pytest.approx((up - down) / (2 * eps), rel=1e-4, abs=1e-8)


def test_the_cuda_contender_agrees_with_the_floor_and_stays_on_the_device(cuda):
    """benchmarks/run.py's tinydl-cuda contender (a GPU, or the CuPy stand-in in CI)."""
    workload = W.make_workloads(quick=True)[0]
    chosen, notes = run.contenders(["cpu", "cuda"])
    assert any(isinstance(c, W.Tinydl) and c.device == "cuda" for c in chosen)
    assert not any("cuda" in note for note in notes)
    report = run.check_agreement(workload, [W.NumpyFloor(), W.Tinydl(cuda)])
    assert report["tinydl (cuda)"] < 1e-4
    floor, engine = W.NumpyFloor(), W.Tinydl(cuda)
    floor.setup(workload)
    engine.setup(workload)
    np.testing.assert_allclose(engine.train(2), floor.train(2), rtol=1e-4)
    assert engine.dtypes() == {"float32"}
    assert all(p.device.type == "cuda" for p in engine.model.parameters())
    run._synchronizer(engine)()  # waits on the GPU (cupy.cuda.Device().synchronize)


def test_the_backend_sweep_runs_its_cuda_half(cuda):
    """benchmarks/backends.py times a cuda step the same way as a cpu one (no timing is asserted)."""
    from benchmarks import backends

    assert backends.step_time_ms(cuda, batch=4, width=8, min_seconds=0.0) > 0


def test_cnn_floor_gradient_matches_finite_differences():
    """W4's hand-written CNN (im2col, col2im, max-pool routing) is itself right, in float64."""
    workload = W.make_workloads(quick=True)[3]
    params = [array.astype(np.float64) for layer in workload.initial_weights() for array in layer]
    x, y = workload.x[:6].astype(np.float64), workload.y[:6]
    loss, grads = conv_floor.loss_and_grads(params, x, y)
    eps = 1e-6
    rng = np.random.default_rng(1)
    for p, grad in zip(params, grads):
        for _ in range(3):
            index = tuple(rng.integers(0, n) for n in p.shape)
            original = p[index]
            p[index] = original + eps
            up = conv_floor.loss_and_grads(params, x, y)[0]
            p[index] = original - eps
            down = conv_floor.loss_and_grads(params, x, y)[0]
            p[index] = original
            assert grad[index] == pytest.approx((up - down) / (2 * eps), rel=1e-4, abs=1e-8)
