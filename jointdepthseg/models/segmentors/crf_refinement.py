"""Refinement at the original image size, shared by every CRF segmentor.

mmseg's segmentors predict in three steps: network logits at the (padded)
input size, whole or sliding-window (stitched) inference, then
``postprocess_result`` cuts the padding, undoes a test-time flip and resizes
to the image's original size ``ori_shape``. A CRF belongs after all three:
it must see the stitched logits (not crops) and the original image (not the
padded, resized one), once per image. This module is that last step, used
by ``CRFEncoderDecoder``, ``CRFCascadeEncoderDecoder``,
``JointDepthSegmentor`` and ``CRFSegTTAModel``:

1. ``crf_views``: per image, the unaries, the recovered RGB image
   (``crf_image.py``) and the CRF's depth, each cut, un-flipped and resized
   to ``ori_shape`` exactly like mmseg's logits (``restore_original_size``);
2. ``refine_views``: one refiner call per group of equally sized images;
3. ``set_crf_predictions``: ``seg_logits`` / ``pred_sem_seg`` refined, the
   unaries kept as ``seg_logits_unary`` / ``pred_sem_seg_unary``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence

import torch
from mmengine.structures import PixelData
from torch import Tensor

from mmseg.structures import SegDataSample
from .postprocess import restore_original_size


@dataclass
class CRFView:
    """What the CRF reads for one image (one TTA view), at ``ori_shape``.

    Attributes:
        unary: (C, H0, W0) semantic logits (the unaries).
        image: (3, H0, W0) RGB, 0-255 float.
        depth: (1, H0, W0) metres for the depth kernel, or None.
        depth_estimate: (1, H0, W0) metres, the network's depth (reported as
            ``pred_depth_map``), or None without a depth head.
        meta: the image's metainfo.
    """
    unary: Tensor
    image: Tensor
    depth: Optional[Tensor] = None
    depth_estimate: Optional[Tensor] = None
    meta: Optional[dict] = None


def default_metas(inputs: Tensor) -> List[dict]:
    """Metainfo of inputs given without data samples (no padding)."""
    shape = tuple(inputs.shape[2:])
    return [dict(ori_shape=shape, img_shape=shape, pad_shape=shape,
                 padding_size=[0, 0, 0, 0]) for _ in range(inputs.shape[0])]


def crf_views(logits: Tensor, image: Tensor, metas: Sequence[dict],
              align_corners: bool, depth: Optional[Tensor] = None,
              depth_estimate: Optional[Tensor] = None) -> List[CRFView]:
    """Per image, the CRF's inputs cut, un-flipped and resized to ori_shape.

    Args:
        logits: (B, C, H, W) stitched unaries at the (padded) input size.
        image: (B, 3, H, W) RGB 0-255 at the input size.
        metas: B metainfo dicts (``padding_size``, ``flip``, ``ori_shape``).
        align_corners: the decode head's, for every bilinear resize.
        depth: (B, 1, H, W) metres for the depth kernel (holes filled), or
            None.
        depth_estimate: (B, 1, H, W) metres, the network's depth, or None.

    Returns:
        list[CRFView]: one per image, everything at its ``ori_shape``.
    """
    def restore(maps: Optional[Tensor], index: int) -> Optional[Tensor]:
        if maps is None:
            return None
        return restore_original_size(maps[index], metas[index], align_corners)

    return [CRFView(unary=restore(logits, i), image=restore(image, i),
                    depth=restore(depth, i),
                    depth_estimate=restore(depth_estimate, i),
                    meta=metas[i])
            for i in range(logits.shape[0])]


def refine_views(refiner: Callable, unaries: Sequence[Tensor],
                 images: Sequence[Tensor],
                 depths: Sequence[Optional[Tensor]]) -> List[Tensor]:
    """Runs the refiner once per group of images of equal size.

    Args:
        refiner: ``refiner(unary (B, C, H, W), image (B, 3, H, W),
            depth (B, 1, H, W) or None) -> (B, C, H, W)``.
        unaries, images, depths: per image, (C, H0, W0), (3, H0, W0),
            (1, H0, W0) or None (all None or none None).

    Returns:
        list[Tensor]: per image, the refined (C, H0, W0) logits.
    """
    groups: dict = {}
    for index, unary in enumerate(unaries):
        groups.setdefault(tuple(unary.shape), []).append(index)
    refined: List[Optional[Tensor]] = [None] * len(unaries)
    for indices in groups.values():
        depth = None
        if depths[indices[0]] is not None:
            depth = torch.stack([depths[i] for i in indices])
        out = refiner(torch.stack([unaries[i] for i in indices]),
                      torch.stack([images[i] for i in indices]), depth)
        for position, index in enumerate(indices):
            refined[index] = out[position]
    return refined


def set_crf_predictions(sample: SegDataSample, refined: Tensor,
                        unary: Tensor,
                        depth_estimate: Optional[Tensor] = None) -> None:
    """Stores the refined and the unary predictions in a data sample.

    Args:
        sample: receives ``seg_logits`` / ``pred_sem_seg`` (refined),
            ``seg_logits_unary`` / ``pred_sem_seg_unary`` (before the CRF)
            and, if given, ``pred_depth_map``.
        refined, unary: (C, H0, W0) logits.
        depth_estimate: (1, H0, W0) metres or None.
    """
    fields = dict(seg_logits=refined,
                  pred_sem_seg=refined.argmax(dim=0, keepdim=True),
                  seg_logits_unary=unary,
                  pred_sem_seg_unary=unary.argmax(dim=0, keepdim=True))
    if depth_estimate is not None:
        fields['pred_depth_map'] = depth_estimate
    sample.set_data({name: PixelData(data=value)
                     for name, value in fields.items()})


def view_signature(metas: Sequence[dict]) -> tuple:
    """Which images, and which view of them, a predict call received."""
    paths = tuple(meta.get('img_path') for meta in metas)
    views = tuple((tuple(meta.get('img_shape', ())),
                   bool(meta.get('flip', False)), meta.get('flip_direction'))
                  for meta in metas)
    return paths, views


def check_not_one_view_of_many(previous: Optional[tuple],
                               metas: Sequence[dict], owner: str) -> tuple:
    """Refuses a predict call that is one view of a test-time augmentation.

    mmseg's ``SegTTAModel`` calls ``predict`` once per view (scale, flip) of
    the same images and averages the results, so a CRF inside ``predict``
    would refine every view and never the merged probabilities. Its views of
    one batch arrive one after the other with the same ``img_path``s and a
    different ``img_shape`` or flip; a test or inference run never sends the
    same images twice in a row in another view, so that pattern is refused.

    Args:
        previous: this function's return value from the previous call, or
            None.
        metas: the metainfo of this call's images.
        owner: the segmentor's class name, for the message.

    Returns:
        tuple: the state to pass as ``previous`` next time.

    Raises:
        RuntimeError: the images of the previous call again, in another view.
    """
    signature = view_signature(metas)
    paths, views = signature
    if (previous is not None and None not in paths and previous[0] == paths
            and previous[1] != views):
        raise RuntimeError(
            f'{owner}: predict() received another test-time view (scale or '
            f'flip) of the images it just predicted ({paths[0]}): a stock '
            "SegTTAModel would refine each view, not the merged "
            "probabilities; set tta_model = dict(type='CRFSegTTAModel')")
    return signature


def scale_losses(losses: dict, weight: float) -> dict:
    """Multiplies every ``loss*`` entry by ``weight``; logs (e.g. accuracy)
    stay."""
    return {name: value * weight if name.startswith('loss') else value
            for name, value in losses.items()}
