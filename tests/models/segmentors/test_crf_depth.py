"""RGB-D input: JointDepthSegmentor(crf_depth_source='measured') feeds the
CRF the measured depth in metres, its holes filled with the estimate."""
import math

import pytest
import torch
from mmengine.structures import PixelData
from torch import nn

import jointdepthseg  # noqa: F401
from jointdepthseg.models.segmentors.crf_depth import (
    fill_depth_holes, fill_depth_holes_from_neighbours)
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from tests.helpers.tiny_models import tiny_segmentor_cfg
from tests.helpers.crf_segmentors import crf_cfg

SIZE = (20, 28)


@MODELS.register_module(name='_TestDepthRecorder', force=True)
class _TestDepthRecorder(nn.Module):
    """Stand-in refiner: records the depth it is given."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(1.5))
        self.depths = []

    def forward(self, logits, image, depth=None):
        self.depths.append(depth)
        return logits * self.scale


def measured_cfg(refiner=None, **kwargs):
    cfg = tiny_segmentor_cfg(refiner=refiner or dict(
        type='_TestDepthRecorder'), size=(32, 32), **kwargs)
    cfg['crf_depth_source'] = 'measured'
    return cfg


def make_batch(batch=2, size=SIZE, measured=True, seed=0):
    """Images, labels, ground truth and a measured depth with holes:
    measured = 1 + 0.1 * (row + col) metres, 0 in every 4th column."""
    generator = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    rows = torch.arange(size[0]).view(-1, 1)
    cols = torch.arange(size[1]).view(1, -1)
    depth = (1.0 + 0.1 * (rows + cols)).float()
    depth[:, ::4] = 0.0
    for index in range(batch):
        inputs.append(torch.randint(0, 255, (3, *size), generator=generator,
                                    dtype=torch.uint8))
        sample = SegDataSample(metainfo=dict(
            img_shape=size, ori_shape=size, img_path=f'img{index}.png'))
        sample.gt_sem_seg = PixelData(
            data=torch.randint(0, 6, (1, *size), generator=generator))
        sample.gt_depth_map = PixelData(data=torch.full((1, *size), 3.0))
        if measured:
            sample.measured_depth_map = PixelData(data=depth[None] + index)
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples), depth


def estimated_depth(model, inputs):
    """The depth head's estimate at the input size, computed directly."""
    features = model.extract_feat(inputs)
    logits = model._to_size(model.depth_head(features), inputs.shape[2:])
    return model.depth_head.logits_to_depth(logits)


def test_fill_depth_holes_by_hand():
    measured = torch.tensor([[[[0.0, 2.5], [math.nan, -1.0]]]])
    fill = torch.tensor([[[[1.0, 7.0], [1.5, 0.5]]]])
    torch.testing.assert_close(fill_depth_holes(measured, fill),
                               torch.tensor([[[[1.0, 2.5], [1.5, 0.5]]]]))
    with pytest.raises(ValueError, match='differ in shape'):
        fill_depth_holes(measured, fill[..., :1])


@pytest.mark.parametrize('training', [True, False])
def test_refiner_reads_the_measured_depth_padded_and_hole_filled(training):
    torch.manual_seed(0)
    model = MODELS.build(measured_cfg())
    model.eval()  # the same estimate in both calls below
    if not training:  # test-time padding to 32 x 32, as the test_cfg does
        model.data_preprocessor.test_cfg = dict(size=(32, 32))
    batch, depth = make_batch()
    data = model.data_preprocessor(batch, training=training)
    assert data['inputs'].shape == (2, 3, 32, 32)
    with torch.no_grad():
        if training:
            model.loss(**data)
        else:
            model.predict(**data)
        estimate = estimated_depth(model, data['inputs'])
    got = model.refiner.depths[-1]
    # training refines the padded crop; predict each image at its original
    # size, the padding cut
    shape = (32, 32) if training else SIZE
    assert got.shape == (2, 1, *shape) and not got.requires_grad
    for index in range(2):
        measured = depth + index  # metres, as loaded
        inside = got[index, 0, :SIZE[0], :SIZE[1]]
        valid = measured > 0
        # the measurement where it is valid (metres, unchanged) ...
        torch.testing.assert_close(inside[valid], measured[valid])
        # ... and not the estimate there
        assert (inside[valid] - estimate[index, 0, :SIZE[0], :SIZE[1]]
                [valid]).abs().max() > 0.5
        # holes and padding (0 = hole) take the estimate
        hole = torch.ones(*shape, dtype=torch.bool)
        hole[:SIZE[0], :SIZE[1]] = ~valid
        torch.testing.assert_close(got[index, 0][hole],
                                   estimate[index, 0, :shape[0], :shape[1]]
                                   [hole])


def test_preprocessor_pads_the_measured_depth_with_zero():
    model = MODELS.build(measured_cfg())
    batch, depth = make_batch(batch=1)
    for training in (True, False):
        model.data_preprocessor.test_cfg = dict(size=(32, 32))
        data = model.data_preprocessor(make_batch(batch=1)[0], training)
        sample = data['data_samples'][0]
        measured = sample.measured_depth_map.data
        assert measured.shape == (1, 32, 32)
        torch.testing.assert_close(measured[0, :SIZE[0], :SIZE[1]], depth)
        assert (measured[:, SIZE[0]:] == 0).all()
        assert (measured[:, :, SIZE[1]:] == 0).all()
        # the ground truth is padded for the loss only
        gt_shape = (1, 32, 32) if training else (1, *SIZE)
        assert tuple(sample.gt_depth_map.data.shape) == gt_shape


def test_estimate_source_is_unchanged_and_ignores_the_measured_depth():
    torch.manual_seed(0)
    model = MODELS.build(tiny_segmentor_cfg(
        refiner=dict(type='_TestDepthRecorder'), size=(32, 32)))
    model.eval()
    data = model.data_preprocessor(make_batch()[0], training=True)
    with torch.no_grad():
        model.loss(**data)
        estimate = estimated_depth(model, data['inputs'])
    torch.testing.assert_close(model.refiner.depths[-1], estimate)


def test_all_holes_give_exactly_the_estimate_fed_crf():
    """With a real DenseCRF: a frame without readings is the paper's CRF;
    a frame with readings changes the CRF's output."""
    crf = dict(type='DenseCRF', num_classes=6, num_iters=3,
               theta_alpha=8., theta_beta=20., theta_gamma=4.,
               theta_zeta=0.3, theta_tau=1., filter_mode='exact')
    torch.manual_seed(0)
    measured_model = MODELS.build(measured_cfg(refiner=crf))
    estimate_model = MODELS.build(tiny_segmentor_cfg(refiner=crf,
                                                     size=(32, 32)))
    estimate_model.load_state_dict(measured_model.state_dict())
    for model in (measured_model, estimate_model):
        model.eval()
    batch, _ = make_batch(batch=1)
    for sample in batch['data_samples']:
        sample.measured_depth_map.data.zero_()
    with torch.no_grad():
        holes = measured_model.test_step(batch)[0].seg_logits.data
        paper = estimate_model.test_step(make_batch(batch=1)[0])[0]
        readings = measured_model.test_step(make_batch(batch=1)[0])[0]
    torch.testing.assert_close(holes, paper.seg_logits.data)
    assert (readings.seg_logits.data - holes).abs().max() > 1e-3


def test_missing_measured_depth_is_a_clear_error():
    model = MODELS.build(measured_cfg())
    batch, _ = make_batch(measured=False)
    data = model.data_preprocessor(batch, training=True)
    with pytest.raises(ValueError, match=r'img0\.png: no measured_depth_map'
                       r'.*with_measured_depth=True'):
        model.loss(**data)
    model.eval()
    with torch.no_grad():
        with pytest.raises(ValueError, match='sample 0: no measured_depth'):
            model.predict(data['inputs'])  # without data samples
        with pytest.raises(ValueError, match='needs the data samples'):
            model._forward(data['inputs'])  # tensor mode, none given


@pytest.mark.parametrize('change, match', [
    (dict(refiner=None), 'needs both a refiner and a depth_head'),
    (dict(depth_head=None), 'needs both a refiner and a depth_head'),
    (dict(crf_depth_source='kinect'), 'must be one of'),
])
def test_bad_crf_depth_source_settings_are_refused(change, match):
    cfg = measured_cfg()
    cfg.update(change)
    with pytest.raises(ValueError, match=match):
        MODELS.build(cfg)


@pytest.mark.parametrize('source', ['estimate', 'measured'])
def test_outputs_report_the_depth_the_refiner_read(source):
    torch.manual_seed(0)
    cfg = tiny_segmentor_cfg(refiner=dict(type='_TestDepthRecorder'),
                             size=(32, 32))
    cfg['crf_depth_source'] = source
    model = MODELS.build(cfg)
    model.eval()
    batch, depth = make_batch()
    data = model.data_preprocessor(batch, training=True)
    with torch.no_grad():
        outputs = model._forward_heads(data['inputs'], data['data_samples'])
        estimate = estimated_depth(model, data['inputs'])
    assert outputs['crf_depth'] is model.refiner.depths[-1]
    reading = outputs['crf_depth'][1, 0, 0, 1]  # column 1: no hole
    if source == 'measured':  # sample 1 reads measured + 1 metre
        expected = depth[0, 1] + 1
    else:
        expected = estimate[1, 0, 0, 1]
    torch.testing.assert_close(reading, expected)


def test_refiner_without_depth_head_reads_no_depth():
    """Stage-3 CRF on a semantics-only network: k2 gets None."""
    torch.manual_seed(0)
    model = MODELS.build(tiny_segmentor_cfg(
        with_depth=False, refiner=dict(type='_TestDepthRecorder')))
    batch, _ = make_batch()
    data = model.data_preprocessor(batch, training=True)
    losses = model.loss(**data)
    assert set(losses) >= {'decode.loss_ce', 'crf.loss_ce'}
    assert model.refiner.depths == [None]
    with torch.no_grad():
        outputs = model._forward_heads(data['inputs'])
    assert outputs['crf_depth'] is None and 'depth' not in outputs
    torch.testing.assert_close(outputs['refined_logits'],
                               outputs['seg_logits'] * 1.5)


# ------------------------------------- no estimate: CRFEncoderDecoder RGB-D

def test_holes_take_the_mean_of_their_block_at_the_finest_level_with_any():
    """By hand on a 4 x 4 map: a hole in a 2 x 2 block with readings takes
    their mean; a block without readings takes the 4 x 4 mean."""
    depth = torch.tensor([[1., 0., 5., 5.],
                          [3., 2., 5., 0.],
                          [0., 0., 8., 8.],
                          [0., 0., 8., 4.]])
    filled = fill_depth_holes_from_neighbours(depth.view(1, 1, 4, 4))[0, 0]
    expected = depth.clone()
    expected[0, 1] = (1 + 3 + 2) / 3
    expected[1, 3] = 5.
    expected[2:, :2] = (1 + 3 + 2 + 5 * 3 + 8 * 3 + 4) / 10
    torch.testing.assert_close(filled, expected)


def test_filled_map_keeps_readings_and_stays_within_their_range():
    generator = torch.Generator().manual_seed(0)
    depth = torch.rand(2, 1, 13, 17, generator=generator) * 4 + 1
    depth[torch.rand(depth.shape, generator=generator) < 0.6] = 0.
    depth[0, 0, 3:9, 4:12] = 0.  # a large hole
    depth[1, 0, 0, 0] = float('nan')
    filled = fill_depth_holes_from_neighbours(depth)
    valid = torch.isfinite(depth) & (depth > 0)
    torch.testing.assert_close(filled[valid], depth[valid])
    for index in range(2):
        readings = depth[index][valid[index]]
        assert filled[index].min() >= readings.min()
        assert filled[index].max() <= readings.max()
    assert torch.isfinite(filled).all()


def test_a_frame_without_readings_is_refused():
    depth = torch.ones(2, 1, 4, 4)
    depth[1] = 0.
    with pytest.raises(ValueError, match=r'image\(s\) \[1\] of the batch has '
                       'no valid reading'):
        fill_depth_holes_from_neighbours(depth)


def test_crf_encoder_decoder_reads_the_measured_depth_holes_filled():
    cfg = crf_cfg(refiner=dict(type='_TestRecordingRefiner'),
                  crf_depth_source='measured')
    cfg['data_preprocessor']['type'] = 'JointSegDataPreProcessor'
    model = MODELS.build(cfg)
    batch, depth = make_batch()
    for sample in batch['data_samples']:  # 4 classes here
        sample.gt_sem_seg.data %= 4
    with torch.no_grad():
        data = model.data_preprocessor(batch, True)
        model.loss(**data)
        model.eval()
        model.test_step(make_batch()[0])
    for call in model.refiner.calls:  # training, then predict
        got = call['depth']
        assert got.shape == (2, 1, *SIZE)
        for index in range(2):
            measured = (depth + index).view(1, 1, *SIZE)
            torch.testing.assert_close(
                got[index:index + 1],
                fill_depth_holes_from_neighbours(measured))


def test_crf_encoder_decoder_without_measured_depth_is_a_clear_error():
    cfg = crf_cfg(refiner=dict(type='_TestRecordingRefiner'),
                  crf_depth_source='measured')
    model = MODELS.build(cfg).eval()
    with torch.no_grad(), pytest.raises(
            ValueError, match=r"img0\.png: no measured_depth_map, which "
            r"CRFEncoderDecoder\(crf_depth_source='measured'\) feeds"):
        model.test_step(make_batch(measured=False)[0])
