"""Every name jointdepthseg registers, found in the registries themselves.

The names are collected from mmseg's registries (every entry whose class
lives in ``jointdepthseg``), not from a hand-kept list, and each must have a
tiny build recipe below: a component registered without one fails
``test_every_registered_name_has_a_recipe``. Each recipe builds from the
registry; every model component also runs a forward pass, and after a
backward pass every parameter that requires a gradient has a finite, non-None
one (timm's registry test, STYLE.md).
"""
from __future__ import annotations

import importlib

import pytest
import torch
from mmengine.registry import DATASETS as ROOT_DATASETS
from mmengine.registry import HOOKS as ROOT_HOOKS
from mmengine.registry import METRICS as ROOT_METRICS
from mmengine.registry import MODELS as ROOT_MODELS
from mmengine.registry import TRANSFORMS as ROOT_TRANSFORMS
from mmengine.structures import PixelData

import jointdepthseg  # noqa: F401  (registers everything)
from jointdepthseg import utils
from mmseg import registry as mmseg_registry
from mmseg.structures import SegDataSample
from tests.helpers.tiny_data import write_tiny_dataset
from tests.helpers.tiny_models import TINY_CHANNELS, tiny_segmentor_cfg

#: mmseg's registries that jointdepthseg registers into.
REGISTRIES = {name: getattr(mmseg_registry, name) for name in (
    'MODELS', 'DATASETS', 'TRANSFORMS', 'METRICS', 'HOOKS', 'RUNNERS',
    'LOOPS', 'VISUALIZERS', 'PARAM_SCHEDULERS', 'OPTIM_WRAPPERS',
    'OPTIM_WRAPPER_CONSTRUCTORS', 'DATA_SAMPLERS', 'EVALUATOR',
    'INFERENCERS', 'TASK_UTILS', 'VISBACKENDS', 'LOG_PROCESSORS')}
#: mmengine's root registries our names must not shadow.
ROOTS = dict(MODELS=ROOT_MODELS, DATASETS=ROOT_DATASETS,
             TRANSFORMS=ROOT_TRANSFORMS, METRICS=ROOT_METRICS,
             HOOKS=ROOT_HOOKS)


def registered_names() -> list[tuple[str, str]]:
    """``(registry name, component name)`` of every jointdepthseg entry."""
    found = []
    for registry_name, registry in REGISTRIES.items():
        for name, component in registry.module_dict.items():
            if component.__module__.startswith('jointdepthseg.'):
                found.append((registry_name, name))
    return sorted(found)


# ---------------------------------------------------------------------------
# Tiny inputs and a loss for every model component.

SIZE = (16, 20)
NUM_CLASSES = 5


def branch_features(batch=2):
    strides = (1, 2, 4, 4, 8)
    return tuple(torch.randn(batch, c, -(-SIZE[0] // s), -(-SIZE[1] // s))
                 for c, s in zip(TINY_CHANNELS, strides))


def data_samples(batch=2, with_depth=True):
    samples = []
    for _ in range(batch):
        sample = SegDataSample(metainfo=dict(img_shape=SIZE, ori_shape=SIZE,
                                             pad_shape=SIZE))
        sample.gt_sem_seg = PixelData(
            data=torch.randint(0, NUM_CLASSES, (1, *SIZE)))
        if with_depth:
            sample.gt_depth_map = PixelData(
                data=torch.rand(1, *SIZE) * 4 + 0.5)
        samples.append(sample)
    return samples


def total_loss(losses: dict) -> torch.Tensor:
    """The sum mmengine optimises: every entry whose name holds 'loss'."""
    return sum(value for key, value in losses.items() if 'loss' in key)


def run_backbone(module):
    return sum(f.square().mean() for f in module(torch.randn(2, 3, *SIZE)))


def run_seg_head(module):
    logits = module(branch_features())
    return total_loss(module.loss_by_feat(logits, data_samples()))


def run_loss(module):
    pred = torch.rand(2, 1, *SIZE, requires_grad=True) + 0.5
    return module(pred, torch.rand(2, 1, *SIZE) + 0.5)


def run_crf(module):
    unary = torch.randn(2, NUM_CLASSES, *SIZE, requires_grad=True)
    image = torch.rand(2, 3, *SIZE) * 255
    depth = torch.rand(2, 1, *SIZE) * 3 + 1
    return module(unary, image, depth).logsumexp(1).mean()


def run_segmentor(module):
    data = dict(inputs=[torch.randint(0, 256, (3, *SIZE), dtype=torch.uint8)
                        for _ in range(2)],
                data_samples=data_samples())
    data = module.data_preprocessor(data, True)
    return total_loss(module.loss(data['inputs'], data['data_samples']))


def tiny_crf(**kwargs):
    return dict(type='DenseCRF', num_classes=NUM_CLASSES, theta_alpha=8.,
                theta_beta=20., theta_gamma=8., theta_tau=2., **kwargs)


def _dataset_cfg(tmp_path):
    root = write_tiny_dataset(tmp_path / 'data', num_train=2, num_test=1,
                              size=SIZE)
    return dict(type='NYUv2Dataset', data_root=str(root), split='train',
                pipeline=[])


def tiny_crf_encoder_decoder(cascade=False):
    """A stock mmseg EncoderDecoder (CascadeEncoderDecoder: FCN then OCR)
    on MultiScaleNet, with the CRF."""
    inputs = dict(in_channels=TINY_CHANNELS, in_index=[0, 1, 2, 3, 4],
                  input_transform='resize_concat', channels=8,
                  num_classes=NUM_CLASSES)
    head = dict(type='FCNHead', num_convs=1, concat_input=False, **inputs)
    cfg = dict(type='CRFEncoderDecoder',
               data_preprocessor=dict(type='SegDataPreProcessor',
                                      mean=[0., 0., 0.], std=[1., 1., 1.],
                                      size=SIZE),
               backbone=dict(type='MultiScaleNet', width_mult=1 / 16),
               decode_head=head, refiner=tiny_crf(w_depth=None))
    if cascade:
        cfg.update(type='CRFCascadeEncoderDecoder', num_stages=2,
                   decode_head=[head, dict(type='OCRHead', ocr_channels=4,
                                           **inputs)])
    return cfg


#: registry name -> component name -> (config, or a function of tmp_path
#: giving it; how to run a model component to a scalar, or None).
RECIPES = {
    'MODELS': {
        'MultiScaleNet': (dict(type='MultiScaleNet', width_mult=1 / 16),
                          run_backbone),
        'MultiScaleSegHead': (dict(type='MultiScaleSegHead',
                                   in_channels=TINY_CHANNELS,
                                   num_classes=NUM_CLASSES), run_seg_head),
        'DepthBinHead': (dict(type='DepthBinHead', in_channels=TINY_CHANNELS,
                              num_bins=50, bin_size=0.14), run_seg_head),
        'ScaleInvariantLoss': (dict(type='ScaleInvariantLoss'), run_loss),
        'DenseCRF': (tiny_crf(), run_crf),
        'JointDepthSegmentor': (
            tiny_segmentor_cfg(NUM_CLASSES, refiner=tiny_crf(), size=SIZE),
            run_segmentor),
        'JointSegDataPreProcessor': (dict(type='JointSegDataPreProcessor',
                                          mean=[0., 0., 0.],
                                          std=[1., 1., 1.]), None),
        'CRFEncoderDecoder': (tiny_crf_encoder_decoder(), run_segmentor),
        'CRFCascadeEncoderDecoder': (tiny_crf_encoder_decoder(cascade=True),
                                     run_segmentor),
        # a TTA model's parameters are its segmentor's
        'CRFSegTTAModel': (dict(type='CRFSegTTAModel',
                                module=tiny_crf_encoder_decoder()),
                           lambda tta: run_segmentor(tta.module)),
    },
    'DATASETS': {'NYUv2Dataset': (_dataset_cfg, None)},
    'TRANSFORMS': {
        'LoadNYUAnnotations': (dict(type='LoadNYUAnnotations'), None),
        'DepthTrainingTarget': (dict(type='DepthTrainingTarget'), None),
        'RandomZoomCrop': (dict(type='RandomZoomCrop'), None),
        'PackJointSegInputs': (dict(type='PackJointSegInputs'), None),
    },
    'METRICS': {
        'SemanticSegMetric': (dict(type='SemanticSegMetric'), None),
        'DepthEstimationMetric': (dict(type='DepthEstimationMetric'), None),
    },
    'HOOKS': {
        'PlainCheckpointHook': (dict(type='PlainCheckpointHook'), None),
        'JointVisualizationHook': (
            lambda tmp_path: dict(type='JointVisualizationHook',
                                  out_dir=str(tmp_path / 'figures')), None),
    },
    'RUNNERS': {
        'SafeResumeRunner': (
            # mmengine builds runners by ``runner_type``, not ``type``
            lambda tmp_path: dict(
                runner_type='SafeResumeRunner',
                model=tiny_segmentor_cfg(NUM_CLASSES, size=SIZE),
                work_dir=str(tmp_path / 'work'),
                default_scope='mmseg'), None),
    },
}


def recipe_names() -> list[tuple[str, str]]:
    return sorted((registry, name) for registry, names in RECIPES.items()
                  for name in names)


def test_every_registered_name_has_a_recipe():
    assert registered_names() == recipe_names()


@pytest.mark.parametrize('registry_name,name', registered_names(),
                         ids=lambda value: value)
def test_builds_from_the_registry(registry_name, name, tmp_path):
    cfg, _ = RECIPES[registry_name][name]
    if callable(cfg):
        cfg = cfg(tmp_path)
    registry = REGISTRIES[registry_name]
    assert registry.get(name) is not None
    built = registry.build(cfg)
    assert type(built).__name__ == name
    assert type(built).__module__.startswith('jointdepthseg.')


MODEL_COMPONENTS = [name for name, (_, run) in RECIPES['MODELS'].items()
                    if run is not None]


@pytest.mark.parametrize('name', MODEL_COMPONENTS)
def test_forward_backward_gives_every_parameter_a_gradient(name):
    torch.manual_seed(0)
    cfg, run = RECIPES['MODELS'][name]
    module = REGISTRIES['MODELS'].build(cfg)
    module.train()
    value = run(module)
    assert value.dim() == 0 and torch.isfinite(value), name
    value.backward()
    missing = [param_name for param_name, param in module.named_parameters()
               if param.requires_grad and (param.grad is None or not bool(
                   torch.isfinite(param.grad).all()))]
    assert not missing, f'{name}: no finite gradient for {missing}'


def test_model_components_have_a_forward_recipe():
    """Every registered model except data preprocessors (no parameters) runs
    forward and backward above."""
    without = {name for name, (_, run) in RECIPES['MODELS'].items()
               if run is None}
    assert without == {'JointSegDataPreProcessor'}


def test_our_names_do_not_shadow_mmengine_names():
    for registry_name, name in registered_names():
        root = ROOTS.get(registry_name)
        if root is not None:
            assert name not in root.module_dict, name
        # nor mmseg's own names of the same job
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
