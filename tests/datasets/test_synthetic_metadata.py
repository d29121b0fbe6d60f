"""read_depth_only_pairs: the pairs of a synthetic_meta.json, by id or name."""
import json

import pytest

from jointdepthseg.datasets.synthetic import (META_FILE,
                                              read_depth_only_pairs)

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
