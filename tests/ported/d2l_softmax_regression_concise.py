# d2l "softmax回归的简洁实现" (Concise Implementation of Softmax Regression), the PyTorch cells in
# order: d2l-ai/d2l-zh, chapter_linear-networks/softmax-regression-concise.md (commit 0a48a580).
# Licence: CC BY-NC-SA 4.0 (d2l-zh); the same code is in d2l-en v0.17 under MIT-0 sample-code terms.
# Ported to tinydl: only import lines changed (marked # PORT). Fashion-MNIST comes from
# local_data through d2l.load_data_fashion_mnist (see d2l/torch.py).
from d2l import torch as d2l
import tinydl as torch  # PORT: import torch
from tinydl import nn  # PORT: from torch import nn

batch_size = 256
train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size)

# PyTorch不会隐式地调整输入的形状。因此，
# 我们在线性层前定义了展平层（flatten），来调整网络输入的形状
net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))

def init_weights(m):
    if type(m) == nn.Linear:
        nn.init.normal_(m.weight, std=0.01)

net.apply(init_weights);

loss = nn.CrossEntropyLoss(reduction='none')

trainer = torch.optim.SGD(net.parameters(), lr=0.1)

num_epochs = 10
d2l.train_ch3(net, train_iter, test_iter, loss, num_epochs, trainer)
