# d2l "多层感知机的简洁实现" (Concise Implementation of Multilayer Perceptrons), the PyTorch cells
# in order: d2l-ai/d2l-zh, chapter_multilayer-perceptrons/mlp-concise.md (commit 1b6ae6ac).
# Licence: CC BY-NC-SA 4.0 (d2l-zh); the same code is in d2l-en v0.17 under MIT-0 sample-code terms.
# Ported to tinydl: only import lines changed (marked # PORT). Fashion-MNIST comes from
# local_data through d2l.load_data_fashion_mnist (see d2l/torch.py).
from d2l import torch as d2l
import tinydl as torch  # PORT: import torch
from tinydl import nn  # PORT: from torch import nn

net = nn.Sequential(nn.Flatten(),
                    nn.Linear(784, 256),
                    nn.ReLU(),
                    nn.Linear(256, 10))

def init_weights(m):
    if type(m) == nn.Linear:
        torch.nn.init.normal_(m.weight, std=0.01)

net.apply(init_weights)

batch_size, lr, num_epochs = 256, 0.1, 10
loss = nn.CrossEntropyLoss()
trainer = torch.optim.SGD(net.parameters(), lr=lr)

train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size)
d2l.train_ch3(net, train_iter, test_iter, loss, num_epochs, trainer)
