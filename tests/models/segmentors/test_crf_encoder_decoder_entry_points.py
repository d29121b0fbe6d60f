"""CRFEncoderDecoder through mmseg's own doors, unchanged: ``init_model`` /
``inference_model``, ``MMSegInferencer``, mmseg's shipped ``tools/test.py``
(plain and ``--tta``) and ours, on a tiny config with a stock checkpoint."""
import importlib.util
import os.path as osp
import subprocess
import sys

import mmseg
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import jointdepthseg  # noqa: F401  (registers the components)
from jointdepthseg.datasets.nyu_classes import NYU40_CLASSES, NYU40_PALETTE
from jointdepthseg.fileio import sample_paths
from mmseg.apis import MMSegInferencer, inference_model, init_model
from mmseg.registry import MODELS
from tests.helpers.tiny_data import write_tiny_dataset
from tests.helpers.crf_segmentors import LogLines

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
MMSEG_TEST_TOOL = osp.join(osp.dirname(mmseg.__file__), '.mim', 'tools',
                           'test.py')
OUR_TEST_TOOL = osp.join(ROOT, 'tools', 'test.py')
SIZE = (24, 32)
REFINER_LINE = 'no refiner.* weights'

CONFIG = '''
custom_imports = dict(imports=['jointdepthseg'], allow_failed_imports=False)
default_scope = 'mmseg'
channels = [4, 8, 8, 8, 64]
model = dict(
    type='{type}',
    data_preprocessor=dict(
        type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375], bgr_to_rgb=True, size_divisor=8,
        test_cfg=dict(size_divisor=8)),
    backbone=dict(type='MultiScaleNet', width_mult=1 / 16),
    decode_head=dict(
        type='FCNHead', in_channels=channels, in_index=[0, 1, 2, 3, 4],
        input_transform='resize_concat', channels=8, num_convs=1,
        concat_input=False, num_classes=40),
    test_cfg=dict(mode='slide', crop_size=(16, 16), stride=(12, 12)),
    {refiner})
# mmseg's LoadAnnotations, which inference_model drops
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
tta_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='TestTimeAug', transforms=[
        [dict(type='Resize', scale_factor=r, keep_ratio=True)
         for r in (0.5, 1.0)],
        [dict(type='RandomFlip', prob=0., direction='horizontal'),
         dict(type='RandomFlip', prob=1., direction='horizontal')],
        [dict(type='LoadAnnotations')],
        [dict(type='PackSegInputs')]]),
]
tta_model = dict(type='CRFSegTTAModel')
test_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='NYUv2Dataset', data_root={data_root!r}, split='test',
                 pipeline=test_pipeline))
test_evaluator = [
    dict(type='SemanticSegMetric'),
    dict(type='SemanticSegMetric', pred_key='pred_sem_seg_unary',
         prefix='unary'),
]
test_cfg = dict(type='TestLoop')
visualizer = dict(type='SegLocalVisualizer', name='visualizer',
                  vis_backends=[dict(type='LocalVisBackend')])
'''
REFINER = ("refiner=dict(type='DenseCRF', num_classes=40, w_depth=None, "
           "theta_alpha=8., theta_beta=20., theta_tau=2.)")


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    """(crf config, stock config, stock checkpoint, an image path)."""
    folder = tmp_path_factory.mktemp('crf_entry_points')
    root = write_tiny_dataset(folder / 'data', num_train=1, num_test=2,
                              size=SIZE)
    paths = {}
    for name, kind, refiner in (('crf', 'CRFEncoderDecoder', REFINER),
                                ('stock', 'EncoderDecoder', '')):
        paths[name] = str(folder / f'{name}.py')
        with open(paths[name], 'w') as file:
            file.write(CONFIG.format(type=kind, refiner=refiner,
                                     data_root=root))
    init_default_scope('mmseg')
    torch.manual_seed(0)
    stock = MODELS.build(Config.fromfile(paths['stock']).model)
    stock.init_weights()
    checkpoint = str(folder / 'stock.pth')
    torch.save(dict(state_dict=stock.state_dict(), meta=dict(
        dataset_meta=dict(classes=NYU40_CLASSES, palette=NYU40_PALETTE))),
        checkpoint)
    image = sample_paths(root, 'test', '0001')['image']
    return paths['crf'], paths['stock'], checkpoint, image


def test_init_model_and_inference_model(setup):
    config, stock_config, checkpoint, image = setup
    with LogLines() as log:
        model = init_model(config, checkpoint, device='cpu')
    assert len([line for line in log.lines if REFINER_LINE in line]) == 1
    assert not any('missing' in line for line in log.lines), log.lines
    stock = init_model(stock_config, checkpoint, device='cpu')
    result = inference_model(model, image)
    expected = inference_model(stock, image)
    assert result.seg_logits.data.shape == (40, *SIZE)
    torch.testing.assert_close(result.seg_logits_unary.data,
                               expected.seg_logits.data)
    assert not torch.allclose(result.seg_logits.data,
                              result.seg_logits_unary.data)


def test_mmseg_inferencer(setup):
    config, _, checkpoint, image = setup
    inferencer = MMSegInferencer(model=config, weights=checkpoint,
                                 device='cpu')
    sample = inferencer(image, return_datasamples=True)
    expected = inference_model(init_model(config, checkpoint, device='cpu'),
                               image)
    torch.testing.assert_close(sample.seg_logits.data,
                               expected.seg_logits.data)
    assert 'pred_sem_seg_unary' in sample


def load_our_test_tool():
    spec = importlib.util.spec_from_file_location('our_test_tool',
                                                  OUR_TEST_TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_our_tools_test(setup, tmp_path):
    config, _, checkpoint, _ = setup
    metrics = load_our_test_tool().main(
        [config, checkpoint, '--work-dir', str(tmp_path / 'work')])
    assert {'sem/mIoU', 'unary/mIoU'} <= set(metrics)


@pytest.mark.slow
@pytest.mark.parametrize('tta', [False, True], ids=['plain', 'tta'])
def test_mmseg_tools_test(setup, tmp_path, tta):
    config, _, checkpoint, _ = setup
    command = [sys.executable, MMSEG_TEST_TOOL, config, checkpoint,
               '--work-dir', str(tmp_path / 'work')]
    if tta:
        command.append('--tta')
    run = subprocess.run(command, capture_output=True, text=True,
                         timeout=600, cwd=str(tmp_path))
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-3000:]
    assert 'sem/mIoU' in output and 'unary/mIoU' in output, output[-3000:]
    said = [line for line in output.splitlines() if REFINER_LINE in line]
    assert len(said) == 1, said
    assert 'missing keys' not in output
