"""ImageNet VGG-16 weights into Table 1's network, read as DeepLab reads it.

The paper starts stage 1 from DeepLab-LargeFOV [4] (Sec. 4.1), which is VGG-16
with fc6 and fc7 turned into convolutions and decimated. Table 1 reuses VGG's
first convolutions in several branches; ``VGG16_TO_TABLE1`` below is that reuse
written row by row, ``vgg16_to_multiscale_net`` applies it to a state dict.
Tensors only: reading and writing files is ``tools/model_converters``' job.

fc6 (4096 x 25088) is read as 4096 x 512 x 7 x 7 (torchvision flattens
pool5's C x H x W in that order); DeepLab-LargeFOV keeps every 4th filter and
the kernel taps 0, 3, 6 of each spatial axis: 1024 x 512 x 3 x 3. fc7 keeps
every 4th output and every 4th input (the fc6 filters kept): 1024 x 1024 x 1
x 1. The kept taps are 3 cells of VGG's stride-32 grid apart, 96 pixels;
conv5-3 runs at stride 8, so it needs dilation 96 / 8 = ``CONV5_3_DILATION``
= 12 (``MultiScaleNet(branch5_dilation=12)``), as in DeepLab-LargeFOV.
See docs/pretrained_weights.md.
"""
from __future__ import annotations

from typing import Mapping

from torch import Tensor

from .multiscale_net import TABLE1, TABLE1_STRIDES, Pool

#: VGG-16 layer -> (torchvision state-dict prefix, weight shape), in
#: torchvision's order (``features.N`` skips ReLUs and pools; the classifier
#: is Linear, ReLU, Dropout, Linear, ReLU, Dropout, Linear).
VGG16_LAYERS: dict[str, tuple[str, tuple[int, ...]]] = {
    'conv1_1': ('features.0', (64, 3, 3, 3)),
    'conv1_2': ('features.2', (64, 64, 3, 3)),
    'conv2_1': ('features.5', (128, 64, 3, 3)),
    'conv2_2': ('features.7', (128, 128, 3, 3)),
    'conv3_1': ('features.10', (256, 128, 3, 3)),
    'conv3_2': ('features.12', (256, 256, 3, 3)),
    'conv3_3': ('features.14', (256, 256, 3, 3)),
    'conv4_1': ('features.17', (512, 256, 3, 3)),
    'conv4_2': ('features.19', (512, 512, 3, 3)),
    'conv4_3': ('features.21', (512, 512, 3, 3)),
    'conv5_1': ('features.24', (512, 512, 3, 3)),
    'conv5_2': ('features.26', (512, 512, 3, 3)),
    'conv5_3': ('features.28', (512, 512, 3, 3)),
    'fc6': ('classifier.0', (4096, 512 * 7 * 7)),
    'fc7': ('classifier.3', (4096, 4096)),
    'fc8': ('classifier.6', (1000, 4096)),
}

#: Table 1 layer <- VGG-16 layer, and how the weights are carried over.
#: 'copy': unchanged; 'fc6_decimate' / 'fc7_decimate': DeepLab-LargeFOV's
#: subsampling (module docstring). Table 1 layers not listed keep Kaiming
#: initialisation.
VGG16_TO_TABLE1: tuple[tuple[str, str, str], ...] = (
    ('conv1-1', 'conv1_1', 'copy'),
    ('conv1-2', 'conv1_2', 'copy'),
    ('conv2-1', 'conv1_1', 'copy'),
    ('conv2-2', 'conv1_2', 'copy'),
    ('conv2-3', 'conv2_1', 'copy'),
    ('conv3-1', 'conv2_1', 'copy'),
    ('conv3-2', 'conv2_2', 'copy'),
    ('conv4-1', 'conv3_1', 'copy'),
    ('conv4-2', 'conv3_2', 'copy'),
    ('conv5-1', 'conv4_1', 'copy'),
    ('conv5-2', 'conv4_2', 'copy'),
    ('conv5-3', 'fc6', 'fc6_decimate'),
    ('conv5-4', 'fc7', 'fc7_decimate'),
)

#: DeepLab-LargeFOV's decimation: every 4th filter, kernel taps 0, 3, 6.
FC_OUT_STEP = 4
FC6_TAP_STEP = 3
#: VGG's fc6 reads pool5 at stride 32; conv5-3 reads pool5 at stride 8.
VGG16_FC6_STRIDE = 32
CONV5_3_DILATION = FC6_TAP_STEP * VGG16_FC6_STRIDE // TABLE1_STRIDES[4]


class VGG16MappingError(ValueError):
    """A state dict that is not torchvision's VGG-16, or a target that cannot
    hold it; the message is one line naming what was expected."""


def table1_conv_prefixes() -> dict[str, str]:
    """Table 1 conv name -> MultiScaleNet state-dict prefix.

    ``'conv5-3' -> 'branches.4.after_pool.0'``: each branch is split at its
    pool into ``before_pool`` / ``after_pool`` Sequentials of Conv2d, ReLU
    pairs (the pool ends ``before_pool``); a branch without a pool has only
    ``after_pool``.
    """
    prefixes = {}
    for branch, spec in enumerate(TABLE1):
        has_pool = any(isinstance(layer, Pool) for layer in spec.layers)
        part = 'before_pool' if has_pool else 'after_pool'
        index, number = 0, 0
        for layer in spec.layers:
            if isinstance(layer, Pool):
                part, index = 'after_pool', 0
                continue
            number += 1
            prefixes[f'conv{branch + 1}-{number}'] = \
                f'branches.{branch}.{part}.{index}'
            index += 2  # Conv2d, ReLU
    return prefixes


def kaiming_layers() -> list[str]:
    """Table 1 convs with no VGG-16 counterpart (they keep Kaiming init)."""
    mapped = {ours for ours, _, _ in VGG16_TO_TABLE1}
    return [name for name in table1_conv_prefixes() if name not in mapped]


def check_vgg16_state_dict(state: Mapping[str, Tensor]) -> None:
    """Raise ``VGG16MappingError`` unless ``state`` is exactly torchvision's
    VGG-16 (32 tensors, names and shapes of ``VGG16_LAYERS``)."""
    expected = {}
    for prefix, shape in VGG16_LAYERS.values():
        expected[f'{prefix}.weight'] = shape
        expected[f'{prefix}.bias'] = shape[:1]
    if not any(key.startswith(('features.', 'classifier.')) for key in state):
        found = ', '.join(sorted(state)[:3]) or 'no keys'
        raise VGG16MappingError(
            'not a VGG-16 state dict: expected torchvision keys '
            'features.N.weight/bias and classifier.N.weight/bias, found '
            f'{found}')
    missing = [key for key in expected if key not in state]
    if missing:
        raise VGG16MappingError(
            f'not torchvision VGG-16: {len(missing)} keys missing, e.g. '
            f'{", ".join(missing[:4])}')
    unexpected = sorted(key for key in state if key not in expected)
    if unexpected:
        raise VGG16MappingError(
            f'not plain torchvision VGG-16 (VGG-16-BN or another VGG?): '
            f'unexpected keys, e.g. {", ".join(unexpected[:4])}')
    for key, shape in expected.items():
        if tuple(state[key].shape) != shape:
            raise VGG16MappingError(
                f'{key} has shape {tuple(state[key].shape)}, VGG-16 has '
                f'{shape}')


def decimate_fc6(weight: Tensor, bias: Tensor) -> tuple[Tensor, Tensor]:
    """fc6 (4096, 25088) -> atrous conv5-3 (1024, 512, 3, 3) and (1024,)."""
    kernel = weight.reshape(4096, 512, 7, 7)
    kernel = kernel[::FC_OUT_STEP, :, ::FC6_TAP_STEP, ::FC6_TAP_STEP]
    return kernel.contiguous(), bias[::FC_OUT_STEP].contiguous()


def decimate_fc7(weight: Tensor, bias: Tensor) -> tuple[Tensor, Tensor]:
    """fc7 (4096, 4096) -> conv5-4 (1024, 1024, 1, 1) and (1024,)."""
    kernel = weight[::FC_OUT_STEP, ::FC_OUT_STEP]
    return (kernel.reshape(*kernel.shape, 1, 1).contiguous(),
            bias[::FC_OUT_STEP].contiguous())


def _copy(weight: Tensor, bias: Tensor) -> tuple[Tensor, Tensor]:
    return weight.clone(), bias.clone()


HOW = {'copy': _copy, 'fc6_decimate': decimate_fc6,
       'fc7_decimate': decimate_fc7}


def vgg16_to_multiscale_net(state: Mapping[str, Tensor],
                            width_mult: float = 1.0) -> dict[str, Tensor]:
    """Table 1's weights taken from torchvision's ImageNet VGG-16.

    Args:
        state: torchvision's VGG-16 state dict (``features.N.weight`` ...,
            float tensors, e.g. ``vgg16-397923af.pth``), checked first.
        width_mult: the target MultiScaleNet's ``width_mult``; VGG's widths
            only fit Table 1 exactly, so anything but 1 is refused.

    Returns:
        MultiScaleNet state-dict entries (``branches.B.part.I.weight/bias``)
        for the 13 convs of ``VGG16_TO_TABLE1``; the 4 convs of
        ``kaiming_layers()`` are absent. The input expects RGB normalised with
        ImageNet mean/std, as the VGG-16 weights do.

    Raises:
        VGG16MappingError: a state dict that is not VGG-16, or width_mult != 1.
    """
    if width_mult != 1:
        raise VGG16MappingError(
            f'VGG-16 weights fit only width_mult=1 (Table 1 exactly), the '
            f'target has width_mult={width_mult}')
    check_vgg16_state_dict(state)
    prefixes = table1_conv_prefixes()
    converted = {}
    for ours, vgg, how in VGG16_TO_TABLE1:
        source = VGG16_LAYERS[vgg][0]
        weight, bias = HOW[how](state[f'{source}.weight'],
                                state[f'{source}.bias'])
        converted[f'{prefixes[ours]}.weight'] = weight
        converted[f'{prefixes[ours]}.bias'] = bias
    return converted
