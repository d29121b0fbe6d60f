"""CRFSegTTAModel: the views merged as mmseg merges them, then one CRF."""
import mmcv
import numpy as np
import pytest
import torch
from mmengine.structures import PixelData

from jointdepthseg.models.segmentors.crf_refinement import CRFView
from jointdepthseg.models.segmentors.crf_seg_tta_model import (
    CRFSegTTAModel, reference_view)
from mmseg.models.segmentors import SegTTAModel
from mmseg.registry import MODELS
from tests.helpers.tiny_models import tiny_segmentor_cfg
from tests.helpers.crf_segmentors import (crf_cfg, make_batch,
                                                 stock_cfg, tiny_crf)

SIZE = (14, 18)


def tta_batch(batch=2):
    """Three views of each image, as TestTimeAug packs them: as loaded,
    flipped, and resized to half size."""
    plain = make_batch(batch=batch, size=SIZE)
    flipped = make_batch(batch=batch, size=SIZE, flip=True,
                         flip_direction='horizontal')
    flipped['inputs'] = [image.flip(-1) for image in plain['inputs']]
    small = make_batch(batch=batch, size=(7, 9), ori_shape=SIZE)
    small['inputs'] = [torch.from_numpy(mmcv.imresize(
        image.permute(1, 2, 0).numpy(), (9, 7))).permute(2, 0, 1)
        for image in plain['inputs']]
    views = [plain, flipped, small]
    return dict(inputs=[v['inputs'] for v in views],
                data_samples=[v['data_samples'] for v in views])


def built(cfg, seed=0):
    torch.manual_seed(seed)
    model = MODELS.build(cfg)
    model.init_weights()
    return model.eval()


def test_merged_probabilities_are_refined_once_as_by_hand():
    model = built(crf_cfg(refiner=tiny_crf()))
    stock = built(stock_cfg())
    stock.load_state_dict(model.state_dict(), strict=False)
    data = tta_batch()
    with torch.no_grad():
        got = CRFSegTTAModel(module=model).test_step(data)
        stock_merged = SegTTAModel(module=stock).test_step(tta_batch())
        # by hand: the stock model's view predictions (at ori_shape,
        # unflipped), mmseg's softmax mean, one CRF call
        views = [stock.test_step(dict(inputs=inputs, data_samples=samples))
                 for inputs, samples in zip(tta_batch()['inputs'],
                                            tta_batch()['data_samples'])]
        probs = torch.stack([
            torch.stack([s.seg_logits.data.softmax(0) for s in view])
            for view in views]).mean(0)
        image = torch.stack(data['inputs'][0]).float()[:, [2, 1, 0]]
        expected = model.refiner(probs.log(), image)
    for index, sample in enumerate(got):
        torch.testing.assert_close(sample.seg_logits_unary.data.softmax(0),
                                   probs[index], rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(sample.seg_logits.data, expected[index],
                                   rtol=1e-4, atol=1e-4)
        torch.testing.assert_close(sample.pred_sem_seg.data[0],
                                   expected[index].argmax(0))
        # the unary labels are the stock SegTTAModel's
        torch.testing.assert_close(sample.pred_sem_seg_unary.data,
                                   stock_merged[index].pred_sem_seg.data)
        assert sample.img_path == f'img{index}.png'
        assert 'gt_sem_seg' in sample


def test_the_refiner_runs_once_per_batch_not_per_view():
    model = built(crf_cfg())
    with torch.no_grad():
        CRFSegTTAModel(module=model).test_step(tta_batch())
    (call,) = model.refiner.calls
    assert call['logits'].shape == (2, 4, *SIZE)
    expected = torch.stack(tta_batch()['inputs'][0]).float()[:, [2, 1, 0]]
    torch.testing.assert_close(call['image'], expected)


def test_the_reference_view_is_the_one_closest_to_the_original_size():
    def view(img_shape, flip=False):
        return CRFView(unary=torch.zeros(2, 10, 20), image=None, meta=dict(
            ori_shape=(10, 20), img_shape=img_shape, flip=flip))

    assert reference_view([view((5, 10)), view((10, 20), True),
                           view((10, 20)), view((20, 40))]) == 2
    assert reference_view([view((15, 30)), view((8, 16))]) == 1
    assert reference_view([view((10, 20), True), view((10, 20), True)]) == 0


def test_joint_depth_segmentor_merges_depth_and_refines_once():
    cfg = tiny_segmentor_cfg(num_classes=4, refiner=dict(
        type='_TestRecordingRefiner'), size=(16, 20))
    model = built(cfg)
    with torch.no_grad():
        got = CRFSegTTAModel(module=model).test_step(tta_batch())
        views = [model.crf_inputs_at_original_size(
            **model.data_preprocessor(dict(inputs=inputs,
                                           data_samples=samples), False))
            for inputs, samples in zip(tta_batch()['inputs'],
                                       tta_batch()['data_samples'])]
    (call,) = model.refiner.calls
    for index, sample in enumerate(got):
        depths = torch.stack([view[index].depth_estimate for view in views])
        torch.testing.assert_close(sample.pred_depth_map.data, depths.mean(0))
        # the estimate-fed CRF reads the views' mean depth
        torch.testing.assert_close(call['depth'][index], depths.mean(0))


def test_a_segmentor_without_crf_is_refused():
    with pytest.raises(TypeError, match='wraps a segmentor with a CRF '
                       'refiner .* got EncoderDecoder; use SegTTAModel'):
        CRFSegTTAModel(module=built(stock_cfg()))
    with pytest.raises(TypeError, match='got JointDepthSegmentor'):
        CRFSegTTAModel(module=built(tiny_segmentor_cfg()))


def test_builds_from_a_config_dict():
    tta = MODELS.build(dict(type='CRFSegTTAModel', module=crf_cfg()))
    assert type(tta.module).__name__ == 'CRFEncoderDecoder'
    np.testing.assert_equal(len(tta.module.refiner.calls), 0)


def test_measured_depth_comes_from_the_reference_view():
    cfg = crf_cfg(crf_depth_source='measured')
    cfg['data_preprocessor']['type'] = 'JointSegDataPreProcessor'
    model = built(cfg)
    data = tta_batch()
    for view, scale in zip(data['data_samples'], (1., 1., 2.)):
        for index, sample in enumerate(view):
            height, width = sample.img_shape
            depth = torch.full((1, height, width), (index + 1) * scale)
            depth[:, :, 0] = 0.  # a column of holes
            sample.measured_depth_map = PixelData(data=depth)
    with torch.no_grad():
        CRFSegTTAModel(module=model).test_step(data)
    (call,) = model.refiner.calls
    # the plain view's readings, its holes filled from them
    for index in range(2):
        assert torch.all(call['depth'][index] == index + 1)
