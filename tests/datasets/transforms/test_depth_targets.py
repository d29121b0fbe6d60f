"""datasets/transforms/depth_targets.py: Sec. 4.2's training depth target."""
import numpy as np
import pytest

from jointdepthseg.datasets.transforms import (DepthTrainingTarget,
                                               make_depth_training_target)


def test_training_target_clips_and_rounds_sec42():
    depth = np.array([[0.0, 0.05, 0.20, 0.22], [3.0, 6.95, 7.5, 12.0]])
    target = make_depth_training_target(depth, max_depth_m=7.0,
                                        bin_size_m=0.14)
    expected = np.array([[0.0, 0.14, 0.14, 0.28], [2.94, 7.0, 7.0, 7.0]])
    np.testing.assert_allclose(target, expected, atol=1e-6)
    for value in target[target > 0]:
        assert abs(value / 0.14 - round(value / 0.14)) < 1e-5


def test_training_target_transform_needs_depth():
    with pytest.raises(KeyError, match='LoadNYUAnnotations'):
        DepthTrainingTarget()(dict(img=np.zeros((2, 2, 3))))
    with pytest.raises(ValueError, match='bin_size'):
        DepthTrainingTarget(max_depth=1.0, bin_size=2.0)
