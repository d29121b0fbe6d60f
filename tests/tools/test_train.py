"""tools/train.py: a config whose starting checkpoint is missing stops at
once with one line saying how to go on."""
import importlib.util
import os.path as osp

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def load_tool():
    spec = importlib.util.spec_from_file_location(
        'train_tool', osp.join(ROOT, 'tools', 'train.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_missing_parent_checkpoint_is_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the config's work_dirs/... is not here
    tool = load_tool()
    config = osp.join(ROOT, 'configs', 'synthetic', 'stage2_joint.py')
    with pytest.raises(SystemExit) as exit_info:
        tool.main([config, '--work-dir', str(tmp_path / 'w')])
    message = str(exit_info.value.code)
    assert message == (
        'error: load_from work_dirs/synthetic/stage1_sem/iter_600.pth not '
        f'found: {config} starts from that checkpoint; train the stage '
        'that writes it first, or pass --cfg-options load_from=PATH '
        '(load_from=None: from scratch)')
    assert not (tmp_path / 'w').exists()  # stopped before any runner


def test_checkpoint_given_or_none_passes_the_check(tmp_path):
    tool = load_tool()
    config = osp.join(ROOT, 'configs', 'synthetic', 'stage2_joint.py')
    checkpoint = tmp_path / 'parent.pth'
    checkpoint.write_bytes(b'')
    for value in (str(checkpoint), 'None'):
        cfg = tool.build_config(tool.parse_args(
            [config, '--cfg-options', f'load_from={value}']))
        tool.check_load_from(cfg, config)
