#!/usr/bin/python3
"""Extracts the convolution layers of the network benchmark's networks (bench/networks.mjs) from their
torchvision definitions (Debian's python3-torchvision; no weights are needed or downloaded) and two small
generators written here, by running each once on its benchmark input with forward hooks on every Conv and
ConvTranspose module. Identical layers are listed once with their count. Writes bench/networks/networks.json.

    /usr/bin/python3 bench/networks/extract.py
"""
import json
import os

import torch
import torch.nn as nn
import torchvision
from torchvision.models import efficientnet_b0, mobilenet_v2, resnet18, shufflenet_v2_x1_0, vgg11
from torchvision.models.segmentation import deeplabv3_resnet50
from torchvision.models.video import r3d_18


def dcgan_generator(nz=100, ngf=64, nc=3):
    """The DCGAN paper's generator (Radford et al. 2016; PyTorch's examples/dcgan): 1x1 -> 64x64."""
    layers = []
    chans = [nz, ngf * 8, ngf * 4, ngf * 2, ngf]
    for i in range(4):
        first = i == 0
        layers += [nn.ConvTranspose2d(chans[i], chans[i + 1], 4, 1 if first else 2, 0 if first else 1, bias=False),
                   nn.BatchNorm2d(chans[i + 1]), nn.ReLU(True)]
    layers += [nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh()]
    return nn.Sequential(*layers)


class UNetDecoder(nn.Module):
    """U-Net's expanding path (Ronneberger et al. 2015, with padded 3x3 convs) for a 128x128 image: at each
    level a 2x2 stride-2 ConvTranspose halves the channels, the skip connection is concatenated, and two 3x3
    convs follow; then the 1x1 classifier. Takes the bottleneck (1024 x 8 x 8) and the four skips."""

    def __init__(self, classes=2):
        super().__init__()
        self.ups = nn.ModuleList()
        self.convs = nn.ModuleList()
        for c in (1024, 512, 256, 128):
            self.ups.append(nn.ConvTranspose2d(c, c // 2, 2, 2))
            self.convs.append(nn.Sequential(nn.Conv2d(c, c // 2, 3, padding=1), nn.ReLU(True),
                                            nn.Conv2d(c // 2, c // 2, 3, padding=1), nn.ReLU(True)))
        self.head = nn.Conv2d(64, classes, 1)

    def forward(self, x, skips):
        for up, conv, skip in zip(self.ups, self.convs, skips):
            x = conv(torch.cat([skip, up(x)], 1))
        return self.head(x)


def unet_inputs():
    skips = [torch.randn(1, c, s, s) for c, s in ((512, 16), (256, 32), (128, 64), (64, 128))]
    return (torch.randn(1, 1024, 8, 8), skips)


NETWORKS = [
    ('resnet18', 'ResNet-18 (224)', lambda: resnet18(weights=None), lambda: (torch.randn(1, 3, 224, 224),)),
    ('mobilenet_v2', 'MobileNetV2 (224)', lambda: mobilenet_v2(weights=None), lambda: (torch.randn(1, 3, 224, 224),)),
    ('shufflenet_v2', 'ShuffleNetV2 x1.0 (224)', lambda: shufflenet_v2_x1_0(weights=None), lambda: (torch.randn(1, 3, 224, 224),)),
    ('efficientnet_b0', 'EfficientNet-B0 (224)', lambda: efficientnet_b0(weights=None), lambda: (torch.randn(1, 3, 224, 224),)),
    ('vgg11', 'VGG-11 features (224)', lambda: vgg11(weights=None).features, lambda: (torch.randn(1, 3, 224, 224),)),
    # torchvision's DeepLabV3 dilates ResNet-50's last two stages (output stride 8) and its ASPP uses rates 12, 24, 36.
    ('deeplabv3', 'DeepLabV3-ResNet50, output stride 8 (224)',
     lambda: deeplabv3_resnet50(weights=None, weights_backbone=None, aux_loss=False), lambda: (torch.randn(1, 3, 224, 224),)),
    ('r3d_18', 'R3D-18 (3x16x112x112)', lambda: r3d_18(weights=None), lambda: (torch.randn(1, 3, 16, 112, 112),)),
    ('dcgan', 'DCGAN generator (100 -> 3x64x64)', dcgan_generator, lambda: (torch.randn(1, 100, 1, 1),)),
    ('unet_decoder', 'U-Net decoder (to 128x128)', UNetDecoder, unet_inputs),
]

OPS = {nn.Conv1d: 'conv1d', nn.Conv2d: 'conv2d', nn.Conv3d: 'conv3d', nn.ConvTranspose2d: 'convTranspose2d',
       nn.ConvTranspose3d: 'convTranspose3d'}


def op_of(module):
    # isinstance: torchvision's video models use subclasses of nn.Conv3d (Conv3DSimple, Conv3DNoTemporal).
    return next((op for cls, op in OPS.items() if isinstance(module, cls)), None)


def layer_of(module, x):
    op = op_of(module)
    padding = module.padding
    if isinstance(padding, str):
        raise ValueError(f'string padding {padding!r} in {module}: not expected in these networks')
    if getattr(module, 'output_padding', None) and any(module.output_padding):
        raise ValueError(f'output_padding in {module}: the benchmark layers do not carry it')
    if module.padding_mode != 'zeros':
        raise ValueError(f'padding_mode {module.padding_mode} in {module}')
    return {
        'op': op, 'N': x.shape[0], 'Cin': module.in_channels, 'Cout': module.out_channels,
        'spatial': list(x.shape[2:]), 'kernel': list(module.kernel_size), 'stride': list(module.stride),
        'padding': list(padding), 'dilation': list(module.dilation), 'groups': module.groups,
    }


def extract(name, title, make, inputs):
    torch.manual_seed(0)
    model = make().eval()
    found = []  # (module name, layer) in call order
    hooks = [m.register_forward_pre_hook(lambda m, args, n=n: found.append((n, layer_of(m, args[0]))))
             for n, m in model.named_modules() if op_of(m)]
    with torch.no_grad():
        model(*inputs())
    for h in hooks:
        h.remove()
    layers = []
    for module_name, l in found:
        same = next((u for u in layers if all(u[k] == l[k] for k in l)), None)
        if same:
            same['count'] += 1
        else:
            layers.append({'name': f'{name}.{module_name}', **l, 'count': 1})
    return {'name': name, 'title': title, 'layers': layers}


def main():
    networks = [extract(*n) for n in NETWORKS]
    out = {
        'generatedBy': 'bench/networks/extract.py',
        'torch': torch.__version__, 'torchvision': torchvision.__version__,
        'networks': networks,
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'networks.json')
    with open(path, 'w') as f:
        # One layer per line: diffs stay readable.
        f.write('{\n')
        f.write(f'  "generatedBy": {json.dumps(out["generatedBy"])},\n  "torch": {json.dumps(out["torch"])},\n')
        f.write(f'  "torchvision": {json.dumps(out["torchvision"])},\n  "networks": [\n')
        for i, n in enumerate(networks):
            f.write(f'    {{"name": {json.dumps(n["name"])}, "title": {json.dumps(n["title"])}, "layers": [\n')
            f.write(',\n'.join(f'      {json.dumps(l)}' for l in n['layers']))
            f.write('\n    ]}' + (',' if i + 1 < len(networks) else '') + '\n')
        f.write('  ]\n}\n')
    for n in networks:
        macs = 0
        for l in n['layers']:
            macs += l['count'] * layer_macs(l)
        print(f'{n["name"]}: {sum(l["count"] for l in n["layers"])} convs, {len(n["layers"])} distinct, {2 * macs / 1e9:.2f} GFLOP')
    print(f'wrote {path}')


def layer_macs(l):
    prod = lambda a: eval('*'.join(map(str, a)) or '1')
    if l['op'].startswith('convTranspose'):
        return l['Cin'] * l['Cout'] // l['groups'] * prod(l['spatial']) * prod(l['kernel'])
    out = [(n + 2 * p - d * (k - 1) - 1) // s + 1 for n, p, d, k, s in zip(l['spatial'], l['padding'], l['dilation'], l['kernel'], l['stride'])]
    return l['Cout'] * prod(out) * l['Cin'] // l['groups'] * prod(l['kernel'])


if __name__ == '__main__':
    main()
