"""The image a CRF refiner reads, recovered from the network inputs.

A dense CRF compares pixel colours (the appearance kernel of Eq. 7), so it
needs the RGB image in 0-255, not the normalised network input. We recover
it from the inputs the data preprocessor made, rather than re-reading
``img_path``: models never read files (STYLE.md), arrays given to
``inference_model`` have no path, and the inputs are exactly what the
network saw (after the test pipeline's resize, which ``restore_original_size``
then undoes like the logits').

What the preprocessor did, undone:

* normalisation ``(x - mean) / std``: ``x = input * std + mean``;
* channel order: mmcv's loaders read images as BGR, and the preprocessor
  reverses the channels when ``bgr_to_rgb`` (or ``rgb_to_bgr``; both swap
  the same way) is set. Inputs are therefore RGB after a channel swap, BGR
  without one, and are returned as RGB either way.

Padding, a test-time flip and the test pipeline's resize are undone per
image afterwards, with the logits (``restore_original_size``).
"""
from __future__ import annotations

from mmengine.model import ImgDataPreprocessor
from torch import Tensor, nn

from mmseg.models.data_preprocessor import SegDataPreProcessor


def recover_image_rgb_0_255(inputs: Tensor, preprocessor: nn.Module,
                            owner: str = 'the CRF') -> Tensor:
    """Undoes normalisation and channel order: the RGB image, 0-255.

    Args:
        inputs: (B, 3, H, W) the data preprocessor's output (normalised,
            padded).
        preprocessor: the segmentor's ``data_preprocessor``: mmseg's
            ``SegDataPreProcessor`` (or a subclass such as
            ``JointSegDataPreProcessor``) or mmengine's
            ``ImgDataPreprocessor``, with or without mean/std.
        owner: who asks, for the error message.

    Returns:
        Tensor: (B, 3, H, W) float RGB, 0-255 (the padding holds whatever
        ``pad_val`` becomes; it is cut off later).

    Raises:
        ValueError: inputs that are not (B, 3, H, W), or a preprocessor whose
            normalisation and channel order are unknown.
    """
    if inputs.dim() != 4 or inputs.shape[1] != 3:
        raise ValueError(
            f'{owner} needs 3-channel images to recover the RGB image its '
            f'appearance kernel reads; the inputs have shape '
            f'{tuple(inputs.shape)}, expected (B, 3, H, W)')
    if isinstance(preprocessor, SegDataPreProcessor):
        swapped = bool(preprocessor.channel_conversion)
    elif isinstance(preprocessor, ImgDataPreprocessor):
        swapped = bool(preprocessor._channel_conversion)
    else:
        raise ValueError(
            f'{owner} cannot recover the 0-255 RGB image from inputs made by '
            f'{type(preprocessor).__name__}, whose normalisation and channel '
            "order are unknown; use mmseg's SegDataPreProcessor (or a "
            "subclass) or mmengine's ImgDataPreprocessor")
    image = inputs.float()
    if getattr(preprocessor, '_enable_normalize', False):
        image = image * preprocessor.std.to(image) + \
            preprocessor.mean.to(image)
    # The channel swap gives RGB from mmcv's BGR; without it the inputs
    # are still BGR.
    return image if swapped else image.flip(1)
