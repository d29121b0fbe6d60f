"""datasets/transforms/formatting.py: PackJointSegInputs packs the measured
depth next to mmseg's fields."""
import numpy as np

import jointdepthseg  # noqa: F401  registers the components
from mmseg.registry import TRANSFORMS
from tests.helpers.tiny_data import (data_info, load_annotations,
                                     write_tiny_dataset)

SIZE = (24, 32)


def test_pack_joint_seg_inputs_adds_the_measured_depth(tmp_path):
    info = data_info(write_tiny_dataset(tmp_path, num_train=1, num_test=0,
                                        size=SIZE))
    results = load_annotations(info, with_measured_depth=True)
    results = TRANSFORMS.build(dict(type='RandomFlip', prob=1.0))(results)
    expected = results['measured_depth_map'].copy()
    packed = TRANSFORMS.build(dict(type='PackJointSegInputs'))(results)
    sample = packed['data_samples']
    measured = sample.measured_depth_map.data
    assert tuple(measured.shape) == (1, *SIZE)
    assert str(measured.dtype) == 'torch.float32'
    np.testing.assert_array_equal(measured[0].numpy(), expected)
    assert 'gt_sem_seg' in sample and 'gt_depth_map' in sample
    plain = TRANSFORMS.build(dict(type='PackJointSegInputs'))(
        load_annotations(info))
    assert 'measured_depth_map' not in plain['data_samples']
