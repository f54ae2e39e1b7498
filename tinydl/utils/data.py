"""``tinydl.utils.data``: PyTorch's import path for tinydl.data, so ported code needs no other change."""
from ..data import (BatchSampler, DataLoader, Dataset, RandomSampler, SequentialSampler, Subset,
                    SubsetRandomSampler, TensorDataset, collate, default_collate, default_convert, random_split)

__all__ = ["BatchSampler", "DataLoader", "Dataset", "RandomSampler", "SequentialSampler", "Subset",
           "SubsetRandomSampler", "TensorDataset", "collate", "default_collate", "default_convert",
           "random_split"]
