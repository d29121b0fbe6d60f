"""recover_image_rgb_0_255: the RGB image from normalised network inputs."""
import numpy as np
import pytest
import torch
from mmengine.model import BaseDataPreprocessor, ImgDataPreprocessor

from jointdepthseg.models.segmentors.crf_image import recover_image_rgb_0_255
from mmseg.models.data_preprocessor import SegDataPreProcessor
from tests.helpers.crf_segmentors import MEAN, STD


def rgb_image(size=(6, 7), seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (*size, 3), dtype=np.uint8)


def loaded_bgr(rgb):
    """(3, H, W) uint8 as mmcv's loaders and PackSegInputs give it."""
    return torch.from_numpy(np.ascontiguousarray(rgb[..., ::-1])).permute(
        2, 0, 1).contiguous()


@pytest.mark.parametrize('preprocessor', [
    SegDataPreProcessor(mean=MEAN, std=STD, bgr_to_rgb=True),
    SegDataPreProcessor(mean=MEAN, std=STD, bgr_to_rgb=False),
    SegDataPreProcessor(mean=MEAN, std=STD, rgb_to_bgr=True),
    SegDataPreProcessor(),  # no normalisation, no channel swap
    ImgDataPreprocessor(mean=MEAN, std=STD, bgr_to_rgb=True),
    ImgDataPreprocessor(mean=MEAN, std=STD),
], ids=['seg-bgr2rgb', 'seg-bgr', 'seg-rgb2bgr', 'seg-plain',
        'img-bgr2rgb', 'img-bgr'])
def test_recovers_the_original_rgb_image(preprocessor):
    rgb = rgb_image()
    data = preprocessor(dict(inputs=[loaded_bgr(rgb)],
                             data_samples=None), False)
    inputs = data['inputs']
    recovered = recover_image_rgb_0_255(inputs, preprocessor)
    assert recovered.shape == (1, 3, 6, 7) and recovered.dtype == torch.float32
    expected = torch.from_numpy(rgb).permute(2, 0, 1).float()
    torch.testing.assert_close(recovered[0], expected, atol=1e-3, rtol=0)


def test_an_unknown_preprocessor_is_refused_in_one_line():
    inputs = torch.zeros(1, 3, 4, 4)
    with pytest.raises(ValueError, match=r'^CRFEncoderDecoder cannot recover '
                       r'the 0-255 RGB image .* BaseDataPreprocessor'):
        recover_image_rgb_0_255(inputs, BaseDataPreprocessor(),
                                'CRFEncoderDecoder')


@pytest.mark.parametrize('shape', [(1, 1, 4, 4), (1, 4, 4, 4), (3, 4, 4)])
def test_inputs_that_are_not_3_channel_images_are_refused(shape):
    with pytest.raises(ValueError, match=r'needs 3-channel images.*expected '
                       r'\(B, 3, H, W\)'):
        recover_image_rgb_0_255(torch.zeros(shape), SegDataPreProcessor())
