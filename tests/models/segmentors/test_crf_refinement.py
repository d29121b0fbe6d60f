"""crf_refinement: restore, refine per size group, store, the TTA guard."""
import pytest
import torch

from jointdepthseg.models.segmentors.crf_refinement import (
    check_not_one_view_of_many, crf_views, refine_views, scale_losses,
    set_crf_predictions)
from mmseg.structures import SegDataSample


def test_crf_views_restore_every_map_like_the_logits():
    """Padding cut, flip undone, resized: the same index map for the
    logits, the image and both depths."""
    ramp = torch.arange(6 * 8, dtype=torch.float32).view(1, 1, 6, 8)
    meta = dict(padding_size=(0, 2, 0, 1), flip=True,
                flip_direction='horizontal', ori_shape=(5, 6))
    views = crf_views(ramp.expand(1, 3, 6, 8), ramp.expand(1, 3, 6, 8),
                      [meta], False, depth=ramp, depth_estimate=ramp + 1)
    expected = ramp[0, :, :5, :6].flip(-1)
    (view,) = views
    torch.testing.assert_close(view.unary, expected.expand(3, 5, 6))
    torch.testing.assert_close(view.image, expected.expand(3, 5, 6))
    torch.testing.assert_close(view.depth, expected)
    torch.testing.assert_close(view.depth_estimate, expected + 1)
    assert view.meta is meta


def test_refine_views_batches_equal_sizes_and_keeps_the_order():
    calls = []

    def refiner(unary, image, depth):
        calls.append((unary.shape[0], tuple(unary.shape[2:]),
                      None if depth is None else depth.shape[0]))
        return unary + image[:, :1] + (0 if depth is None else depth)

    sizes = [(2, 3), (4, 5), (2, 3)]
    unaries = [torch.full((2, *s), float(i)) for i, s in enumerate(sizes)]
    images = [torch.full((3, *s), 10. * i) for i, s in enumerate(sizes)]
    depths = [torch.full((1, *s), 100. * i) for i, s in enumerate(sizes)]
    out = refine_views(refiner, unaries, images, depths)
    assert calls == [(2, (2, 3), 2), (1, (4, 5), 1)]
    for index, value in enumerate(out):
        assert value.shape == unaries[index].shape
        assert torch.all(value == 111. * index)
    refine_views(refiner, unaries, images, [None] * 3)
    assert calls[-1] == (1, (4, 5), None)


def test_predictions_keep_the_unaries_and_the_depth():
    sample = SegDataSample()
    refined = torch.tensor([[[0., 5.]], [[1., 0.]]])
    unary = torch.tensor([[[2., 0.]], [[1., 3.]]])
    set_crf_predictions(sample, refined, unary, torch.ones(1, 1, 2))
    assert sample.pred_sem_seg.data.tolist() == [[[1, 0]]]
    assert sample.pred_sem_seg_unary.data.tolist() == [[[0, 1]]]
    torch.testing.assert_close(sample.seg_logits_unary.data, unary)
    torch.testing.assert_close(sample.pred_depth_map.data,
                               torch.ones(1, 1, 2))
    assert 'pred_depth_map' not in SegDataSample()


def metas(paths, shape=(4, 4), flip=False):
    return [dict(img_path=p, img_shape=shape, flip=flip) for p in paths]


def test_the_guard_refuses_another_view_of_the_same_images_only():
    state = check_not_one_view_of_many(None, metas(['a', 'b']), 'M')
    state = check_not_one_view_of_many(state, metas(['a', 'b']), 'M')
    state = check_not_one_view_of_many(state, metas(['c', 'd'], (2, 2)), 'M')
    with pytest.raises(RuntimeError, match=r"^M: predict\(\) received "
                       r"another test-time view"):
        check_not_one_view_of_many(state, metas(['c', 'd'], flip=True), 'M')
    # images without a path (arrays given to inference_model): no check
    state = check_not_one_view_of_many(None, metas([None]), 'M')
    check_not_one_view_of_many(state, metas([None], (2, 2)), 'M')


def test_scale_losses_scales_losses_only():
    scaled = scale_losses(dict(loss_ce=torch.tensor(2.), acc_seg=50.), 0.5)
    assert scaled == dict(loss_ce=torch.tensor(1.), acc_seg=50.)
