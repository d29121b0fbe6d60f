"""Every config under configs/ loads, stays within two levels of _base_, and
builds its model and its pipelines."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

import jointdepthseg  # noqa: F401  (registers the components)
from mmseg.registry import MODELS, TRANSFORMS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

CONFIGS = sorted(
    path for path in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'),
                               recursive=True)
    if '_base_' not in path)


def test_there_are_configs():
    names = {osp.relpath(p, ROOT) for p in CONFIGS}
    assert {'configs/nyu/stage1_sem.py', 'configs/nyu/stage2_joint.py'} <= names


@pytest.mark.parametrize('path', CONFIGS,
                         ids=lambda p: osp.relpath(p, ROOT))
def test_config_loads_and_builds(path):
    cfg = Config.fromfile(path)
    assert cfg.custom_imports['imports'] == ['jointdepthseg'] or \
        'jointdepthseg' in cfg.custom_imports['imports']
    depth = 0
    current = cfg.filename
    while True:  # at most two levels of _base_ (STYLE.md)
        text = open(current).read()
        if '_base_' not in text:
            break
        depth += 1
        bases = Config._get_base_files(current)
        current = osp.join(osp.dirname(current), bases[0])
    assert depth <= 2, path
    model = MODELS.build(cfg.model)
    assert model.decode_head.num_classes == 40
    for key in ('train_dataloader', 'test_dataloader'):
        loader = cfg.get(key)
        if loader:
            for step in loader['dataset']['pipeline']:
                TRANSFORMS.build(step)
