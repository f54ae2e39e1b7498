# d2l "线性回归的简洁实现" (Concise Implementation of Linear Regression), the PyTorch cells in
# order: d2l-ai/d2l-zh, chapter_linear-networks/linear-regression-concise.md (commit 08b2b506).
# Licence: CC BY-NC-SA 4.0 (d2l-zh); the same code is in d2l-en v0.17 under MIT-0 sample-code terms.
# Ported to tinydl: only import lines changed (marked # PORT).
from d2l import torch as d2l
import numpy as np
import tinydl as torch  # PORT: import torch
from tinydl.utils import data  # PORT: from torch.utils import data

true_w = d2l.tensor([2, -3.4])
true_b = 4.2
features, labels = d2l.synthetic_data(true_w, true_b, 1000)

def load_array(data_arrays, batch_size, is_train=True):  #@save
    """构造一个PyTorch数据迭代器"""
    dataset = data.TensorDataset(*data_arrays)
    return data.DataLoader(dataset, batch_size, shuffle=is_train)

batch_size = 10
data_iter = load_array((features, labels), batch_size)

next(iter(data_iter))

# nn是神经网络的缩写
from tinydl import nn  # PORT: from torch import nn
net = nn.Sequential(nn.Linear(2, 1))

net[0].weight.data.normal_(0, 0.01)
net[0].bias.data.fill_(0)

loss = nn.MSELoss()

trainer = torch.optim.SGD(net.parameters(), lr=0.03)

num_epochs = 3
for epoch in range(num_epochs):
    for X, y in data_iter:
        l = loss(net(X) ,y)
        trainer.zero_grad()
        l.backward()
        trainer.step()
    l = loss(net(features), labels)
    print(f'epoch {epoch + 1}, loss {l:f}')

w = net[0].weight.data
print('w的估计误差：', true_w - d2l.reshape(w, true_w.shape))
b = net[0].bias.data
print('b的估计误差：', true_b - b)
