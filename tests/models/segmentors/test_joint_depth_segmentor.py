"""JointDepthSegmentor: Eq. 1, predictions, padding, refiner wiring, overfit."""
import pytest
import torch
from mmengine.structures import PixelData
from torch import nn

import jointdepthseg  # noqa: F401
from jointdepthseg.models.segmentors.postprocess import \
    restore_original_size
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from tests.helpers.tiny_models import tiny_segmentor_cfg


def make_batch(batch=2, size=(20, 28), num_classes=6, seed=0, flip=False):
    generator = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    for _ in range(batch):
        inputs.append(torch.randint(0, 255, (3, *size), generator=generator,
                                    dtype=torch.uint8))
        labels = torch.randint(0, num_classes, (1, *size), generator=generator)
        depth = torch.rand(1, *size, generator=generator) * 5 + 0.5
        sample = SegDataSample(metainfo=dict(
            img_shape=size, ori_shape=size, flip=flip,
            flip_direction='horizontal'))
        sample.gt_sem_seg = PixelData(data=labels)
        sample.gt_depth_map = PixelData(data=depth)
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def test_preprocessor_pads_depth_with_zero_and_labels_with_255():
    model = MODELS.build(tiny_segmentor_cfg(size=(32, 32)))
    data = model.data_preprocessor(make_batch(size=(20, 28)), training=True)
    assert data['inputs'].shape == (2, 3, 32, 32)
    sample = data['data_samples'][0]
    assert (sample.gt_sem_seg.data[:, 20:, :] == 255).all()
    assert (sample.gt_depth_map.data[:, 20:, :] == 0).all()
    assert (sample.gt_depth_map.data[:, :, 28:] == 0).all()
    assert (sample.gt_depth_map.data[:, :20, :28] > 0).all()


def test_loss_is_eq1():
    torch.manual_seed(0)
    model = MODELS.build(tiny_segmentor_cfg())
    model.init_weights()
    data = model.data_preprocessor(make_batch(), training=True)
    losses = model(**data, mode='loss')
    assert set(losses) == {'decode.loss_ce', 'decode.acc_seg',
                           'depth.loss_depth'}
    # lambda = 0.5 multiplies the semantic loss only
    feats = model.extract_feat(data['inputs'])
    logits = model.decode_head(feats)
    ce = model.decode_head.loss_by_feat(logits, data['data_samples'])
    assert losses['decode.loss_ce'].item() == pytest.approx(
        0.5 * ce['loss_ce'].item(), rel=1e-5)


def test_stage1_has_no_depth_and_predicts_labels_only():
    model = MODELS.build(tiny_segmentor_cfg(with_depth=False))
    data = model.data_preprocessor(make_batch(), training=True)
    assert set(model(**data, mode='loss')) == {'decode.loss_ce',
                                               'decode.acc_seg'}
    model.eval()
    with torch.no_grad():
        out = model.test_step(make_batch())
    assert 'pred_depth_map' not in out[0]


def test_predict_restores_original_size_padding_and_flip():
    torch.manual_seed(0)
    model = MODELS.build(tiny_segmentor_cfg(size=(32, 32)))
    model.data_preprocessor.test_cfg = dict(size=(32, 32))
    model.eval()
    batch = make_batch(batch=1, size=(20, 28))
    batch['data_samples'][0].set_metainfo(dict(ori_shape=(40, 56)))
    with torch.no_grad():
        sample = model.test_step(batch)[0]
    assert sample.seg_logits.data.shape == (6, 40, 56)
    assert sample.pred_sem_seg.data.shape == (1, 40, 56)
    assert sample.pred_depth_map.data.shape == (1, 40, 56)
    depth = sample.pred_depth_map.data
    assert (depth >= 0.14 - 1e-5).all() and (depth <= 7.0 + 1e-5).all()
    torch.testing.assert_close(sample.pred_sem_seg.data[0],
                               sample.seg_logits.data.argmax(0))



def test_restore_original_size_unpads_unflips_and_resizes():
    maps = torch.arange(2 * 6 * 8, dtype=torch.float32).reshape(2, 6, 8)
    meta = dict(padding_size=(0, 2, 0, 1), flip=True,
                flip_direction='horizontal', ori_shape=(5, 6))
    out = restore_original_size(maps, meta)
    # 1 padded row and 2 padded columns go; then a mirror; size already right
    torch.testing.assert_close(out, maps[:, :5, :6].flip(-1))
    meta = dict(flip=True, flip_direction='vertical', ori_shape=(12, 16))
    out = restore_original_size(maps, meta)
    expected = torch.nn.functional.interpolate(
        maps.flip(1)[None], size=(12, 16), mode='bilinear',
        align_corners=False)[0]
    torch.testing.assert_close(out, expected)


@MODELS.register_module(name='_TestScaleRefiner', force=True)
class _TestScaleRefiner(nn.Module):
    """Test stand-in for the CRF: logits * s + depth-dependent offset."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(2.0))
        self.calls = []

    def forward(self, logits, image, depth=None):
        self.calls.append((image.detach().clone(), depth))
        return logits * self.scale + depth.mean()


def test_refiner_gets_rgb_image_and_detached_depth_and_joins_loss():
    model = MODELS.build(tiny_segmentor_cfg(refiner=dict(
        type='_TestScaleRefiner')))
    batch = make_batch()
    data = model.data_preprocessor(batch, training=True)
    losses = model(**data, mode='loss')
    assert {'crf.loss_ce', 'crf.acc_seg'} <= set(losses)
    image, depth = model.refiner.calls[-1]
    assert not depth.requires_grad
    # the refiner sees the un-normalised RGB image (0-255)
    expected_rgb = batch['inputs'][0].float()[[2, 1, 0]]
    torch.testing.assert_close(image[0, :, :20, :28], expected_rgb,
                               atol=1e-3, rtol=1e-5)
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert model.refiner.scale.grad is not None

    model.eval()
    with torch.no_grad():
        sample = model.test_step(make_batch(batch=1))[0]
    unary = sample.seg_logits_unary.data
    torch.testing.assert_close(sample.pred_sem_seg_unary.data[0],
                               unary.argmax(0))
    assert not torch.allclose(sample.seg_logits.data, unary)


def test_every_parameter_gets_a_gradient():
    model = MODELS.build(tiny_segmentor_cfg())
    data = model.data_preprocessor(make_batch(), training=True)
    losses = model(**data, mode='loss')
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    for name, param in model.named_parameters():
        assert param.grad is not None, name
        assert torch.isfinite(param.grad).all(), name


def test_tiny_model_overfits_a_fixed_batch():
    torch.manual_seed(0)
    model = MODELS.build(tiny_segmentor_cfg(size=(24, 24)))
    model.init_weights()
    batch = make_batch(batch=2, size=(24, 24))
    # learnable structure: labels and depth follow the image's red channel
    for inputs, sample in zip(batch['inputs'], batch['data_samples']):
        red = inputs[0].float()
        sample.gt_sem_seg.data = (red[None] // 43).long().clamp(max=5)
        sample.gt_depth_map.data = 0.5 + red[None] / 255 * 5
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    history = []
    for _ in range(60):
        data = model.data_preprocessor(batch, training=True)
        losses = model(**data, mode='loss')
        total = losses['decode.loss_ce'] + losses['depth.loss_depth']
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
        history.append((losses['decode.loss_ce'].item(),
                        losses['depth.loss_depth'].item()))
    (ce0, depth0), (ce1, depth1) = history[0], history[-1]
    assert ce1 < 0.5 * ce0, history
    assert depth1 < 0.5 * depth0, history


# ------------------------------------------------ refinement after stitching

def test_slide_needs_crop_size_and_stride_and_other_modes_are_refused():
    cfg = tiny_segmentor_cfg()
    cfg['test_cfg'] = dict(mode='slide', crop_size=(8, 8))
    with pytest.raises(ValueError, match='needs crop_size and stride'):
        MODELS.build(cfg)
    cfg['test_cfg'] = dict(mode='tiles')
    with pytest.raises(ValueError, match=r"mode must be one of \('whole', "
                       r"'slide'\), got 'tiles'"):
        MODELS.build(cfg)


def test_mmseg_init_model_pretrained_none_is_accepted():
    cfg = tiny_segmentor_cfg()
    MODELS.build(dict(cfg, pretrained=None))
    with pytest.raises(ValueError, match='pretrained must be None'):
        MODELS.build(dict(cfg, pretrained='weights.pth'))


def test_slide_stitches_logits_and_depth_then_refines_once():
    """Slide inference with one window covering the whole input equals
    whole inference; with several windows the refiner still runs once, on
    the stitched logits and depth at the original size."""
    torch.manual_seed(0)
    cfg = tiny_segmentor_cfg(refiner=dict(type='_TestScaleRefiner'),
                             size=(32, 32))
    whole = MODELS.build(cfg)
    whole.init_weights()
    cfg['test_cfg'] = dict(mode='slide', crop_size=(32, 32), stride=(16, 16))
    one_window = MODELS.build(cfg)
    one_window.load_state_dict(whole.state_dict())
    cfg['test_cfg'] = dict(mode='slide', crop_size=(16, 16), stride=(8, 12))
    windows = MODELS.build(cfg)
    windows.load_state_dict(whole.state_dict())
    results = {}
    for name, model in (('whole', whole), ('one', one_window),
                        ('windows', windows)):
        model.eval()
        model.data_preprocessor.test_cfg = dict(size=(32, 32))
        batch = make_batch(batch=2, size=(20, 28))
        with torch.no_grad():
            results[name] = model.test_step(batch)
        (image, depth), = model.refiner.calls
        assert image.shape == (2, 3, 20, 28) and depth.shape == (2, 1, 20, 28)
    for key in ('seg_logits', 'seg_logits_unary', 'pred_depth_map'):
        torch.testing.assert_close(results['one'][0].get(key).data,
                                   results['whole'][0].get(key).data)
    # the stitched unaries are the windows' mean (sliding_window's test),
    # so they differ from the whole image's where context reaches a border
    assert not torch.allclose(results['windows'][0].seg_logits_unary.data,
                              results['whole'][0].seg_logits_unary.data)
    (image, depth), = windows.refiner.calls
    refined = (results['windows'][0].seg_logits_unary.data * 2
               + depth.mean())
    torch.testing.assert_close(results['windows'][0].seg_logits.data,
                               refined)


def test_unpadded_input_predicts_exactly_as_refining_at_the_input_size():
    """The synthetic demo's case (no padding, no resize): refining after
    restoring to the original size changes nothing, bit for bit."""
    torch.manual_seed(0)
    crf = dict(type='DenseCRF', num_classes=6, num_iters=3, theta_alpha=8.,
               theta_beta=20., theta_gamma=8., theta_tau=2.)
    model = MODELS.build(tiny_segmentor_cfg(refiner=crf, size=(20, 28)))
    model.init_weights()
    model.eval()
    batch = make_batch(batch=2, size=(20, 28))
    data = model.data_preprocessor(batch, False)
    with torch.no_grad():
        at_input_size = model._forward_heads(data['inputs'])
        samples = model.predict(**data)
    for index, sample in enumerate(samples):
        torch.testing.assert_close(sample.seg_logits.data,
                                   at_input_size['refined_logits'][index],
                                   rtol=0, atol=0)
        torch.testing.assert_close(sample.pred_depth_map.data,
                                   at_input_size['depth'][index],
                                   rtol=0, atol=0)
