"""Every config under configs/ loads, stays within two levels of _base_, and
builds its model (with the classes its data has) and its pipelines."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

import jointdepthseg  # noqa: F401  (registers the components)
from mmseg.registry import MODELS, TRANSFORMS
from tests.helpers.config_files import base_depth

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
    assert base_depth(path) <= 2, path  # STYLE.md: at most two levels
    model = MODELS.build(cfg.model)
    # configs/crf/ put the CRF on mmseg's Cityscapes models (19 classes);
    # everything else is NYU-40 or the synthetic rooms in NYU-40's classes
    expected = 19 if osp.basename(osp.dirname(path)) == 'crf' else 40
    assert model.decode_head.num_classes == expected, path
    refiner = getattr(model, 'refiner', None)
    if refiner is not None:
        assert refiner.num_classes == expected, path
    for key in ('train_dataloader', 'test_dataloader'):
        loader = cfg.get(key)
        if loader:
            for step in loader['dataset']['pipeline']:
                TRANSFORMS.build(step)
