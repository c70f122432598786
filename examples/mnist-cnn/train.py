#!/usr/bin/python3
"""Trains the lessons' CNN on the handwritten digits that ship with scikit-learn and exports it for
examples/mnist-cnn/mnist-cnn.mjs and bench/mnist.mjs.

Data: sklearn's digits (1797 8x8 images, 16 gray levels; Debian's python3-sklearn, no download), scaled to 28x28
by bilinear interpolation so that the network is MNIST's: Conv2d(1, 32, 3, padding=1), ReLU, MaxPool2d(2, 2),
Conv2d(32, 64, 3, padding=1), ReLU, MaxPool2d(2, 2), Linear(7*7*64, 10). The real MNIST is a download; these
digits are the offline stand-in the issue names.

Writes (deterministic: seeded, one thread):
- weights.bin: the float32 parameters, little-endian, in the order of weights.json's list;
- images.bin: the test split's first 32 images (28x28, normalised), float32 little-endian;
- weights.json: the parameters' names, shapes and offsets; those images' labels and PyTorch's logits; the test
  accuracy. (bench/mnist.mjs builds the same network as an ONNX model for ONNX Runtime from these weights.)
Run: /usr/bin/python3 examples/mnist-cnn/train.py
"""
import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.datasets import load_digits

torch.manual_seed(0)
torch.set_num_threads(1)
here = os.path.dirname(os.path.abspath(__file__))

digits = load_digits()
x = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16.0  # (1797, 1, 8, 8) in [0, 1]
x = F.interpolate(x, size=(28, 28), mode='bilinear', align_corners=False)
x = (x - 0.1307) / 0.3081  # MNIST's normalisation
y = torch.tensor(digits.target)
perm = torch.randperm(len(x))
train, test = perm[:1500], perm[1500:]

net = nn.Sequential(
    nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
    nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
    nn.Flatten(), nn.Linear(7 * 7 * 64, 10),
)
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
for epoch in range(6):
    net.train()
    for i in range(0, len(train), 50):
        idx = train[i:i + 50]
        opt.zero_grad()
        loss = F.cross_entropy(net(x[idx]), y[idx])
        loss.backward()
        opt.step()
net.eval()
with torch.no_grad():
    accuracy = (net(x[test]).argmax(1) == y[test]).float().mean().item()
    sample = x[test[:32]]
    logits = net(sample)
print(f'test accuracy {accuracy:.4f} on {len(test)} images')

params = [('conv1.weight', net[0].weight), ('conv1.bias', net[0].bias), ('conv2.weight', net[3].weight), ('conv2.bias', net[3].bias),
          ('fc.weight', net[7].weight), ('fc.bias', net[7].bias)]
blob = b''
entries = []
for name, p in params:
    a = p.detach().numpy().astype('<f4')
    entries.append({'name': name, 'shape': list(a.shape), 'offset': len(blob) // 4})
    blob += a.tobytes()
with open(os.path.join(here, 'weights.bin'), 'wb') as f:
    f.write(blob)
meta = {
    'generator': 'examples/mnist-cnn/train.py', 'torch': torch.__version__, 'accuracy': round(accuracy, 4), 'params': entries,
    'images': len(sample), 'labels': y[test[:32]].tolist(),
    'logits': [float(f'{v:.9g}') for v in logits.flatten().tolist()],
}
with open(os.path.join(here, 'weights.json'), 'w') as f:
    json.dump(meta, f, separators=(',', ':'))
    f.write('\n')
with open(os.path.join(here, 'images.bin'), 'wb') as f:
    f.write(sample.numpy().astype('<f4').tobytes())
print('wrote weights.bin, images.bin, weights.json')
