"""Convert torchvision's ImageNet VGG-16 weights to a MultiScaleNet checkpoint.

Example::

    python tools/model_converters/vgg16_to_multiscale_net.py \
        vgg16-397923af.pth pretrained/multiscale_net_vgg16.pth

SRC is torchvision's VGG-16 state dict (bare, or under ``state_dict``).
DST is a complete MultiScaleNet state dict (Table 1, full width) under
``state_dict``: the 13 convs with a VGG-16 counterpart hold VGG's weights
(DeepLab-LargeFOV's reading, see docs/pretrained_weights.md), the other 4
hold MultiScaleNet's own Kaiming initialisation. Load it with
``model.backbone.init_cfg=dict(type='Pretrained', checkpoint=DST)`` and
``branch5_dilation=12`` (configs/nyu/stage1_sem_vgg16.py does both).
"""
from __future__ import annotations

import argparse
import io
import os.path as osp
import sys

import torch
from mmengine.config import Config
from mmengine.model import initialize

from jointdepthseg.fileio import atomic_write_bytes
from jointdepthseg.models.backbones.multiscale_net import MultiScaleNet
from jointdepthseg.models.backbones.vgg16_mapping import (
    CONV5_3_DILATION, VGG16_LAYERS, VGG16_TO_TABLE1, VGG16MappingError,
    kaiming_layers, table1_conv_prefixes, vgg16_to_multiscale_net)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument(
        'src', help="torchvision's VGG-16 weights, e.g. vgg16-397923af.pth")
    parser.add_argument(
        'dst', help='MultiScaleNet checkpoint to write (folders are created)')
    parser.add_argument(
        '--config',
        help='check the target backbone of this config (model.backbone): '
        'refused unless width_mult=1 and in_channels=3; default: Table 1')
    parser.add_argument(
        '--seed',
        type=int,
        default=0,
        help='seed of the Kaiming draw for the convs without a VGG-16 '
        'counterpart')
    return parser.parse_args(argv)


def target_backbone(config: str | None) -> dict:
    """MultiScaleNet keyword arguments of the target (a config's backbone)."""
    if config is None:
        return {}
    if not osp.isfile(config):
        raise VGG16MappingError(f'config not found: {config}')
    backbone = dict(Config.fromfile(config).model.backbone)
    if backbone.get('type') != 'MultiScaleNet':
        raise VGG16MappingError(f'{config}: model.backbone is '
                                f'{backbone.get("type")!r}, not MultiScaleNet')
    if backbone.get('in_channels', 3) != 3:
        raise VGG16MappingError(f'{config}: VGG-16 reads RGB (in_channels=3), '
                                f'the backbone has {backbone["in_channels"]}')
    if backbone.get('width_mult', 1.0) != 1:
        raise VGG16MappingError(
            f'{config}: VGG-16 weights fit only width_mult=1 (Table 1 '
            f'exactly), the backbone has width_mult={backbone["width_mult"]}')
    return {key: backbone[key] for key in ('width_mult', 'branch5_dilation')
            if key in backbone}


def read_vgg16(path: str) -> dict:
    """The tensors of SRC, a bare state dict or one under ``state_dict``."""
    if not osp.isfile(path):
        raise VGG16MappingError(f'{path}: no such file')
    try:
        content = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as error:  # noqa: BLE001 - any unreadable file: one line
        raise VGG16MappingError(
            f'{path}: not a torch state dict (torch.load with weights_only='
            f'True failed: {type(error).__name__})') from None
    if isinstance(content, dict) and isinstance(content.get('state_dict'),
                                                dict):
        content = content['state_dict']
    if not isinstance(content, dict) or not all(
            isinstance(value, torch.Tensor) for value in content.values()):
        raise VGG16MappingError(f'{path}: expected a state dict of tensors '
                                '(bare or under "state_dict")')
    return {key: value.float() for key, value in content.items()}


def save_atomically(checkpoint: dict, path: str) -> None:
    """torch.save ``checkpoint`` to ``path`` through a temporary file and a
    rename (``jointdepthseg.fileio.atomic_write_bytes``)."""
    buffer = io.BytesIO()
    torch.save(checkpoint, buffer)
    atomic_write_bytes(path, buffer.getvalue())


def convert(args: argparse.Namespace) -> int:
    target = target_backbone(args.config)
    vgg = read_vgg16(args.src)
    try:
        mapped = vgg16_to_multiscale_net(vgg)
    except VGG16MappingError as error:
        raise VGG16MappingError(f'{args.src}: {error}') from None
    torch.manual_seed(args.seed)
    net = MultiScaleNet()
    # its default init_cfg (Kaiming on every Conv2d), without init_weights()'s
    # per-parameter log
    initialize(net, net.init_cfg)
    state = net.state_dict()
    for key, value in mapped.items():  # guards against a Table 1 edit
        assert state[key].shape == value.shape, (key, value.shape)
    state.update(mapped)
    prefixes = table1_conv_prefixes()
    meta = dict(
        source=osp.basename(args.src),
        converter='tools/model_converters/vgg16_to_multiscale_net.py',
        vgg16_layers={ours: vgg for ours, vgg, _ in VGG16_TO_TABLE1},
        kaiming_layers=kaiming_layers(),
        kaiming_seed=args.seed,
        branch5_dilation=CONV5_3_DILATION,
        input='RGB, (x - ImageNet mean) / std on 0-255 pixels')
    save_atomically(dict(state_dict=state, meta=meta), args.dst)

    print(f'wrote {args.dst}: MultiScaleNet (Table 1, width_mult=1)')
    print('VGG-16 weights:')
    for ours, vgg, how in VGG16_TO_TABLE1:
        key = VGG16_LAYERS[vgg][0]
        shape = 'x'.join(map(str, mapped[f'{prefixes[ours]}.weight'].shape))
        print(f'  {ours:8s} <- {vgg:8s} ({key}, {how}) {shape}')
    print('Kaiming initialisation (no VGG-16 counterpart): '
          f'{", ".join(kaiming_layers())} (seed {args.seed})')
    used = {vgg for _, vgg, _ in VGG16_TO_TABLE1}
    print('VGG-16 layers not used: '
          f'{", ".join(name for name in VGG16_LAYERS if name not in used)}')
    print(f'conv5-3 needs dilation {CONV5_3_DILATION}: set '
          f'model.backbone.branch5_dilation={CONV5_3_DILATION}')
    dilation = target.get('branch5_dilation')
    if dilation is not None and dilation != CONV5_3_DILATION:
        print(f'note: {args.config} has branch5_dilation={dilation}')
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return convert(args)
    except (VGG16MappingError, OSError) as error:  # one line, no traceback
        print(f'vgg16_to_multiscale_net.py: error: {error}', file=sys.stderr)
        return 2


if __name__ == '__main__':
    sys.exit(main())
