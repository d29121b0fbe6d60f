"""tools/test.py end to end: a tiny stage-2 model on a tiny dataset."""
import importlib.util
import json
import os.path as osp

import numpy as np
import pytest
import torch

import jointdepthseg  # noqa: F401  registers the components
from jointdepthseg.fileio import (atomic_write_png, metres_to_depth_png,
                                  sample_paths)
from mmseg.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(ROOT, 'tools', 'test.py')
CONFIG = osp.join(ROOT, 'configs', 'nyu', 'stage2_joint.py')
SIZE = (24, 32)
TINY = '[4,8,8,8,64]'  # Table 1 widths x 1/16


def load_tool():
    spec = importlib.util.spec_from_file_location('test_tool', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_dataset(root):
    """Two test images; 'a' has a raw depth with holes, 'b' has none.
    Returns the number of ground-truth pixels with 1e-3 < d < 10 m."""
    rng = np.random.default_rng(0)
    valid = 0
    for name in ('a', 'b'):
        paths = sample_paths(str(root), 'test', name)
        atomic_write_png(paths['image'],
                         rng.integers(0, 255, (*SIZE, 3), dtype=np.uint8),
                         rgb=True)
        labels = rng.integers(0, 40, SIZE).astype(np.uint8)
        labels[:3] = 255
        atomic_write_png(paths['labels'], labels)
        depth = rng.uniform(0.5, 12.0, SIZE)
        depth[rng.random(SIZE) < 0.2] = 0.0
        png = metres_to_depth_png(depth)
        atomic_write_png(paths['depth'], png)
        metres = png * 1e-3
        valid += int(((metres > 1e-3) & (metres < 10.0)).sum())
        if name == 'a':
            raw = png.copy()
            raw[:, :8] = 0
            atomic_write_png(paths['raw_depth'], raw)
    return valid


def overrides(data_root, work_dir):
    return [
        '--cfg-options', 'model.backbone.width_mult=0.0625',
        f'model.decode_head.in_channels={TINY}',
        f'model.depth_head.in_channels={TINY}',
        f'model.data_preprocessor.size=({SIZE[0]},{SIZE[1]})',
        f'test_dataloader.dataset.data_root={data_root}',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False',
        f'work_dir={work_dir}']


def save_checkpoint(tool, path, extra):
    """Random weights of the model tools/test.py will build, saved."""
    cfg = tool.build_config(tool.parse_args([CONFIG, path, *extra]))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    torch.save({'state_dict': model.state_dict()}, path)


@pytest.mark.slow
def test_writes_metrics_report_and_figures(tmp_path):
    valid_pixels = make_dataset(tmp_path / 'data')
    extra = overrides(tmp_path / 'data', tmp_path / 'work')
    ckpt = str(tmp_path / 'model.pth')
    tool = load_tool()
    save_checkpoint(tool, ckpt, extra)
    out, show = tmp_path / 'out', tmp_path / 'show'
    metrics = tool.main([
        CONFIG, ckpt, '--out', str(out), '--show-dir', str(show),
        '--show-num', '1', '--name', 'tiny', *extra])

    saved = json.loads((out / 'metrics.json').read_text())
    for key in ('depth/delta1', 'depth/rmse_log_si', 'sem/mIoU',
                'sem/aAcc'):
        assert saved[key] == pytest.approx(metrics[key])
        assert np.isfinite(saved[key])
    conventions = saved['depth/conventions']
    assert conventions['num_images'] == 2
    assert conventions['num_pixels'] == valid_pixels
    assert 0 <= saved['sem/aAcc'] <= 100
    assert len(saved['sem/per_class_iou']) == 40
    assert saved['data_root'] == str(tmp_path / 'data')  # for make_report
    report = (out / 'report.md').read_text()
    assert '## Table 2: depth estimation' in report
    assert f'| RMSE (linear) | {saved["depth/rmse"]:.3f} | lower |' in report
    assert f'| tiny | {saved["sem/mIoU"]:.1f} |' in report
    assert '## Per-class IoU' in report
    assert (out / 'report.csv').stat().st_size > 0
    figures = sorted(p.name for p in (show / 'fig2').iterdir())
    assert figures == ['a.png']  # --show-num 1
    assert (show / 'fig2' / 'a.png').stat().st_size > 1000


def test_missing_files_are_one_line_errors(tmp_path):
    tool = load_tool()
    with pytest.raises(SystemExit) as missing_config:
        tool.main([str(tmp_path / 'none.py'), str(tmp_path / 'x.pth')])
    assert str(missing_config.value.code) == \
        f'error: config file not found: {tmp_path / "none.py"}'
    with pytest.raises(SystemExit) as missing_ckpt:
        tool.main([CONFIG, str(tmp_path / 'x.pth')])
    assert str(missing_ckpt.value.code) == \
        f'error: checkpoint file not found: {tmp_path / "x.pth"}'
