"""The paper's training-set augmentation (section 4.1): mirror + 4 zoom crops.

"For each image, we generated 4 different crops and scale the depth
accordingly. In addition, the original image and its mirrored image were also
included in the training set, yielding 4770 images" (795 x 6).

A crop of ``1/s`` of the image, resized back to full size, magnifies the view
``s`` times. Under a pinhole camera an object of size L at depth Z spans
``f * L / Z`` pixels; after zooming it spans
``s * f * L / Z = f * L / (Z / s)``, which is what the same camera would see
were the object at depth ``Z / s``. So the depth target of a zoomed crop is
``depth / s`` (see ``docs/data.md`` for the limits of this). Labels and
depths are resampled nearest-neighbour, so no label and no depth value is
invented across object edges; 0 (invalid depth) stays 0.

The pure functions below serve both the offline tool (``tools/augment_nyu.py``)
and the online ``RandomZoomCrop`` transform.
"""
from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

import cv2
import numpy as np

from ..fileio import SAMPLE_KEYS, read_sample, sample_exists, write_sample

#: Order of the 4 corner crops.
CORNERS = ('top_left', 'top_right', 'bottom_left', 'bottom_right')


@dataclass(frozen=True)
class CropBox:
    """A crop window: rows ``top:top+height``, cols ``left:left+width``."""
    top: int
    left: int
    height: int
    width: int


def crop_size_for_zoom(height: int, width: int,
                       zoom: float) -> tuple[int, int]:
    """(crop height, crop width) that magnifies an (H, W) image ``zoom`` times.

    Rounded to whole pixels, at least 1; ``zoom >= 1`` keeps it inside.
    """
    if not zoom >= 1.0:
        raise ValueError(f'zoom must be >= 1 (a crop inside the image), '
                         f'got {zoom}')
    return (max(1, min(height, round(height / zoom))),
            max(1, min(width, round(width / zoom))))


def zoom_factor(box: CropBox, out_height: int, out_width: int) -> float:
    """The magnification of resizing ``box`` to (out_height, out_width).

    The geometric mean of the vertical and horizontal factors, which differ
    only by the rounding of the crop to whole pixels.
    """
    return math.sqrt(out_height / box.height * out_width / box.width)


def corner_box(height: int, width: int, zoom: float, corner: str) -> CropBox:
    """The crop magnifying ``zoom`` times, placed at one of :data:`CORNERS`."""
    crop_h, crop_w = crop_size_for_zoom(height, width, zoom)
    top = height - crop_h if corner.startswith('bottom') else 0
    left = width - crop_w if corner.endswith('right') else 0
    return CropBox(top, left, crop_h, crop_w)


def random_box(height: int, width: int, zoom: float,
               rng: np.random.Generator) -> CropBox:
    """The crop magnifying ``zoom`` times, placed uniformly at random."""
    crop_h, crop_w = crop_size_for_zoom(height, width, zoom)
    return CropBox(
        int(rng.integers(0, height - crop_h + 1)),
        int(rng.integers(0, width - crop_w + 1)), crop_h, crop_w)


def paper_crop_boxes(height: int,
                     width: int,
                     rng: np.random.Generator,
                     zoom_range: tuple[float, float] = (1.1, 1.4),
                     placement: str = 'corners',
                     num_crops: int = 4) -> list[CropBox]:
    """The crops of one image, each with a zoom drawn from ``zoom_range``.

    Args:
        height, width: image size in pixels.
        rng: the source of the zooms (and positions for 'random').
        zoom_range: (min, max) magnification, both >= 1; equal values fix
            the zoom.
        placement: 'corners' (crop i at ``CORNERS[i % 4]``) or 'random'.
        num_crops: crops per image; the paper used 4.
    """
    low, high = zoom_range
    if not 1.0 <= low <= high:
        raise ValueError(f'zoom_range must satisfy 1 <= min <= max, got '
                         f'{zoom_range}')
    if placement not in ('corners', 'random'):
        raise ValueError(f"placement must be 'corners' or 'random', got "
                         f'{placement!r}')
    boxes = []
    for index in range(num_crops):
        zoom = float(rng.uniform(low, high))
        if placement == 'corners':
            boxes.append(corner_box(height, width, zoom, CORNERS[index % 4]))
        else:
            boxes.append(random_box(height, width, zoom, rng))
    return boxes


def resize_crop_nearest(array: np.ndarray, box: CropBox, out_height: int,
                        out_width: int) -> np.ndarray:
    """Crop ``array`` (H, W, ...) to ``box`` and resize nearest-neighbour.

    Output pixel ``i`` takes crop pixel ``floor((i + 0.5) * crop / out)``, the
    one under its centre (centres aligned as in OpenCV's bilinear resize), in
    exact integer arithmetic; every output value is a copy of an input value
    and any dtype works.
    """
    rows = box.top + (2 * np.arange(out_height) +
                      1) * box.height // (2 * out_height)
    cols = box.left + (2 * np.arange(out_width) + 1) * box.width // (2 *
                                                                     out_width)
    return array[rows[:, None], cols[None, :]]


def resize_crop_linear(image: np.ndarray, box: CropBox, out_height: int,
                       out_width: int) -> np.ndarray:
    """Crop an image (H, W[, C]) to ``box`` and resize it bilinearly."""
    crop = image[box.top:box.top + box.height, box.left:box.left + box.width]
    resized = cv2.resize(
        np.ascontiguousarray(crop), (out_width, out_height),
        interpolation=cv2.INTER_LINEAR)
    return resized.reshape((out_height, out_width) + image.shape[2:])


def depth_after_zoom(depth: np.ndarray, zoom: float) -> np.ndarray:
    """The depth target after magnifying the view ``zoom`` times.

    ``depth / zoom``: see the module docstring for why.

    Args:
        depth: (H, W) float, metres; 0 = invalid (stays 0).
        zoom: magnification s >= 1.
    """
    return depth / zoom


def zoom_sample(sample: dict, box: CropBox) -> tuple[dict, float]:
    """Zoom one sample into ``box`` at its full size; returns (sample, zoom).

    Args:
        sample: a sample dict (``jointdepthseg.fileio``): ``image``
            (H, W, 3) uint8, ``labels`` (H, W), ``depth`` and optionally
            ``raw_depth`` (H, W) float metres (0 = invalid).
        box: the crop window.
    """
    height, width = sample['image'].shape[:2]
    zoom = zoom_factor(box, height, width)
    out = dict(image=resize_crop_linear(sample['image'], box, height, width))
    for key, value in sample.items():
        if key == 'image':
            continue
        value = resize_crop_nearest(value, box, height, width)
        out[key] = depth_after_zoom(value, zoom) if 'depth' in key else value
    return out, zoom


def mirror_sample(sample: dict) -> dict:
    """Flip every array of a sample left-right.

    Labels need no swap: NYU-40 has no left/right classes.
    """
    return {
        key: np.ascontiguousarray(value[:, ::-1])
        for key, value in sample.items()
    }


def paper_augmentations(sample: dict,
                        boxes: list[CropBox]) -> list[tuple[str, dict, dict]]:
    """The original, its mirror and one zoomed crop per box.

    Returns:
        list of (suffix, sample, params): suffixes '', '_flip', '_crop1', ...;
        params record the flip or the box and the zoom applied to depth.
    """
    variants = [('', sample, dict(flip=False, zoom=1.0)),
                ('_flip', mirror_sample(sample), dict(flip=True, zoom=1.0))]
    for index, box in enumerate(boxes, start=1):
        zoomed, zoom = zoom_sample(sample, box)
        variants.append((f'_crop{index}', zoomed,
                         dict(
                             flip=False,
                             zoom=zoom,
                             box=[box.top, box.left, box.height, box.width])))
    return variants


@dataclass(frozen=True)
class AugmentJob:
    """Settings of the offline augmentation; picklable for worker processes.

    Args:
        data_root: source DATA_ROOT; its ``train`` split is augmented.
        out_root: DATA_ROOT to write (must differ from ``data_root``).
        zoom_range, placement, num_crops: see :func:`paper_crop_boxes`.
        seed: crops of image NAME come from
            ``default_rng([seed, crc32(NAME)])``, so they do not depend on
            worker count, order or reruns.
        with_raw_depth: also zoom ``raw_depths``.
        overwrite: rewrite samples whose files all exist.
    """
    data_root: str
    out_root: str
    zoom_range: tuple[float, float] = (1.1, 1.4)
    placement: str = 'corners'
    num_crops: int = 4
    seed: int = 0
    with_raw_depth: bool = True
    overwrite: bool = False

    def output_names(self, name: str) -> list[str]:
        suffixes = ['', '_flip'
                    ] + [f'_crop{i}' for i in range(1, self.num_crops + 1)]
        return [name + suffix for suffix in suffixes]

    @property
    def sample_keys(self) -> tuple[str, ...]:
        """The files read and written per sample (``fileio.SAMPLE_KEYS``)."""
        return tuple(key for key in SAMPLE_KEYS
                     if self.with_raw_depth or key != 'raw_depth')

    def is_done(self, name: str) -> bool:
        return all(sample_exists(self.out_root, 'train', out_name,
                                 self.sample_keys)
                   for out_name in self.output_names(name))


def augment_training_samples(job: AugmentJob, names: list[str]) -> int:
    """Write the 2 + ``num_crops`` variants of each training NAME.

    Returns:
        int: how many source images were augmented (the others were done).
    """
    done = 0
    for name in names:
        if not job.overwrite and job.is_done(name):
            continue
        sample = read_sample(job.data_root, 'train', name, job.sample_keys)
        rng = np.random.default_rng([job.seed, zlib.crc32(name.encode())])
        height, width = sample['image'].shape[:2]
        boxes = paper_crop_boxes(height, width, rng, job.zoom_range,
                                 job.placement, job.num_crops)
        for suffix, variant, _ in paper_augmentations(sample, boxes):
            write_sample(job.out_root, 'train', name + suffix, variant)
        done += 1
    return done
