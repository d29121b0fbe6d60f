"""CRFEncoderDecoder: a stock mmseg model with the CRF after inference."""
import mmcv
import numpy as np
import pytest
import torch
from mmengine.runner import load_checkpoint

from mmseg.models.segmentors import SegTTAModel
from mmseg.registry import MODELS
from tests.helpers.crf_segmentors import (NUM_CLASSES, LogLines,
                                                 crf_cfg, make_batch,
                                                 stock_cfg, tiny_crf)


def built(cfg, seed=0):
    torch.manual_seed(seed)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def cascade(cfg, crf=True, second='OCRHead'):
    """The config as a two-stage CascadeEncoderDecoder: FCN, then OCR (or
    the pixelwise ``_TestPixelCascadeHead``)."""
    cfg['type'] = 'CRFCascadeEncoderDecoder' if crf else \
        'CascadeEncoderDecoder'
    cfg['num_stages'] = 2
    head = dict(type=second, in_channels=6, channels=6,
                num_classes=NUM_CLASSES, norm_cfg=None, dropout_ratio=0.)
    if second == 'OCRHead':
        head['ocr_channels'] = 4
    cfg['decode_head'] = [cfg['decode_head'], head]
    return cfg


# --------------------------------------------------------------- loading

@pytest.mark.parametrize('kind', ['EncoderDecoder', 'Cascade'])
def test_stock_checkpoint_loads_and_only_the_refiner_is_said_missing_once(
        kind, tmp_path):
    stock, crf = stock_cfg(), crf_cfg(refiner=tiny_crf())
    if kind == 'Cascade':
        stock, crf = cascade(stock, crf=False), cascade(crf)
    stock_model = built(stock, seed=1)
    path = str(tmp_path / 'stock.pth')
    torch.save(dict(state_dict=stock_model.state_dict(), meta=dict()), path)
    model = built(crf, seed=2)
    initial = {k: v.clone() for k, v in model.refiner.state_dict().items()}
    with LogLines() as log:
        load_checkpoint(model, path, map_location='cpu', strict=True)
    for key, value in stock_model.state_dict().items():
        torch.testing.assert_close(model.state_dict()[key], value,
                                   rtol=0, atol=0)
    for key, value in model.refiner.state_dict().items():
        torch.testing.assert_close(value, initial[key], rtol=0, atol=0)
    said = [line for line in log.lines if 'refiner' in line]
    assert len(said) == 1 and len(log.lines) == 1, log.lines
    assert 'no refiner.* weights' in said[0]
    assert 'compatibility' in said[0] and 'missing' not in said[0]


def test_a_checkpoint_with_a_refiner_loads_it_silently(tmp_path):
    trained = built(crf_cfg(refiner=tiny_crf()), seed=1)
    with torch.no_grad():
        trained.refiner.compatibility.add_(0.25)
    path = str(tmp_path / 'crf.pth')
    torch.save(dict(state_dict=trained.state_dict()), path)
    model = built(crf_cfg(refiner=tiny_crf()), seed=2)
    with LogLines() as log:
        load_checkpoint(model, path, map_location='cpu', strict=True)
    assert log.lines == []
    torch.testing.assert_close(model.refiner.compatibility,
                               trained.refiner.compatibility)


# ----------------------------------------------------------- bad settings

@pytest.mark.parametrize('change, match', [
    (dict(refiner=tiny_crf(num_classes=5)),
     r'refiner.num_classes=5 but the decode head predicts num_classes=4; '
     r'set refiner=dict\(..., num_classes=4\)'),
    (dict(refiner=tiny_crf(w_depth=2.)),
     "the refiner has a depth kernel but crf_depth_source=None gives it "
     "no depth"),
    (dict(refiner=tiny_crf(), crf_depth_source='measured'),
     r"the refiner has no depth kernel \(w_depth=None\)"),
    (dict(crf_depth_source='estimate'), 'crf_depth_source must be one of'),
    (dict(crf_training='all'), 'crf_training must be one of'),
    (dict(refiner_loss_weight=0.), 'refiner_loss_weight must be > 0'),
])
def test_bad_settings_are_refused_in_one_line(change, match):
    cfg = crf_cfg()
    cfg.update(change)
    with pytest.raises(ValueError, match='^CRFEncoderDecoder: ' + match):
        MODELS.build(cfg)


def test_no_refiner_and_a_sigmoid_head_are_refused():
    cfg = crf_cfg()
    cfg['refiner'] = None
    with pytest.raises(ValueError, match='refiner is required'):
        MODELS.build(cfg)
    cfg = crf_cfg(num_classes=2, out_channels=1)
    cfg['refiner']['num_classes'] = 2
    with pytest.raises(ValueError, match='out_channels=1 .* one logit per'):
        MODELS.build(cfg)


@pytest.mark.parametrize('crf_training', ['end_to_end', 'refiner_only'])
def test_a_head_without_logits_cannot_train_the_crf(crf_training):
    """e.g. a mask-classification head, whose forward gives a tuple."""
    model = built(crf_cfg(crf_training=crf_training))
    model.decode_head.forward = lambda features: (features, features)
    data = model.data_preprocessor(make_batch(), True)
    with pytest.raises(ValueError, match=r"forward\(\) gives tuple, not "
                       r"\(B, 4, h, w\) logits"):
        model.loss(**data)


# -------------------------------------------------------------- predict

def pipeline_batch(rgb, pad_to=None, flip=False, scale=None):
    """What mmseg's test pipeline gives for an (H0, W0, 3) RGB image:
    BGR, resized to ``scale`` (h, w), flipped; ori_shape = (H0, W0)."""
    bgr = rgb[..., ::-1]
    if scale is not None:
        bgr = mmcv.imresize(bgr, (scale[1], scale[0]))
    if flip:
        bgr = bgr[:, ::-1]
    image = torch.from_numpy(np.ascontiguousarray(bgr)).permute(2, 0, 1)
    batch = make_batch(batch=1, labels=False, size=tuple(image.shape[1:]),
                       flip=flip, flip_direction='horizontal',
                       ori_shape=rgb.shape[:2])
    batch['inputs'] = [image.contiguous()]
    return batch


def test_refiner_reads_the_original_image_after_padding_and_flip():
    rgb = np.random.default_rng(0).integers(0, 256, (14, 18, 3), np.uint8)
    model = built(crf_cfg(pad_to=(16, 24))).eval()
    with torch.no_grad():
        sample = model.test_step(pipeline_batch(rgb, flip=True))[0]
    (call,) = model.refiner.calls
    expected = torch.from_numpy(rgb).permute(2, 0, 1).float()
    torch.testing.assert_close(call['image'][0], expected, atol=1e-3, rtol=0)
    assert sample.seg_logits.data.shape == (NUM_CLASSES, 14, 18)


def test_refiner_reads_the_original_image_after_the_pipeline_resize():
    """A smooth image resized to half size by the pipeline comes back at
    its original size, bilinearly, within a grey level inside."""
    rows, cols = np.mgrid[0:28, 0:36]
    rgb = np.stack([rows * 9, cols * 7, 255 - rows * 4 - cols * 3],
                   axis=-1).astype(np.uint8)
    model = built(crf_cfg()).eval()
    with torch.no_grad():
        model.test_step(pipeline_batch(rgb, scale=(14, 18), flip=True))
    image = model.refiner.calls[0]['image'][0]
    assert image.shape == (3, 28, 36)
    expected = torch.from_numpy(rgb).permute(2, 0, 1).float()
    inside = (slice(None), slice(2, -2), slice(2, -2))
    assert (image - expected)[inside].abs().max() <= 1.0


def test_unaries_are_the_stock_prediction_and_refined_once_by_hand():
    """Padded, flipped, resized inputs: ``seg_logits_unary`` is exactly
    the stock EncoderDecoder's ``seg_logits``; ``seg_logits`` is one
    refiner call on the stacked unaries and images."""
    stock = built(stock_cfg(pad_to=(16, 24))).eval()
    model = built(crf_cfg(pad_to=(16, 24))).eval()
    model.load_state_dict(stock.state_dict(), strict=False)
    batch = make_batch(size=(14, 18), flip=True,
                       flip_direction='horizontal', ori_shape=(21, 27))
    with torch.no_grad():
        expected = stock.test_step(make_batch(
            size=(14, 18), flip=True, flip_direction='horizontal',
            ori_shape=(21, 27)))
        got = model.test_step(batch)
    (call,) = model.refiner.calls
    assert call['logits'].shape == (2, NUM_CLASSES, 21, 27)
    for index, (mine, theirs) in enumerate(zip(got, expected)):
        torch.testing.assert_close(mine.seg_logits_unary.data,
                                   theirs.seg_logits.data, rtol=0, atol=0)
        torch.testing.assert_close(mine.pred_sem_seg_unary.data,
                                   theirs.pred_sem_seg.data)
        refined = (call['logits'][index] * 2
                   + call['image'][index, :1] / 100)
        torch.testing.assert_close(mine.seg_logits.data, refined)
        torch.testing.assert_close(mine.pred_sem_seg.data[0],
                                   refined.argmax(0))


def test_a_real_crf_refines_the_unaries_as_called_by_hand():
    model = built(crf_cfg(refiner=tiny_crf())).eval()
    batch = make_batch()
    with torch.no_grad():
        got = model.test_step(batch)
        unary = torch.stack([s.seg_logits_unary.data for s in got])
        image = torch.stack(batch['inputs']).float()[:, [2, 1, 0]]
        expected = model.refiner(unary, image)
    for index, sample in enumerate(got):
        torch.testing.assert_close(sample.seg_logits.data, expected[index],
                                   rtol=1e-5, atol=1e-5)
    assert not torch.allclose(expected, unary, atol=1e-2)


def test_without_data_samples_predicts_at_the_input_size():
    model = built(crf_cfg()).eval()
    data = model.data_preprocessor(make_batch(), False)
    with torch.no_grad():
        got = model.predict(data['inputs'])
    assert got[0].seg_logits.data.shape == (NUM_CLASSES, 14, 18)
    assert 'seg_logits_unary' in got[0]


@pytest.mark.parametrize('kind', ['EncoderDecoder', 'Cascade'])
def test_slide_and_whole_give_the_same_refined_result(kind):
    """Pixelwise logits do not depend on the crop: slide == whole; the CRF
    runs once, on the stitched logits and the whole image, not on crops."""
    results = {}
    for mode in ('whole', 'slide'):
        cfg = crf_cfg(mode=mode, pad_to=(16, 24))
        if kind == 'Cascade':  # OCR's context would see the crop
            cfg = cascade(cfg, second='_TestPixelCascadeHead')
        model = built(cfg).eval()
        with torch.no_grad():
            results[mode] = model.test_step(make_batch(ori_shape=(21, 27)))
        (call,) = model.refiner.calls
        assert call['logits'].shape == (2, NUM_CLASSES, 21, 27)
        assert call['image'].shape == (2, 3, 21, 27)
    for whole, slide in zip(results['whole'], results['slide']):
        for key in ('seg_logits', 'seg_logits_unary'):
            torch.testing.assert_close(slide.get(key).data,
                                       whole.get(key).data,
                                       rtol=1e-5, atol=1e-5)


def test_images_of_different_sizes_are_refined_apart():
    model = built(crf_cfg()).eval()
    batch = make_batch()
    batch['data_samples'][1].set_metainfo(dict(ori_shape=(7, 9)))
    with torch.no_grad():
        got = model.test_step(batch)
    shapes = [tuple(call['logits'].shape) for call in model.refiner.calls]
    assert shapes == [(1, NUM_CLASSES, 14, 18), (1, NUM_CLASSES, 7, 9)]
    assert got[1].seg_logits.data.shape == (NUM_CLASSES, 7, 9)


# ------------------------------------------------------------------- TTA

def two_view_batch():
    """Two views (plain, flipped) of the same two images, as TestTimeAug."""
    views = [make_batch(), make_batch(flip=True,
                                      flip_direction='horizontal')]
    views[1]['inputs'] = [image.flip(-1) for image in views[1]['inputs']]
    return dict(inputs=[v['inputs'] for v in views],
                data_samples=[v['data_samples'] for v in views])


def test_the_stock_tta_model_is_refused_with_the_fix_named():
    tta = SegTTAModel(module=built(crf_cfg()).eval())
    with torch.no_grad(), pytest.raises(
            RuntimeError, match=r"another test-time view .*img0\.png.*"
            r"tta_model = dict\(type='CRFSegTTAModel'\)"):
        tta.test_step(two_view_batch())


def test_the_same_images_again_in_the_same_view_are_not_refused():
    """Validation twice on one batch, or the next batch: no TTA."""
    model = built(crf_cfg()).eval()
    with torch.no_grad():
        model.test_step(make_batch())
        model.test_step(make_batch())
        batch = make_batch(size=(10, 12), seed=3)
        for index, sample in enumerate(batch['data_samples']):
            sample.set_metainfo(dict(img_path=f'img{index + 2}.png'))
        model.test_step(batch)
        batch = make_batch(flip=True, flip_direction='horizontal')
        for sample in batch['data_samples']:
            sample.set_metainfo(dict(img_path='other.png'))
        model.test_step(batch)
    assert len(model.refiner.calls) == 4


# -------------------------------------------------------------- training

def total(losses):
    return sum(value for key, value in losses.items() if 'loss' in key)


@pytest.mark.parametrize('kind', ['EncoderDecoder', 'Cascade'])
def test_end_to_end_adds_the_crf_loss_and_trains_everything(kind):
    cfg = crf_cfg(refiner=tiny_crf())
    if kind == 'Cascade':
        cfg = cascade(cfg)
    model = built(cfg)
    model.train()
    data = model.data_preprocessor(make_batch(), True)
    losses = model.loss(**data)
    head = model.decode_head[-1] if kind == 'Cascade' else model.decode_head
    assert {'crf.loss_ce', 'crf.acc_seg'} <= set(losses)
    # the CRF loss is the head's loss of the refined logits, by hand
    with torch.no_grad():
        features = model.extract_feat(data['inputs'])
        unary = (model._unary_logits_for_training(features))
        image = data['inputs'] * model.data_preprocessor.std + \
            model.data_preprocessor.mean
        refined = model.refiner(unary, image)
        expected = head.loss_by_feat(refined, data['data_samples'])
    torch.testing.assert_close(losses['crf.loss_ce'], expected['loss_ce'])
    total(losses).backward()
    for name, param in model.named_parameters():
        assert param.grad is not None, name


def test_refiner_only_freezes_the_network():
    cfg = stock_cfg(backbone=dict(type='_TestContextBackbone'))
    cfg['decode_head'].update(num_convs=1, norm_cfg=dict(type='BN'),
                              dropout_ratio=0.5)
    cfg.update(type='CRFEncoderDecoder', refiner=tiny_crf(),
               crf_training='refiner_only')
    model = built(cfg)
    model.train()
    assert model.refiner.training
    assert not model.decode_head.training and not model.backbone.training
    frozen = {name for name, p in model.named_parameters()
              if not p.requires_grad}
    assert frozen == {name for name, _ in model.named_parameters()
                      if not name.startswith('refiner.')}
    bn = model.decode_head.convs[0].bn
    running_mean = bn.running_mean.clone()
    data = model.data_preprocessor(make_batch(), True)
    losses = model.loss(**data)
    assert set(losses) == {'crf.loss_ce', 'crf.acc_seg'}
    total(losses).backward()
    for name, param in model.named_parameters():
        assert (param.grad is not None) == name.startswith('refiner.'), name
    torch.testing.assert_close(bn.running_mean, running_mean)
    # dropout off: the loss is deterministic
    torch.testing.assert_close(model.loss(**data)['crf.loss_ce'],
                               losses['crf.loss_ce'])


def test_an_image_that_cannot_be_recovered_is_one_clear_error():
    cfg = crf_cfg()
    cfg['data_preprocessor'] = dict(type='BaseDataPreprocessor')
    model = built(cfg).eval()
    data = dict(inputs=torch.zeros(1, 3, 6, 8), data_samples=None)
    with torch.no_grad(), pytest.raises(
            ValueError, match=r'^CRFEncoderDecoder cannot recover the 0-255 '
            r'RGB image from inputs made by BaseDataPreprocessor'):
        model.test_step(data)
    cfg = crf_cfg(backbone=dict(type='_TestPixelBackbone', in_channels=4))
    cfg['data_preprocessor'].update(mean=[0.] * 4, std=[1.] * 4)
    model = built(cfg).eval()
    data = dict(inputs=[torch.zeros(4, 6, 8, dtype=torch.uint8)],
                data_samples=None)
    with torch.no_grad(), pytest.raises(
            ValueError, match=r'^CRFEncoderDecoder needs 3-channel images '
            r'.* shape \(1, 4, 6, 8\), expected \(B, 3, H, W\)'):
        model.test_step(data)
