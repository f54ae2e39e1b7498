# The part of the d2l package (https://github.com/d2l-ai/d2l-zh, d2l/) that the ported d2l
# chapters use, so that their `from d2l import torch as d2l` line stays unchanged.
