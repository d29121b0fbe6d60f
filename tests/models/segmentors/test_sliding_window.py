"""slide_window_maps: mmseg's sliding-window inference for several maps."""
import pytest
import torch

from jointdepthseg.models.segmentors.sliding_window import (
    slide_window_maps, window_origins)
from mmseg.registry import MODELS
from tests.helpers.crf_segmentors import stock_cfg


@pytest.mark.parametrize('length, crop, stride', [
    (20, 8, 5), (8, 8, 5), (5, 8, 3), (17, 6, 6), (16, 4, 4)])
def test_windows_cover_the_image_and_end_at_its_border(length, crop, stride):
    origins = window_origins(length, crop, stride)
    covered = set()
    for start in origins:
        assert 0 <= start and start + min(crop, length) <= length
        covered |= set(range(start, min(start + crop, length)))
    assert covered == set(range(length))
    assert max(origins) + min(crop, length) == length
    # every window but the last starts a stride after the previous one
    assert all(b - a == stride for a, b in zip(origins[:-2], origins[1:-1]))


def test_matches_mmseg_slide_inference_with_context_dependent_logits():
    """A 3x3 backbone: crop borders change the logits, so the stitching
    (windows and overlap averaging) must be mmseg's exactly."""
    torch.manual_seed(0)
    cfg = stock_cfg(backbone=dict(type='_TestContextBackbone'),
                    mode='slide')
    model = MODELS.build(cfg).eval()
    inputs = torch.randn(2, 3, 19, 23)
    metas = [dict(img_shape=(19, 23), ori_shape=(19, 23))] * 2

    def logits(crop):  # mmseg passes the crop's shape as img_shape
        return model.encode_decode(crop, [dict(img_shape=crop.shape[2:])])

    with torch.no_grad():
        expected = model.slide_inference(inputs, [dict(m) for m in metas])
        got = slide_window_maps(
            inputs, (8, 10), (5, 6),
            lambda crop: dict(seg=logits(crop), twice=2 * logits(crop)))
    torch.testing.assert_close(got['seg'], expected, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(got['twice'], 2 * expected, rtol=1e-5,
                               atol=1e-6)


def test_overlaps_are_averaged():
    """Each window returns its own index: a pixel gets the mean of the
    indices of the windows covering it (brute force)."""
    inputs = torch.zeros(1, 3, 7, 9)
    calls = []

    def window_index(crop):
        calls.append(crop.shape[2:])
        return dict(index=torch.full((1, 1, *crop.shape[2:]),
                                     float(len(calls))))

    got = slide_window_maps(inputs, (4, 5), (3, 4), window_index)['index']
    expected = torch.zeros(7, 9)
    count = torch.zeros(7, 9)
    number = 0
    for top in window_origins(7, 4, 3):
        for left in window_origins(9, 5, 4):
            number += 1
            expected[top:top + 4, left:left + 5] += number
            count[top:top + 4, left:left + 5] += 1
    torch.testing.assert_close(got[0, 0], expected / count)
    assert len(calls) == number == 4


def test_bad_window_settings_are_refused():
    with pytest.raises(ValueError, match=r'crop_size \(0, 4\) and stride'):
        slide_window_maps(torch.zeros(1, 3, 4, 4), (0, 4), (2, 2), dict)
