"""configs/reuse/: our components inside stock mmseg models and vice versa.

Each config is built from its file with overrides that make it tiny, then
runs one training step (finite loss, a gradient for every parameter, an
optimizer step that moves the weights) and one prediction (fields and
sizes) on a tiny dataset read through the config's own pipelines.
"""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper

import jointdepthseg  # noqa: F401
from jointdepthseg.models import (DenseCRF, DepthBinHead,
                                  JointDepthSegmentor, MultiScaleNet)
from mmseg.models import EncoderDecoder
from mmseg.models.backbones import ResNetV1c
from mmseg.models.decode_heads import ASPPHead, FCNHead
from mmseg.registry import DATASETS, MODELS
from tests.helpers.tiny_data import write_tiny_dataset

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CROP = (32, 32)
IMAGE_HW = (37, 43)  # odd, larger than the crop, not a multiple of 8

# Overrides (config keys as in the files) that shrink each model.
TINY = {
    'resnet_aspp_joint_crf.py': {
        'model.backbone.depth': 18,  # BasicBlocks: 8, 16, 32, 64 channels
        'model.backbone.stem_channels': 8,
        'model.backbone.base_channels': 8,
        'model.decode_head.in_channels': 64,
        'model.decode_head.channels': 8,
        'model.depth_head.in_channels': [8, 16, 32, 64],
        'model.data_preprocessor.size': CROP,
    },
    'multiscale_net_encoder_decoder.py': {
        'model.backbone.width_mult': 1 / 16,  # branches: 4, 8, 8, 8, 64
        'model.decode_head.in_channels': [8, 4, 8, 8, 64],
        'model.decode_head.channels': 8,
        'model.data_preprocessor.size': CROP,
    },
}


def tiny_config(name, data_root):
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'reuse', name))
    cfg.merge_from_dict(TINY[name])
    for key in ('train_dataloader', 'test_dataloader'):
        dataset = cfg[key].dataset
        dataset.data_root = data_root
        for step in dataset.pipeline:
            if step['type'] == 'RandomCrop':
                step['crop_size'] = CROP
    return cfg


def load_batch(cfg, key, count):
    dataset = DATASETS.build(cfg[key].dataset)
    return pseudo_collate([dataset[i] for i in range(count)])


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    return write_tiny_dataset(tmp_path_factory.mktemp('reuse_data'),
                              num_train=2, num_test=1, size=IMAGE_HW)


def test_resnet_aspp_config_uses_stock_mmseg_parts_with_ours(data_root):
    model = MODELS.build(tiny_config('resnet_aspp_joint_crf.py',
                                     data_root).model)
    assert type(model) is JointDepthSegmentor
    assert type(model.backbone) is ResNetV1c
    assert type(model.decode_head) is ASPPHead
    assert type(model.depth_head) is DepthBinHead
    assert type(model.refiner) is DenseCRF
    assert model.refiner.kernels == ['appearance', 'depth', 'smooth']


def test_multiscale_net_config_is_a_stock_encoder_decoder(data_root):
    model = MODELS.build(tiny_config('multiscale_net_encoder_decoder.py',
                                     data_root).model)
    assert type(model) is EncoderDecoder
    assert type(model.backbone) is MultiScaleNet
    assert type(model.decode_head) is FCNHead
    assert model.decode_head.input_transform == 'resize_concat'
    assert model.decode_head.in_channels == sum(model.backbone.out_channels)


EXPECTED_LOSSES = {
    'resnet_aspp_joint_crf.py': {'decode.loss_ce', 'depth.loss_depth',
                                 'crf.loss_ce'},
    'multiscale_net_encoder_decoder.py': {'decode.loss_ce'},
}


@pytest.mark.slow
@pytest.mark.parametrize('name', sorted(TINY))
def test_one_training_step(name, data_root):
    torch.manual_seed(0)
    cfg = tiny_config(name, data_root)
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()
    # A step that shows in float32 for every parameter: some gradients are
    # ~1e-8 here (ASPP's image pool on a batch of 2), below what the NYU
    # rate (2.46e-4, practically no weight decay) moves in one step.
    cfg.optim_wrapper.optimizer.lr = 1.0
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    optim_wrapper.zero_grad()
    data = model.data_preprocessor(load_batch(cfg, 'train_dataloader', 2),
                                   training=True)
    assert data['inputs'].shape == (2, 3, *CROP)
    losses = model(**data, mode='loss')
    assert EXPECTED_LOSSES[name] <= set(losses)
    loss, _ = model.parse_losses(losses)
    assert torch.isfinite(loss) and loss.item() > 0
    loss.backward()
    # every parameter is reached by the loss (no dead branch or head); some
    # gradients are exactly zero at step 0 by design (ResNet's
    # zero_init_residual zeroes the last BN of each block)
    moving = {}
    for key, value in model.named_parameters():
        assert value.grad is not None, f'{key} got no gradient'
        assert torch.isfinite(value.grad).all(), key
        if value.grad.abs().sum() > 0:
            moving[key] = value.detach().clone()
    assert moving
    optim_wrapper.step()
    parameters = dict(model.named_parameters())
    for key, before in moving.items():
        assert torch.isfinite(parameters[key]).all(), key
        assert not torch.equal(parameters[key].detach(), before), key


@pytest.mark.parametrize('name', sorted(TINY))
def test_one_prediction(name, data_root):
    torch.manual_seed(0)
    cfg = tiny_config(name, data_root)
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.eval()
    with torch.no_grad():
        sample = model.test_step(load_batch(cfg, 'test_dataloader', 1))[0]
    assert sample.seg_logits.data.shape == (40, *IMAGE_HW)
    labels = sample.pred_sem_seg.data
    assert labels.shape == (1, *IMAGE_HW)
    assert torch.equal(labels[0], sample.seg_logits.data.argmax(0))
    if name == 'resnet_aspp_joint_crf.py':
        depth = sample.pred_depth_map.data
        assert depth.shape == (1, *IMAGE_HW)
        # Eq. 3: an expectation over bins of 0.14 m .. 50 * 0.14 m
        assert (depth >= 0.14).all() and (depth <= 7.0).all()
        assert sample.pred_sem_seg_unary.data.shape == (1, *IMAGE_HW)
    else:
        assert 'pred_depth_map' not in sample
