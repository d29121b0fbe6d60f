"""jointdepthseg.apis: init_model loads a checkpoint safely and strictly;
inference matches a hand-normalised forward pass at any image size (here
without resizing, ``inference_scale = None``; resizing to the model's scale
is tested in test_pipeline.py)."""
import os.path as osp
import textwrap

import numpy as np
import pytest
import torch
from mmengine.config import Config

from jointdepthseg.apis import JointPrediction, inference, init_model
from jointdepthseg.apis.inference import inference_pipeline
from jointdepthseg.fileio import atomic_write_png
from jointdepthseg.datasets.nyu_classes import NYU40_CLASSES
from tests.helpers.tiny_configs import MEAN, STD, random_rgb, write_config


def save_checkpoint(model, path, meta=None):
    """A checkpoint as mmengine writes it: state_dict + meta, plain data."""
    torch.save(dict(state_dict=model.state_dict(), meta=meta or {}), path)
    return str(path)


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """(config path, checkpoint path, the weights saved in it)."""
    folder = tmp_path_factory.mktemp('apis')
    config = write_config(folder)
    torch.manual_seed(1)
    model = init_model(config)
    model.init_weights()  # not the fresh build's weights
    # numpy data in the meta needs checkpoint_safe_globals to load safely
    meta = dict(dataset_meta=dict(classes=tuple('abcdefghij' * 4),
                                  palette=[[k, k, k] for k in range(40)]),
                seed=np.int64(7), hist=np.arange(3))
    checkpoint = save_checkpoint(model, folder / 'model.pth', meta)
    return config, checkpoint, model.state_dict()


@pytest.fixture(scope='module')
def model(trained):
    config, checkpoint, _ = trained
    return init_model(config, checkpoint, device='cpu')


def expected_outputs(model, rgb):
    """Independent path: normalise the RGB array by hand, run the network."""
    image = torch.from_numpy(rgb).permute(2, 0, 1).float()
    with torch.no_grad():
        logits, depth = model._forward(((image - MEAN) / STD)[None])
    return logits[0], depth[0, 0]


def test_init_model_loads_the_checkpoint_weights_and_meta(trained, model):
    _, _, saved = trained
    assert not model.training
    for key, value in model.state_dict().items():
        torch.testing.assert_close(value, saved[key], rtol=0, atol=0)
    assert model.dataset_meta['classes'][:3] == ('a', 'b', 'c')
    assert model.dataset_meta['palette'][2] == [2, 2, 2]


def test_checkpoint_without_meta_gets_nyu40_names(trained, tmp_path):
    config, _, saved = trained
    path = str(tmp_path / 'no_meta.pth')
    torch.save(dict(state_dict=saved), path)
    model = init_model(config, path)
    assert model.dataset_meta['classes'] == NYU40_CLASSES
    assert len(model.dataset_meta['palette']) == 40


def test_pipeline_drops_annotation_loading(model):
    names = [type(step).__name__ for step in
             inference_pipeline(model.cfg).transforms]
    assert names == ['LoadImageFromNDArray', 'PackSegInputs']


@pytest.mark.parametrize('size', [(37, 53), (9, 11), (64, 48)])
def test_prediction_matches_a_hand_normalised_forward(model, size):
    rgb = random_rgb(*size)
    result = inference(model, rgb, return_probabilities=True)
    assert isinstance(result, JointPrediction)
    logits, depth = expected_outputs(model, rgb)
    assert result.labels.shape == size and result.labels.dtype == np.int64
    np.testing.assert_array_equal(result.labels, logits.argmax(0).numpy())
    assert result.depth.shape == size and result.depth.dtype == np.float32
    np.testing.assert_allclose(result.depth, depth.numpy(), rtol=1e-5,
                               atol=1e-6)
    assert result.probabilities.shape == (40, *size)
    np.testing.assert_allclose(result.probabilities,
                               logits.softmax(0).numpy(), rtol=1e-4,
                               atol=1e-6)
    np.testing.assert_allclose(result.probabilities.sum(0), 1.0, rtol=1e-5)
    # Eq. 3: depth is an expectation over bins of 0.14 .. 7 m
    assert 0.14 <= result.depth.min() and result.depth.max() <= 7.0


def test_probabilities_are_those_of_the_crf_refined_logits(trained):
    cfg = Config.fromfile(trained[0])  # a Config works as well as a path
    cfg.model.refiner = dict(type='DenseCRF', num_classes=40, num_iters=2)
    torch.manual_seed(0)
    model = init_model(cfg)
    rgb = random_rgb(19, 23, seed=5)
    result = inference(model, rgb, return_probabilities=True)
    refined, _ = expected_outputs(model, rgb)
    image = torch.from_numpy(rgb).permute(2, 0, 1).float()
    with torch.no_grad():
        unary = model._forward_heads(((image - MEAN) / STD)[None])[
            'seg_logits'][0]
    np.testing.assert_allclose(result.probabilities,
                               refined.softmax(0).numpy(), rtol=1e-4,
                               atol=1e-6)
    assert not np.allclose(result.probabilities, unary.softmax(0).numpy(),
                           atol=1e-3)
    np.testing.assert_array_equal(result.labels, refined.argmax(0).numpy())


def test_file_and_array_give_the_same_prediction(model, tmp_path):
    rgb = random_rgb(21, 30, seed=3)
    path = str(tmp_path / 'image.png')
    atomic_write_png(path, rgb, rgb=True)
    from_file = inference(model, path)
    from_array = inference(model, rgb)
    np.testing.assert_array_equal(from_file.labels, from_array.labels)
    np.testing.assert_array_equal(from_file.depth, from_array.depth)
    assert from_file.probabilities is None


def test_a_list_is_batched_by_size_and_keeps_its_order(model):
    images = [random_rgb(20, 24, 0), random_rgb(17, 30, 1),
              random_rgb(20, 24, 2)]
    batched = inference(model, images, batch_size=3)
    assert isinstance(batched, list) and len(batched) == 3
    for image, result in zip(images, batched):
        single = inference(model, image)
        np.testing.assert_array_equal(result.labels, single.labels)
        np.testing.assert_allclose(result.depth, single.depth, rtol=1e-5,
                                   atol=1e-6)


def test_semantics_only_model_has_no_depth(trained, tmp_path):
    stage1 = init_model(write_config(tmp_path, 'stage1_sem'))
    overridden = init_model(trained[0], cfg_options={'model.depth_head': None})
    for model in (stage1, overridden):
        assert model.depth_head is None
        result = inference(model, random_rgb(15, 19))
        assert result.labels.shape == (15, 19)
        assert result.depth is None


def test_mismatched_checkpoint_names_the_missing_weights(trained, tmp_path):
    _, _, saved = trained
    stage1 = {k: v for k, v in saved.items()
              if not k.startswith('depth_head.')}
    path = str(tmp_path / 'stage1.pth')
    torch.save(dict(state_dict=stage1), path)
    with pytest.raises(RuntimeError, match='depth_head.classifiers') as error:
        init_model(trained[0], path)
    assert 'stage1.pth does not fit' in str(error.value)
    assert '\n' not in str(error.value)


def test_missing_files_are_named(trained, tmp_path):
    config, checkpoint, _ = trained
    with pytest.raises(FileNotFoundError, match='nope.py'):
        init_model(str(tmp_path / 'nope.py'))
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        init_model(config, str(tmp_path / 'nope.pth'))


def test_bad_images_are_refused(model, tmp_path):
    with pytest.raises(FileNotFoundError, match='missing.png'):
        inference(model, str(tmp_path / 'missing.png'))
    (tmp_path / 'broken.png').write_bytes(b'not a png')
    with pytest.raises(ValueError, match='broken.png'):
        inference(model, str(tmp_path / 'broken.png'))
    with pytest.raises(ValueError, match='uint8 RGB'):
        inference(model, np.zeros((8, 8, 3), np.float32))
    with pytest.raises(ValueError, match='uint8 RGB'):
        inference(model, np.zeros((8, 8), np.uint8))
