"""Fig. 2 / Fig. 3 panels and JointVisualizationHook write real pngs."""
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.registry import HOOKS
from mmseg.structures import SegDataSample

from jointdepthseg.fileio import (atomic_write_png, metres_to_depth_png,
                                  read_image)
from jointdepthseg.visualization import figures
from jointdepthseg.visualization.figures import (colorize_labels,
                                                 fig2_joint_prediction,
                                                 fig3_crf_comparison,
                                                 figure_size_px)

PALETTE = [[200, 30, 30], [30, 200, 30], [30, 30, 200], [200, 200, 30]]
H, W = 40, 60


def inputs(seed=0):
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 255, (H, W, 3), dtype=np.uint8)
    gt = np.zeros((H, W), np.int64)
    gt[:, W // 2:] = 1
    gt[:4] = 255
    pred = np.full((H, W), 2, np.int64)
    pred_depth = rng.uniform(1, 5, (H, W)).astype(np.float32)
    raw = rng.uniform(1, 5, (H, W)).astype(np.float32)
    raw[:, :W // 2] = 0.0  # hole on the left half
    return image, gt, pred, pred_depth, raw


def panel_pixel(figure, index, row, col):
    """RGB of input pixel (row, col) inside panel ``index`` at scale 1."""
    left = figures.GAP_PX + index * (W + figures.GAP_PX)
    return figure[figures.TITLE_PX + row, left + col]


def test_expected_size_is_documented_arithmetic():
    height, width = figure_size_px((H, W), 5, True, 0.5)
    assert (height, width) == (28 + 20 + 8, 5 * 30 + 6 * 8 + 80)


def test_fig2_size_colours_and_holes(tmp_path):
    image, gt, pred, pred_depth, raw = inputs()
    figure = fig2_joint_prediction(image, gt, pred, pred_depth, raw,
                                   PALETTE, scale=1.0)
    assert figure.shape == (*figure_size_px((H, W), 5, True, 1.0), 3)
    assert figure.dtype == np.uint8
    assert tuple(panel_pixel(figure, 1, 20, 10)) == tuple(PALETTE[0])
    assert tuple(panel_pixel(figure, 1, 20, 50)) == tuple(PALETTE[1])
    assert tuple(panel_pixel(figure, 1, 1, 10)) == (0, 0, 0)  # unlabeled
    assert tuple(panel_pixel(figure, 2, 20, 20)) == tuple(PALETTE[2])
    assert tuple(panel_pixel(figure, 3, 20, 10)) == (0, 0, 0)  # hole
    assert panel_pixel(figure, 3, 20, 50).sum() > 0  # valid raw depth
    path = tmp_path / 'fig2' / 'a.png'
    atomic_write_png(str(path), figure, rgb=True)
    assert path.stat().st_size > 1000
    np.testing.assert_array_equal(read_image(str(path)), figure)


def test_fig2_without_raw_depth_and_fig3(tmp_path):
    image, gt, pred, pred_depth, _ = inputs(1)
    fig2 = fig2_joint_prediction(image, gt, pred, pred_depth, None, PALETTE,
                                 depth_range_m=(0.0, 10.0), scale=0.5)
    assert fig2.shape == (*figure_size_px((H, W), 5, True, 0.5), 3)
    fig3 = fig3_crf_comparison(image, gt, pred, gt.clip(0, 3), PALETTE,
                               scale=1.0)
    assert fig3.shape == (*figure_size_px((H, W), 4, False, 1.0), 3)
    assert tuple(panel_pixel(fig3, 2, 20, 20)) == tuple(PALETTE[2])
    assert tuple(panel_pixel(fig3, 3, 20, 50)) == tuple(PALETTE[1])


def test_colorize_rejects_unknown_labels():
    with pytest.raises(ValueError, match=r'\[0, 4\)'):
        colorize_labels(np.array([[0, 7]]), PALETTE)
    rgb = colorize_labels(np.array([[3, 255]]), PALETTE)
    assert rgb.tolist() == [[PALETTE[3], [0, 0, 0]]]


def make_sample(tmp_path, name, with_raw, with_unary):
    """A SegDataSample as JointDepthSegmentor.predict returns it."""
    image, gt, pred, pred_depth, raw = inputs(2)
    img_path = str(tmp_path / 'images' / f'{name}.png')
    atomic_write_png(img_path, image, rgb=True)
    metainfo = dict(img_path=img_path)
    if with_raw:
        metainfo['raw_depth_path'] = str(tmp_path / 'raw' / f'{name}.png')
        atomic_write_png(metainfo['raw_depth_path'], metres_to_depth_png(raw))
    sample = SegDataSample(metainfo=metainfo)
    sample.gt_sem_seg = PixelData(data=torch.from_numpy(gt)[None])
    sample.pred_sem_seg = PixelData(data=torch.from_numpy(pred)[None])
    sample.pred_depth_map = PixelData(data=torch.from_numpy(pred_depth)[None])
    if with_unary:
        sample.pred_sem_seg_unary = PixelData(
            data=torch.from_numpy(gt.clip(0, 3))[None])
    return sample


def test_hook_writes_first_n_images(tmp_path):
    out = tmp_path / 'show'
    hook = HOOKS.build(dict(type='JointVisualizationHook', out_dir=str(out),
                            max_images=2, scale=1.0))
    runner = SimpleNamespace(test_dataloader=SimpleNamespace(
        dataset=SimpleNamespace(metainfo=dict(palette=PALETTE))))
    hook.before_test_epoch(runner)
    batch = [make_sample(tmp_path, 'a', True, True),
             make_sample(tmp_path, 'b', False, False)]
    hook.after_test_iter(runner, 0, None, batch)
    hook.after_test_iter(runner, 1, None,
                         [make_sample(tmp_path, 'c', True, True)])
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob('*'))
    assert written == ['fig2', 'fig2/a.png', 'fig2/b.png', 'fig3',
                       'fig3/a.png']
    fig2 = read_image(str(out / 'fig2' / 'a.png'))
    assert fig2.shape[:2] == figure_size_px((H, W), 5, True, 1.0)
    assert tuple(panel_pixel(fig2, 3, 20, 10)) == (0, 0, 0)  # hole
    fig3 = read_image(str(out / 'fig3' / 'a.png'))
    assert fig3.shape[:2] == figure_size_px((H, W), 4, False, 1.0)


def test_hook_errors_name_the_problem(tmp_path):
    hook = HOOKS.build(dict(type='JointVisualizationHook',
                            out_dir=str(tmp_path)))
    with pytest.raises(RuntimeError, match='palette'):
        hook.draw_sample(make_sample(tmp_path, 'a', False, False))
    hook.palette = PALETTE
    sample = make_sample(tmp_path, 'a', False, False)
    sample.set_metainfo(dict(raw_depth_path=str(tmp_path / 'missing.png')))
    with pytest.raises(FileNotFoundError, match='missing.png'):
        hook.draw_sample(sample)


def test_hook_draws_a_semantics_only_model_with_an_empty_depth_panel(
        tmp_path):
    hook = HOOKS.build(dict(type='JointVisualizationHook',
                            out_dir=str(tmp_path / 'show'), scale=1.0))
    hook.palette = PALETTE
    sample = make_sample(tmp_path, 'a', True, False)
    del sample.pred_depth_map  # stage 1 has no depth head
    paths = hook.draw_sample(sample)
    fig2 = read_image(paths[0])
    assert fig2.shape[:2] == figure_size_px((H, W), 5, True, 1.0)
    # the predicted-depth panel is blank (white) but for its "n/a" text
    assert tuple(panel_pixel(fig2, 4, 1, 1)) == (255, 255, 255)
    assert tuple(panel_pixel(fig2, 3, 20, 10)) == (0, 0, 0)  # raw hole
