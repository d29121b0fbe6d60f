"""Package-level checks: registration, name collisions, mmcv-ops message,
and every config under configs/ loads and builds."""
import glob
import importlib
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import DATASETS as ROOT_DATASETS
from mmengine.registry import HOOKS as ROOT_HOOKS
from mmengine.registry import METRICS as ROOT_METRICS
from mmengine.registry import MODELS as ROOT_MODELS
from mmengine.registry import TRANSFORMS as ROOT_TRANSFORMS

import jointdepthseg
from jointdepthseg import utils
from mmseg.registry import DATASETS, HOOKS, METRICS, MODELS, RUNNERS, TRANSFORMS

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

OUR_NAMES = {
    MODELS: ['MultiScaleNet', 'MultiScaleSegHead', 'DepthBinHead',
             'ScaleInvariantLoss', 'JointDepthSegmentor',
             'JointSegDataPreProcessor', 'DenseCRF'],
    DATASETS: ['NYUv2Dataset'],
    TRANSFORMS: ['LoadNYUAnnotations', 'DepthTrainingTarget'],
    METRICS: ['DepthEstimationMetric', 'SemanticSegMetric'],
    HOOKS: ['PlainCheckpointHook'],
    RUNNERS: ['SafeResumeRunner'],
}
ROOTS = {MODELS: ROOT_MODELS, DATASETS: ROOT_DATASETS, TRANSFORMS:
         ROOT_TRANSFORMS, METRICS: ROOT_METRICS, HOOKS: ROOT_HOOKS}


@pytest.mark.parametrize('registry', list(OUR_NAMES), ids=lambda r: r.name)
def test_every_component_is_registered_in_mmseg(registry):
    for name in OUR_NAMES[registry]:
        component = registry.get(name)
        assert component is not None, name
        assert component.__module__.startswith('jointdepthseg.'), name


def test_our_names_do_not_shadow_mmseg_or_mmengine_names():
    assert 'DepthMetric' not in OUR_NAMES[METRICS]
    for registry, names in OUR_NAMES.items():
        root = ROOTS.get(registry)
        for name in names:
            if root is not None:
                assert name not in root.module_dict, name
    # everything in jointdepthseg's modules registered under our own names
    for registry in OUR_NAMES:
        for name, component in registry.module_dict.items():
            if component.__module__.startswith('jointdepthseg.'):
                assert name not in ('DepthMetric', 'NYUDataset', 'SiLogLoss',
                                    'DepthEstimator'), name


def test_missing_mmcv_ops_says_how_to_fix_it(monkeypatch):
    real_import = importlib.import_module

    def fake_import(name, *args):
        if name in ('mmcv.ops', 'mmcv._ext'):
            raise ImportError('No module named mmcv._ext')
        return real_import(name, *args)

    monkeypatch.setattr(utils.importlib, 'import_module', fake_import)
    with pytest.raises(ImportError, match='without ops') as error:
        utils.check_mmcv_ops()
    assert 'MMCV_WITH_OPS=1' in str(error.value)


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
