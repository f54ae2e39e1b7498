"""matmul for 1-D, 2-D and batched operands with broadcasting."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinydl
from helpers import check_op, seeds, values

sizes = st.integers(1, 4)


@st.composite
def matmul_shapes(draw):
    """Shapes (a, b) valid for a @ b: 1-D or 2-D operands with optional broadcast batch dims."""
    n, k, m = draw(sizes), draw(sizes), draw(sizes)
    a_kind, b_kind = draw(st.sampled_from(["vec", "mat", "batch"])), draw(st.sampled_from(["vec", "mat", "batch"]))
    batch = draw(st.sampled_from([(2,), (3, 1), (1, 2)]))
    other_batch = tuple(1 if draw(st.booleans()) else s for s in batch)[-draw(st.integers(1, len(batch))):]
    a = {"vec": (k,), "mat": (n, k), "batch": batch + (n, k)}[a_kind]
    b = {"vec": (k,), "mat": (k, m), "batch": other_batch + (k, m)}[b_kind]
    return a, b


@given(pair=matmul_shapes(), seed=seeds)
def test_matmul(pair, seed, device):
    shape_a, shape_b = pair
    check_op(lambda a, b: a @ b, np.matmul, [values(shape_a, seed), values(shape_b, seed + 1)], device)


def test_matmul_keeps_float32():
    out = tinydl.randn(3, 4) @ tinydl.randn(4, 2)
    assert out.dtype == tinydl.float32


def test_matmul_errors_name_shapes():
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 3\) and \(4, 5\) cannot be multiplied: "
                                         r"inner dimensions 3 .* and 4 .* differ"):
        tinydl.ones(2, 3) @ tinydl.ones(4, 5)
    with pytest.raises(ValueError, match="matmul: both operands need at least 1 dimension"):
        tinydl.ones(2) @ tinydl.tensor(1.0)
    with pytest.raises(TypeError, match="matmul: both operands must have the same dtype, got tinydl.float32 and tinydl.float64"):
        tinydl.ones(2, 2) @ tinydl.ones(2, 2, dtype=tinydl.float64)
    with pytest.raises(ValueError, match=r"matmul: batch dimensions of \(2, 2, 3\) and \(3, 3, 4\)"):
        tinydl.ones(2, 2, 3) @ tinydl.ones(3, 3, 4)
