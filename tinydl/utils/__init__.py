"""``tinydl.utils``: where PyTorch keeps ``utils.data``."""
