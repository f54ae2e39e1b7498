# d2l "多层感知机的从零开始实现" (Implementation of Multilayer Perceptrons from Scratch), the
# PyTorch cells in order: d2l-ai/d2l-zh, chapter_multilayer-perceptrons/mlp-scratch.md (commit 10b71cd3).
# Licence: CC BY-NC-SA 4.0 (d2l-zh); the same code is in d2l-en v0.17 under MIT-0 sample-code terms.
# Ported to tinydl: only import lines changed (marked # PORT). Fashion-MNIST comes from
# local_data through d2l.load_data_fashion_mnist (see d2l/torch.py).
from d2l import torch as d2l
import tinydl as torch  # PORT: import torch
from tinydl import nn  # PORT: from torch import nn

batch_size = 256
train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size)

num_inputs, num_outputs, num_hiddens = 784, 10, 256

W1 = nn.Parameter(torch.randn(
    num_inputs, num_hiddens, requires_grad=True) * 0.01)
b1 = nn.Parameter(torch.zeros(num_hiddens, requires_grad=True))
W2 = nn.Parameter(torch.randn(
    num_hiddens, num_outputs, requires_grad=True) * 0.01)
b2 = nn.Parameter(torch.zeros(num_outputs, requires_grad=True))

params = [W1, b1, W2, b2]

def relu(X):
    a = torch.zeros_like(X)
    return torch.max(X, a)

def net(X):
    X = d2l.reshape(X, (-1, num_inputs))
    H = relu(X@W1 + b1)  # 这里“@”代表矩阵乘法
    return (H@W2 + b2)

loss = nn.CrossEntropyLoss()

num_epochs, lr = 10, 0.1
updater = torch.optim.SGD(params, lr=lr)
d2l.train_ch3(net, train_iter, test_iter, loss, num_epochs, updater)

d2l.predict_ch3(net, test_iter)
