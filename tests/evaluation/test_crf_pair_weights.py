"""Depth-only pairs against the other pairs: masks, means, errors."""
import numpy as np
import pytest

from jointdepthseg.evaluation.crf_pair_weights import (pair_masks,
                                                       pair_weight_summary)


def test_masks_take_both_orders_and_leave_out_the_diagonal():
    masks = pair_masks(4, [(0, 2)])
    assert masks['depth-only pairs'].sum() == 2
    assert masks['depth-only pairs'][0, 2] and masks['depth-only pairs'][2, 0]
    assert masks['other pairs'].sum() == 16 - 4 - 2
    with pytest.raises(ValueError, match='not a pair'):
        pair_masks(4, [(1, 1)])
    with pytest.raises(ValueError, match='not a pair'):
        pair_masks(4, [(0, 4)])


def test_means_by_hand():
    w1 = np.full((3, 3), 7.)
    w2 = np.full((3, 3), 4.)
    mu = 1 - np.eye(3)
    w1[0, 1], w1[1, 0] = 2., 4.
    w2[0, 1], w2[1, 0] = 10., 8.
    summary = pair_weight_summary(
        dict(weight_appearance=w1, weight_depth=w2, compatibility=mu),
        [(1, 0)], dict(w1=7., w2=4., mu=1.))
    pair = summary['depth-only pairs']
    assert pair['w1'] == 3. and pair['w2'] == 9. and pair['mu'] == 1.
    assert pair['depth_share'] == pytest.approx((10 / 12 + 8 / 12) / 2)
    assert summary['other pairs']['w1'] == 7.
    assert summary['initial']['depth_share'] == pytest.approx(4 / 11)
