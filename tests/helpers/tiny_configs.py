"""Tiny copies of the shipped configs and inputs for inference tests."""
import os.path as osp
import textwrap

import numpy as np
import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MEAN = torch.tensor([123.675, 116.28, 103.53]).view(3, 1, 1)
STD = torch.tensor([58.395, 57.12, 57.375]).view(3, 1, 1)


def write_config(folder, stage='stage2_joint', scale=None):
    """A 1/16-width copy of a configs/nyu stage; its test pipeline is the
    base's (with LoadNYUAnnotations, which inference must drop). ``scale``
    replaces the base's ``inference_scale`` (640, 480); None: no resizing."""
    base = osp.join(ROOT, 'configs', 'nyu', f'{stage}.py')
    depth = ('depth_head=dict(in_channels=channels),'
             if stage == 'stage2_joint' else '')
    path = folder / f'tiny_{stage}.py'
    path.write_text(textwrap.dedent(f'''
        _base_ = [{base!r}]
        inference_scale = {scale!r}
        channels = [4, 8, 8, 8, 64]
        model = dict(
            data_preprocessor=dict(size=(32, 32)),
            backbone=dict(width_mult=1 / 16),
            decode_head=dict(in_channels=channels), {depth})
    '''))
    return str(path)


def random_rgb(height, width, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
