"""Predict labels and depth for images with a trained model.

    python tools/infer.py CONFIG CHECKPOINT IMAGES... --out DIR [--device cpu]
        [--scale LONG SHORT]

IMAGES are image files or folders of them (not searched recursively), of any
size, from any camera. Each is resized, keeping its aspect ratio, to the scale
the model was trained at (the config's ``inference_scale``: (640, 480) for the
NYU configs, (160, 120) for the synthetic ones; ``--scale`` overrides it) and
the predictions are resized back to the photo's size, so the depth in metres
does not depend on the photo's resolution. A config without
``inference_scale`` (set to None) uses its test pipeline's own Resize step, or
else runs the network at the photo's own size. For each image NAME.EXT it
writes, in DIR:

* ``NAME_labels.png``: 8-bit class indices (NYU-40: 0..39);
* ``NAME_depth.png``: 16-bit depth in millimetres (models with a depth head);
* ``NAME_panel.png``: the input, the coloured labels with a legend of the
  classes they show (a colour swatch and the class name for each), and the
  coloured depth side by side, at the input's size, with a depth scale on the
  right.

jointdepthseg (and with it mmseg) is imported only once the arguments are
checked, so a mistyped path is reported at once, in one line.
"""
from __future__ import annotations

import argparse
import os
import os.path as osp
import sys
from typing import List, Optional, Sequence

import cv2
import numpy as np
from matplotlib import colormaps

IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff',
                    '.webp')
GAP_PX = 8           # white gap between the panel's parts
SCALE_BAR_PX = 16    # width of the depth colour bar
SCALE_TEXT_PX = 56   # room for the bar's labels ("0 m", "6.8 m")
WHITE = 255
FONT = cv2.FONT_HERSHEY_SIMPLEX
FONT_SCALE = 0.35    # text of the depth scale and the legend
LEGEND_ROW_PX = 14   # one legend entry per row
LEGEND_SWATCH_PX = 10  # side of a legend entry's colour square
LEGEND_PAD_PX = 3    # margin around swatches and names


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Predict labels and depth for photos of any size; each is '
        "resized to the config's inference_scale (aspect ratio kept) for the "
        "network and the predictions come back at the photo's size; writes "
        'NAME_labels.png, NAME_depth.png and NAME_panel.png per image.')
    parser.add_argument('config', help='model config file (.py)')
    parser.add_argument('checkpoint', help='checkpoint file (.pth)')
    parser.add_argument('images', nargs='+',
                        help='image files and/or folders of images')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--device', default='cpu',
                        help="torch device, e.g. 'cpu' or 'cuda:0'")
    parser.add_argument(
        '--scale', nargs=2, type=int, metavar=('LONG', 'SHORT'),
        help='resize each photo (aspect ratio kept, smaller ones enlarged) to '
        'the largest size whose long edge is at most LONG and short edge at '
        "most SHORT pixels before the network, instead of the config's "
        'inference_scale (e.g. 640 480 for a model trained on 480x640 NYU '
        'images)')
    args = parser.parse_args(argv)
    if args.scale is not None and min(args.scale) < 1:
        parser.error(f'--scale needs two positive integers, got {args.scale}')
    return args


def list_images(inputs: Sequence[str]) -> List[str]:
    """Image files named or inside the named folders, in order.

    Raises:
        SystemExit: one line naming a missing input, an empty folder, or two
            images that would write the same output names.
    """
    images = []
    for item in inputs:
        if osp.isdir(item):
            found = sorted(
                osp.join(item, name) for name in os.listdir(item)
                if name.lower().endswith(IMAGE_EXTENSIONS)
                and not name.startswith('.'))
            if not found:
                kinds = ', '.join(IMAGE_EXTENSIONS)
                raise SystemExit(
                    f'error: no images ({kinds}) in folder {item}')
            images.extend(found)
        elif osp.isfile(item):
            images.append(item)
        else:
            raise SystemExit(f'error: image not found: {item}')
    seen = {}
    for path in images:
        name = output_name(path)
        if name in seen:
            raise SystemExit(f'error: {seen[name]} and {path} would both '
                             f'write {name}_*.png; rename one')
        seen[name] = path
    return images


def output_name(image_path: str) -> str:
    """``dir/room.jpg`` -> ``room``."""
    return osp.splitext(osp.basename(image_path))[0]


def colorize_depth(depth_m: np.ndarray, max_m: float) -> np.ndarray:
    """(H, W) metres -> (H, W, 3) uint8 RGB with the figures' colour map;
    0..max_m spans the map, non-finite or <= 0 values are black."""
    from jointdepthseg.visualization.figures import DEPTH_CMAP
    valid = np.isfinite(depth_m) & (depth_m > 0)
    scaled = np.clip(np.where(valid, depth_m, 0.0) / max_m, 0.0, 1.0)
    rgb = colormaps[DEPTH_CMAP](scaled)[..., :3]
    rgb = np.round(rgb * 255).astype(np.uint8)
    rgb[~valid] = 0
    return rgb


def depth_scale_bar(height: int, max_m: float) -> np.ndarray:
    """(height, SCALE_BAR_PX + SCALE_TEXT_PX, 3) colour bar: max_m at the
    top, 0 m at the bottom, labelled."""
    column = np.linspace(max_m, 0.0, height)[:, None].repeat(SCALE_BAR_PX, 1)
    bar = colorize_depth(np.maximum(column, 1e-6), max_m)
    text = np.full((height, SCALE_TEXT_PX, 3), WHITE, np.uint8)
    for label, y in ((f'{max_m:.1f} m', 10), ('0 m', height - 3)):
        cv2.putText(text, label, (3, y), FONT, FONT_SCALE, (0, 0, 0), 1,
                    cv2.LINE_AA)
    return np.concatenate([bar, text], axis=1)


def legend_entries(labels: np.ndarray,
                   class_names: Sequence[str]) -> List[tuple]:
    """``[(class id, name), ...]`` of the classes ``labels`` shows, by id;
    values without a class name (e.g. 255, unlabeled) are left out, as
    mmseg's ``SegLocalVisualizer`` does."""
    return [(int(label), class_names[label]) for label in np.unique(labels)
            if label < len(class_names)]


def legend_swatch_box(index: int, height: int,
                      column_px: int) -> tuple[int, int]:
    """(top, left) pixel of entry ``index``'s colour square in a legend
    ``height`` pixels tall whose columns are ``column_px`` wide: entries fill
    a column top to bottom, then the next."""
    rows = max(1, (height - LEGEND_PAD_PX) // LEGEND_ROW_PX)
    column, row = divmod(index, rows)
    return (LEGEND_PAD_PX + row * LEGEND_ROW_PX,
            column * column_px + LEGEND_PAD_PX)


def draw_legend(entries: Sequence[tuple], palette,
                height: int) -> np.ndarray:
    """(height, W, 3) uint8 legend: a colour square (``palette[id]``) and the
    class name per entry of :func:`legend_entries`, on white; as many columns
    as the entries need (none: zero columns)."""
    if not entries:
        return np.full((height, 0, 3), WHITE, np.uint8)
    name_px = max(cv2.getTextSize(name, FONT, FONT_SCALE, 1)[0][0]
                  for _, name in entries)
    column_px = LEGEND_SWATCH_PX + name_px + 3 * LEGEND_PAD_PX
    rows = max(1, (height - LEGEND_PAD_PX) // LEGEND_ROW_PX)
    columns = -(-len(entries) // rows)
    legend = np.full((height, columns * column_px, 3), WHITE, np.uint8)
    for index, (label, name) in enumerate(entries):
        top, left = legend_swatch_box(index, height, column_px)
        legend[top:top + LEGEND_SWATCH_PX,
               left:left + LEGEND_SWATCH_PX] = palette[label]
        cv2.putText(legend, name,
                    (left + LEGEND_SWATCH_PX + LEGEND_PAD_PX,
                     top + LEGEND_SWATCH_PX - 1), FONT, FONT_SCALE,
                    (0, 0, 0), 1, cv2.LINE_AA)
    return legend


def side_by_side(parts: Sequence[np.ndarray]) -> np.ndarray:
    """(H, W_k, 3) uint8 parts -> one (H, sum W_k + gaps, 3) picture."""
    height = parts[0].shape[0]
    gap = np.full((height, GAP_PX, 3), WHITE, np.uint8)
    joined = []
    for index, part in enumerate(parts):
        joined.extend([part] if index == 0 else [gap, part])
    return np.concatenate(joined, axis=1)


def make_panel(image_rgb: np.ndarray, labels: np.ndarray,
               depth_m: Optional[np.ndarray], palette,
               class_names: Sequence[str]) -> np.ndarray:
    """Input | coloured labels + legend | coloured depth + scale (no depth:
    without the last part)."""
    from jointdepthseg.visualization.figures import (colorize_labels,
                                                     depth_display_range)
    parts = [image_rgb, np.concatenate(
        [colorize_labels(labels, palette),
         draw_legend(legend_entries(labels, class_names), palette,
                     image_rgb.shape[0])], axis=1)]
    if depth_m is not None:
        max_m = depth_display_range(depth_m)[1]
        parts += [colorize_depth(depth_m, max_m),
                  depth_scale_bar(image_rgb.shape[0], max_m)]
    return side_by_side(parts)


def write_outputs(out_dir: str, name: str, image_rgb: np.ndarray, result,
                  dataset_meta: dict) -> None:
    """NAME_labels.png, NAME_depth.png (with depth) and NAME_panel.png.

    ``dataset_meta`` holds the ``classes`` and their ``palette``.
    """
    from jointdepthseg.fileio import atomic_write_png, metres_to_depth_png
    if result.labels.max(initial=0) > 255:
        raise SystemExit('error: more than 256 classes do not fit an 8-bit '
                         'label png')
    atomic_write_png(osp.join(out_dir, f'{name}_labels.png'),
                     result.labels.astype(np.uint8))
    if result.depth is not None:
        atomic_write_png(osp.join(out_dir, f'{name}_depth.png'),
                         metres_to_depth_png(result.depth))
    atomic_write_png(osp.join(out_dir, f'{name}_panel.png'),
                     make_panel(image_rgb, result.labels, result.depth,
                                dataset_meta['palette'],
                                dataset_meta['classes']), rgb=True)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    for label, path in (('config', args.config),
                        ('checkpoint', args.checkpoint)):
        if not osp.isfile(path):
            raise SystemExit(f'error: {label} file not found: {path}')
    images = list_images(args.images)
    os.makedirs(args.out, exist_ok=True)

    from mmengine.utils import ProgressBar

    from jointdepthseg.apis import inference, init_model
    from jointdepthseg.apis.pipeline import inference_pipeline, read_image_bgr
    options = None if args.scale is None else {
        'inference_scale': tuple(args.scale)}
    try:
        model = init_model(args.config, args.checkpoint, device=args.device,
                           cfg_options=options)
        inference_pipeline(model.cfg)  # a bad scale stops before any image
    except (RuntimeError, ValueError) as error:  # e.g. weights do not fit
        raise SystemExit(f'error: {error}') from None
    progress = ProgressBar(len(images))
    for path in images:
        try:
            image_rgb = read_image_bgr(path)[..., ::-1]
        except (OSError, ValueError) as error:
            raise SystemExit(f'error: {error}') from None
        result = inference(model, image_rgb)
        write_outputs(args.out, output_name(path), image_rgb, result,
                      model.dataset_meta)
        progress.update()
    kinds = ('labels, depth and panel' if result.depth is not None else
             'labels and panel')
    print(f'\nwrote {kinds} pngs of {len(images)} images to {args.out}')


if __name__ == '__main__':
    sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
    main()
