"""Photos from any camera: inference resizes a photo to the config's
``inference_scale`` (aspect ratio kept), predicts, and returns labels and
depth at the photo's size; depth in metres does not depend on the photo's
resolution."""
import copy
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config

from jointdepthseg.apis import inference, init_model
from jointdepthseg.apis.pipeline import inference_pipeline
from tests.helpers.tiny_configs import MEAN, STD, random_rgb, write_config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCALE = (32, 24)  # (long edge, short edge) of the tiny test models


@pytest.fixture(scope='module')
def model(tmp_path_factory):
    """A 1/16-width stage-2 model with random weights, trained 'at' 24x32.
    Its depth classifiers (initialised with std 0.01, which gives an almost
    flat 3.57 m) are scaled x30 so that depth varies with the image by
    tenths of metres, as a trained model's does."""
    config = write_config(tmp_path_factory.mktemp('scale'), scale=SCALE)
    torch.manual_seed(4)
    model = init_model(config)
    model.init_weights()
    with torch.no_grad():
        for name, weight in model.depth_head.named_parameters():
            if name.endswith('weight'):
                weight.mul_(30.0)
    return model


def scaled_size(height, width, scale=SCALE):
    """By hand: the largest factor that keeps the long edge <= scale[0] and
    the short edge <= scale[1], sizes rounded half up (mmcv's rule)."""
    factor = min(max(scale) / max(height, width),
                 min(scale) / min(height, width))
    return int(height * factor + 0.5), int(width * factor + 0.5)


def hand_prediction(model, rgb, scale=SCALE):
    """Independent path: resize with OpenCV, normalise, run the network,
    resize logits and depth bilinearly back to the photo's size.
    Returns ((H, W) labels, (H, W) depth in metres)."""
    height, width = rgb.shape[:2]
    net_h, net_w = scaled_size(height, width, scale)
    small = cv2.resize(rgb, (net_w, net_h), interpolation=cv2.INTER_LINEAR)
    image = torch.from_numpy(small).permute(2, 0, 1).float()
    with torch.no_grad():
        logits, depth = model._forward(((image - MEAN) / STD)[None])
    back = F.interpolate(torch.cat([logits, depth], 1), size=(height, width),
                         mode='bilinear', align_corners=False)[0]
    return back[:-1].argmax(0).numpy(), back[-1].numpy()


@pytest.mark.parametrize('size', [(37, 53), (64, 48), (9, 11), (96, 128)])
def test_photo_is_resized_keeping_its_aspect_and_predicted_at_its_size(
        model, size):
    rgb = random_rgb(*size, seed=sum(size))
    packed = inference_pipeline(model.cfg)(dict(img=rgb[..., ::-1].copy()))
    meta = packed['data_samples'].metainfo
    assert tuple(meta['ori_shape']) == size
    assert tuple(meta['img_shape']) == scaled_size(*size)
    assert tuple(packed['inputs'].shape[1:]) == scaled_size(*size)
    result = inference(model, rgb, return_probabilities=True)
    labels, depth = hand_prediction(model, rgb)
    assert result.labels.shape == size and result.depth.shape == size
    assert result.probabilities.shape == (40, *size)
    np.testing.assert_array_equal(result.labels, labels)
    np.testing.assert_allclose(result.depth, depth, rtol=1e-5, atol=1e-5)


def test_depth_in_metres_does_not_depend_on_the_photos_resolution(model):
    """The same scene at 24x32, 48x64 and 72x96 (each pixel repeated k x k
    times): the network sees the same 24x32 image, so the depth at k x the
    size is the 24x32 depth resized bilinearly, value for value."""
    rng = np.random.default_rng(0)
    scene = rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)
    base = inference(model, scene)
    base_depth = torch.from_numpy(base.depth)[None, None]
    for k in (2, 3):
        photo = scene.repeat(k, axis=0).repeat(k, axis=1)
        result = inference(model, photo)
        assert result.depth.shape == (24 * k, 32 * k)
        expected = F.interpolate(base_depth, scale_factor=k, mode='bilinear',
                                 align_corners=False)[0, 0].numpy()
        np.testing.assert_allclose(result.depth, expected, rtol=1e-5,
                                   atol=1e-5)
        assert abs(result.depth.mean() - base.depth.mean()) < 1e-3


def test_without_resizing_depth_would_change_with_the_resolution(model):
    """The failure the scale prevents: the same 72x96 photo run at its own
    size gives other depths than at the model's scale."""
    rng = np.random.default_rng(0)
    scene = rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)
    photo = scene.repeat(3, axis=0).repeat(3, axis=1)
    native = init_model(model.cfg, cfg_options={'inference_scale': None})
    native.load_state_dict(model.state_dict())
    resized = inference(model, photo).depth
    at_own_size = inference(native, photo).depth
    assert resized.std() > 0.2  # metres: the depth varies over the image
    assert np.abs(resized - at_own_size).mean() > 0.1


def test_the_test_pipelines_own_resize_is_used(model):
    cfg = copy.deepcopy(model.cfg)
    cfg.inference_scale = None
    steps = cfg.test_dataloader.dataset.pipeline
    steps.insert(1, dict(type='Resize', scale=SCALE, keep_ratio=True))
    own = init_model(cfg)
    own.load_state_dict(model.state_dict())
    pipeline = inference_pipeline(cfg)
    names = [type(step).__name__ for step in pipeline.transforms]
    assert names == ['LoadImageFromNDArray', 'Resize', 'PackSegInputs']
    rgb = random_rgb(50, 70, seed=9)
    np.testing.assert_allclose(inference(own, rgb).depth,
                               inference(model, rgb).depth, rtol=1e-6)
    cfg.inference_scale = SCALE  # two scales: refused
    with pytest.raises(ValueError, match='already resizes'):
        inference_pipeline(cfg)


@pytest.mark.parametrize('scale', [(0, 24), (32,), 'big', (32.0, 24.0)])
def test_a_bad_scale_is_refused(model, scale):
    cfg = copy.deepcopy(model.cfg)
    cfg.inference_scale = scale
    with pytest.raises(ValueError, match='inference_scale must be None or'):
        inference_pipeline(cfg)


@pytest.mark.parametrize('config, landscape', [
    ('configs/nyu/stage3_crf.py', (480, 640)),
    ('configs/synthetic/stage2_joint.py', (120, 160)),
    ('configs/reuse/multiscale_net_encoder_decoder.py', (480, 640))])
def test_our_configs_bring_a_large_photo_to_their_training_scale(
        config, landscape):
    cfg = Config.fromfile(osp.join(ROOT, config))
    pipeline = inference_pipeline(cfg)
    for shape, expected in (((1200, 1600), landscape),
                            ((1600, 1200), landscape[::-1]),
                            ((60, 80), landscape)):  # small ones grow
        packed = pipeline(dict(img=np.zeros((*shape, 3), np.uint8)))
        meta = packed['data_samples'].metainfo
        assert tuple(meta['img_shape']) == expected
        assert tuple(meta['ori_shape']) == shape
