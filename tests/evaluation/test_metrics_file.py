"""metrics.json written and read back: NaN as null, one-line errors."""
import json
import math

import numpy as np
import pytest

from jointdepthseg.evaluation.metrics_file import (read_metrics_json,
                                                   to_json_compatible,
                                                   write_metrics_json)


def test_round_trip_with_nan_and_arrays(tmp_path):
    path = str(tmp_path / 'run' / 'metrics.json')
    write_metrics_json(path, {'sem/mIoU': np.float32(40.5),
                              'sem/per_class_iou': {'wall': math.nan,
                                                    'sofa': 3.0},
                              'depth/bins': np.array([1, 2])})
    assert json.loads(open(path).read()) == read_metrics_json(path) == {
        'sem/mIoU': 40.5, 'sem/per_class_iou': {'wall': None, 'sofa': 3.0},
        'depth/bins': [1, 2]}
    assert to_json_compatible((math.inf, 1)) == [None, 1]


def test_missing_and_malformed_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='metrics.json'):
        read_metrics_json(str(tmp_path / 'metrics.json'))
    (tmp_path / 'bad.json').write_text('[1, 2]')
    with pytest.raises(ValueError, match='bad.json must hold a JSON object'):
        read_metrics_json(str(tmp_path / 'bad.json'))
    (tmp_path / 'broken.json').write_text('{')
    with pytest.raises(ValueError, match='broken.json is not valid JSON'):
        read_metrics_json(str(tmp_path / 'broken.json'))
