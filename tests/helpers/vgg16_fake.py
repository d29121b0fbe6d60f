"""A VGG-16 state dict with torchvision's exact key names and shapes, random
values. Keys come from torchvision's own recipe (``vgg.make_layers`` over
config 'D', then the classifier), not from jointdepthseg's mapping table;
checked once against ``torchvision.models.vgg16(weights=None).state_dict()``
(torchvision 0.28.0): the same 32 names and shapes."""
from __future__ import annotations

import torch

# torchvision.models.vgg cfgs['D']: widths, 'M' = max pool.
VGG16_CFG = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512,
             'M', 512, 512, 512, 'M']


def vgg16_shapes(batch_norm: bool = False) -> dict[str, tuple[int, ...]]:
    """torchvision's key -> shape for vgg16 (or vgg16_bn)."""
    shapes = {}
    index, channels = 0, 3
    for item in VGG16_CFG:
        if item == 'M':
            index += 1
            continue
        shapes[f'features.{index}.weight'] = (item, channels, 3, 3)
        shapes[f'features.{index}.bias'] = (item,)
        if batch_norm:
            for name in ('weight', 'bias', 'running_mean', 'running_var'):
                shapes[f'features.{index + 1}.{name}'] = (item,)
            shapes[f'features.{index + 1}.num_batches_tracked'] = ()
            index += 1
        index += 2  # conv (+ BN), ReLU
        channels = item
    # Linear, ReLU, Dropout, Linear, ReLU, Dropout, Linear
    for index, (out, inp) in zip((0, 3, 6), ((4096, 512 * 7 * 7),
                                             (4096, 4096), (1000, 4096))):
        shapes[f'classifier.{index}.weight'] = (out, inp)
        shapes[f'classifier.{index}.bias'] = (out,)
    return shapes


def fake_vgg16(seed: int = 0) -> dict[str, torch.Tensor]:
    """Random VGG-16 weights (He-scaled so activations stay near 1)."""
    generator = torch.Generator().manual_seed(seed)
    state = {}
    for key, shape in vgg16_shapes().items():
        fan_in = 1
        for size in shape[1:]:
            fan_in *= size
        scale = (2.0 / fan_in)**0.5 if len(shape) > 1 else 0.1
        state[key] = torch.randn(shape, generator=generator) * scale
    return state
