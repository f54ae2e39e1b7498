"""``tinydl.utils.data``: PyTorch's import path for tinydl.data, so ported code needs no other change."""
from ..data import DataLoader, Dataset, TensorDataset, collate

__all__ = ["DataLoader", "Dataset", "TensorDataset", "collate"]
