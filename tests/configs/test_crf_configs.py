"""configs/crf/: mmseg's stock DeepLabV3 config with our CRF.

Each config loads (its ``mmseg::`` base from the installed mmseg), stays
within two levels of ``_base_``, builds, and does what its comments say:
the inference config predicts in slide mode with one CRF call per batch;
the refiner-only config trains refiner.* alone (every other weight gets no
gradient and stays put); the end-to-end config trains both. Inputs are
shrunk (64 x 128 crops) so that a ResNet-50 step takes seconds on a CPU.
"""
import glob
import importlib.util
import os.path as osp
import re

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.runner.checkpoint import load_state_dict
from mmengine.structures import PixelData

import jointdepthseg  # noqa: F401  (registers the components)
from jointdepthseg.fileio import atomic_write_png
from jointdepthseg.models.segmentors.crf_refinement import \
    check_not_one_view_of_many
from mmseg.registry import MODELS, TRANSFORMS
from mmseg.structures import SegDataSample
from tests.helpers.config_files import base_depth, base_file
from tests.helpers.crf_segmentors import LogLines

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CRF_CONFIGS = sorted(glob.glob(osp.join(ROOT, 'configs', 'crf', '*.py')))
NAMES = {osp.basename(path): path for path in CRF_CONFIGS}
INFERENCE = NAMES['deeplabv3_r50-d8_crf_slide_cityscapes-512x1024.py']
FROZEN = NAMES['deeplabv3_r50-d8_crf-frozen_1xb2-400it_cityscapes-512x1024.py']
END_TO_END = NAMES['deeplabv3_r50-d8_crf-e2e_4xb2-4k_cityscapes-512x1024.py']
CROP = (64, 128)


def unscoped(steps: list) -> list:
    """Pipeline steps without the ``_scope_`` mmengine adds to inherited
    dicts."""
    return [{k: v for k, v in step.items() if k != '_scope_'}
            for step in steps]


def load(path: str) -> Config:
    cfg = Config.fromfile(path)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    return cfg


@pytest.mark.parametrize('path', CRF_CONFIGS, ids=osp.basename)
def test_config_is_the_stock_one_plus_the_crf(path):
    cfg = load(path)
    assert cfg.custom_imports == dict(imports=['jointdepthseg'],
                                      allow_failed_imports=False)
    assert base_depth(path) <= 2
    assert Config._get_base_files(path) == [
        'mmseg::deeplabv3/deeplabv3_r50-d8_4xb2-40k_cityscapes-512x1024.py']
    stock = Config.fromfile(base_file(path, Config._get_base_files(path)[0]))
    # the network, its preprocessing and the pipelines are mmseg's
    for key in ('backbone', 'decode_head', 'auxiliary_head',
                'data_preprocessor'):
        assert cfg.model[key] == stock.model[key], key
    assert unscoped(cfg.test_pipeline) == unscoped(stock.test_pipeline)
    assert cfg.model.test_cfg.mode == 'slide'
    assert cfg.tta_model.type == 'CRFSegTTAModel'
    model = MODELS.build(cfg.model)
    assert type(model).__name__ == 'CRFEncoderDecoder'
    assert model.refiner.num_classes == model.decode_head.num_classes == 19
    for key in ('train_dataloader', 'test_dataloader'):
        for step in cfg[key].dataset.pipeline:
            TRANSFORMS.build(step)


def small(cfg: Config) -> Config:
    """64 x 128 crops and windows, so that ResNet-50 runs in seconds."""
    cfg.model.data_preprocessor.size = CROP
    cfg.model.test_cfg.crop_size = (64, 64)
    cfg.model.test_cfg.stride = (48, 48)
    return cfg


def batch(size=1, seed=0):
    """``size`` random images with labels (training BN needs 2: ASPP's
    image pooling leaves one value per channel and image)."""
    generator = torch.Generator().manual_seed(seed)
    images, samples = [], []
    for index in range(size):
        sample = SegDataSample(metainfo=dict(
            img_shape=CROP, ori_shape=CROP, img_path=f'frame{index}.png'))
        sample.gt_sem_seg = PixelData(data=torch.randint(
            0, 19, (1, *CROP), generator=generator))
        samples.append(sample)
        images.append(torch.randint(0, 256, (3, *CROP), generator=generator,
                                    dtype=torch.uint8))
    return dict(inputs=images, data_samples=samples)


@pytest.mark.slow
def test_inference_config_refines_the_stitched_image_once():
    cfg = small(load(INFERENCE))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).eval()
    calls = []
    model.refiner.register_forward_hook(
        lambda module, args, out: calls.append(args[0].shape))
    with torch.no_grad():
        (sample,) = model.test_step(batch())
    assert calls == [(1, 19, *CROP)]  # 3 windows stitched, 1 CRF call
    assert sample.seg_logits.data.shape == (19, *CROP)
    assert 'pred_sem_seg_unary' in sample


def train_one_step(path):
    cfg = small(load(path))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)  # random weights (no download)
    model.train()
    before = {name: param.detach().clone()
              for name, param in model.named_parameters()}
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    losses = model.train_step(batch(size=2), optim_wrapper)
    return model, before, losses


@pytest.mark.slow
def test_refiner_only_config_trains_the_crf_and_nothing_else():
    model, before, losses = train_one_step(FROZEN)
    assert {k for k in losses if 'loss' in k} == {'crf.loss_ce', 'loss'}
    for name, param in model.named_parameters():
        if name.startswith('refiner.'):
            assert not torch.equal(param, before[name]), name
        else:
            assert param.grad is None, name
            assert torch.equal(param, before[name]), name


@pytest.mark.slow
def test_end_to_end_config_trains_network_and_crf():
    model, before, losses = train_one_step(END_TO_END)
    assert {'decode.loss_ce', 'aux.loss_ce', 'crf.loss_ce'} <= set(losses)
    changed = {name for name, param in model.named_parameters()
               if not torch.equal(param, before[name])}
    assert {'refiner.compatibility', 'decode_head.conv_seg.weight',
            'backbone.stem.0.weight'} <= changed


# ------------------------------------------------------ docs/reuse.md

DOCS = osp.join(ROOT, 'docs', 'reuse.md')


def docs_section() -> str:
    text = open(DOCS).read()
    start = text.index('## The dense CRF on any mmseg model')
    return text[start:text.index('\n## ', start + 1)]


def code_lines(section: str) -> list:
    """The lines of the section's code blocks."""
    return [line for block in section.split('```')[1::2]
            for line in block.splitlines()[1:]]


def test_docs_name_only_existing_crf_configs():
    named = set(re.findall(r'configs/crf/[\w.-]+\.py', docs_section()))
    assert named == {osp.relpath(path, ROOT) for path in CRF_CONFIGS}


def test_docs_show_the_refiner_line_users_see():
    """Loading the stock model's weights into the inference config's model
    logs exactly the line the docs show."""
    cfg = load(INFERENCE)
    stock_cfg = Config.fromfile(base_file(
        INFERENCE, Config._get_base_files(INFERENCE)[0]))
    stock = MODELS.build(stock_cfg.model)
    model = MODELS.build(cfg.model)
    with LogLines() as log:
        load_state_dict(model, stock.state_dict(), strict=True)
    (line,) = log.lines
    assert line in code_lines(docs_section())


def test_docs_show_the_stock_tta_error():
    shown = next(line for line in code_lines(docs_section())
                 if 'another test-time view' in line)
    metas = [dict(img_path='a.png', img_shape=shape) for shape in
             ((4, 4), (2, 2))]
    state = check_not_one_view_of_many(None, metas[:1], 'CRFEncoderDecoder')
    with pytest.raises(RuntimeError) as error:
        check_not_one_view_of_many(state, metas[1:], 'CRFEncoderDecoder')
    before, after = shown.split('(...)')
    assert str(error.value) == f'{before}(a.png){after}'


def write_tiny_cityscapes(root, names=('a', 'b'), size=(64, 128)):
    """Two images in Cityscapes' layout (train and val) with train ids."""
    rng = np.random.default_rng(0)
    for split in ('train', 'val'):
        for name in names:
            stem = f'city_{name}_000000'
            image = osp.join(root, 'leftImg8bit', split, 'city',
                             f'{stem}_leftImg8bit.png')
            labels = osp.join(root, 'gtFine', split, 'city',
                              f'{stem}_gtFine_labelTrainIds.png')
            atomic_write_png(image, rng.integers(0, 256, (*size, 3),
                                                 dtype=np.uint8), rgb=True)
            atomic_write_png(labels, rng.integers(0, 19, size,
                                                  dtype=np.uint8))


@pytest.mark.slow
def test_the_documented_training_command_runs(tmp_path):
    """``python tools/train.py CONFIG`` of the refiner-only config, on a
    two-image Cityscapes folder, 64 x 128 crops, one iteration, from random
    weights (not the zoo download)."""
    write_tiny_cityscapes(str(tmp_path / 'cityscapes'))
    spec = importlib.util.spec_from_file_location(
        'train_tool', osp.join(ROOT, 'tools', 'train.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    work = tmp_path / 'work'
    tool.main([FROZEN, '--work-dir', str(work), '--cfg-options',
               f'train_dataloader.dataset.data_root={tmp_path}/cityscapes',
               'train_dataloader.num_workers=0',
               'train_dataloader.persistent_workers=False',
               'train_dataloader.dataset.pipeline.2.scale=(128,64)',
               'train_dataloader.dataset.pipeline.3.crop_size=(64,128)',
               'model.data_preprocessor.size=(64,128)',
               'train_cfg.max_iters=1', 'val_cfg=None', 'val_dataloader=None',
               'val_evaluator=None', 'default_hooks.checkpoint=None',
               'load_from=None'])
    logs = glob.glob(str(work / '*' / '*.log'))
    assert logs and 'crf.loss_ce' in open(logs[0]).read()
