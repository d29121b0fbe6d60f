"""datasets/synthetic/metadata.py: what synthetic_meta.json holds, and
read_depth_only_pairs, its one reader (the pairs by id or name), which also
reads files written when the generator still measured the pairs."""
import json

import pytest

from jointdepthseg.datasets.synthetic import (DEPTH_CUE_PAIRS, META_FILE,
                                              get_variant,
                                              read_depth_only_pairs)
from jointdepthseg.datasets.synthetic.metadata import (dataset_metadata,
                                                       write_metadata)

TWO_PAIRS = {'variant': 'depth-cue', 'depth_only_pairs': [
    {'classes': ['pillow', 'sofa'], 'ids': [17, 5], 'family': 'upholstery'},
    {'classes': ['books', 'bookshelf'], 'ids': [22, 9]}]}


def write(tmp_path, value) -> str:
    path = tmp_path / META_FILE
    path.write_text(value if isinstance(value, str) else json.dumps(value))
    return str(path)


def test_pairs_by_id_and_by_name(tmp_path):
    path = write(tmp_path, TWO_PAIRS)
    assert read_depth_only_pairs(path) == [(17, 5), (22, 9)]
    assert read_depth_only_pairs(path, 'classes') == [('pillow', 'sofa'),
                                                      ('books', 'bookshelf')]
    ids = read_depth_only_pairs(path)
    assert all(type(i) is int for pair in ids for i in pair)


def test_metadata_describes_the_data_only(tmp_path):
    meta = dataset_metadata(get_variant('depth-cue'), 3, (30, 40),
                            dict(train=5, test=2))
    assert {k: meta[k] for k in ('variant', 'seed', 'size', 'num_train',
                                 'num_test')} == dict(
        variant='depth-cue', seed=3, size=[30, 40], num_train=5, num_test=2)
    assert meta['depth_only_pairs'][0] == dict(
        classes=['pillow', 'sofa'], ids=[17, 5], family='upholstery',
        where=DEPTH_CUE_PAIRS[0].where,
        depth_step_m=dict(design_min=0.25, design_max=0.35))
    path = write_metadata(str(tmp_path), meta)
    assert path == str(tmp_path / META_FILE)
    with open(path) as file:
        assert json.load(file) == meta
    assert read_depth_only_pairs(path) == [(17, 5), (17, 3), (22, 9)]


def test_files_with_the_measured_steps_of_before_are_read(tmp_path):
    """synthetic_meta.json as the generator wrote it when it also measured
    the rendered steps and the depth kernel's retention."""
    measured = dict(design_min=0.25, design_max=0.35, images=1,
                    boundary_pixel_pairs=334, p10=0.0088, median=0.0611,
                    p90=0.3183, fraction_ge_theta_zeta=0.2784,
                    kernel_retention_cross=0.4653,
                    kernel_retention_within=0.9306,
                    kernel_equivalent_step=0.2474, theta_gamma_px=25.0,
                    theta_zeta_m=0.2)
    path = write(tmp_path, dict(
        variant='depth-cue', seed=0, size=[240, 320], num_train=4,
        num_test=2, depth_only_pairs=[dict(
            classes=['pillow', 'sofa'], ids=[17, 5], family='upholstery',
            where='...', depth_step_m=measured)]))
    assert read_depth_only_pairs(path) == [(17, 5)]
    assert read_depth_only_pairs(path, 'classes') == [('pillow', 'sofa')]


def test_rooms_has_no_pairs(tmp_path):
    path = write(tmp_path, {'variant': 'rooms', 'depth_only_pairs': []})
    assert read_depth_only_pairs(path) == []


@pytest.mark.parametrize('content', [
    'not json', '{}', '{"depth_only_pairs": 3}',
    '{"depth_only_pairs": [{"classes": ["pillow", "sofa"]}]}',
    '{"depth_only_pairs": [{"ids": ["a", 5]}]}',
    '{"depth_only_pairs": [{"ids": [1, 2, 3]}]}'])
def test_malformed_files_are_refused_by_name(tmp_path, content):
    path = write(tmp_path, content)
    with pytest.raises(ValueError, match='depth_only_pairs') as error:
        read_depth_only_pairs(path)
    assert path in str(error.value)


def test_missing_file_and_bad_field(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_depth_only_pairs(str(tmp_path / META_FILE))
    with pytest.raises(ValueError, match="'ids' or 'classes'"):
        read_depth_only_pairs(write(tmp_path, TWO_PAIRS), 'names')
