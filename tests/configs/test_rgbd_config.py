"""configs/synthetic/stage3_crf_rgbd.py end to end at 1/16 width: one
training step and a test run, with the --cfg-options tools/demo.py passes
(data roots, load_from, seed)."""
import os.path as osp

import pytest
import cv2

import torch
from mmengine.config import Config

import jointdepthseg  # noqa: F401
from mmseg.registry import MODELS, RUNNERS
from tests.helpers.tiny_models import TINY_CHANNELS
from tests.helpers.tiny_data import write_tiny_dataset

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs', 'synthetic', 'stage3_crf_rgbd.py')
SIZE = (24, 32)
TINY = {
    'model.backbone.width_mult': 1 / 16,
    'model.decode_head.in_channels': TINY_CHANNELS,
    'model.depth_head.in_channels': TINY_CHANNELS,
    'model.data_preprocessor.size': SIZE,
    'train_dataloader.batch_size': 2,
    'train_cfg.max_iters': 1,
}


def tiny_config(data_root, work_dir, load_from):
    cfg = Config.fromfile(CONFIG)
    # exactly the keys tools/demo.py sets on the command line
    cfg.merge_from_dict({
        'train_dataloader.dataset.data_root': data_root,
        'val_dataloader.dataset.data_root': data_root,
        'test_dataloader.dataset.data_root': data_root,
        'randomness.seed': 1,
        'load_from': load_from,
    })
    cfg.merge_from_dict(TINY)
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[key].num_workers = 0
        cfg[key].persistent_workers = False
    cfg.work_dir = str(work_dir)
    return cfg


@pytest.mark.slow
def test_rgbd_config_trains_a_step_and_tests(tmp_path):
    data_root = write_tiny_dataset(tmp_path / 'data', num_train=2,
                                   num_test=2, size=SIZE, num_classes=40)
    # a stage-2 checkpoint (no CRF) of the same tiny network, as the demo
    # passes one with load_from
    cfg = tiny_config(data_root, tmp_path / 'work', None)
    stage2 = dict(cfg.model)
    stage2.pop('refiner')
    stage2.pop('crf_depth_source')
    torch.manual_seed(0)
    parent = MODELS.build(stage2)
    checkpoint = str(tmp_path / 'stage2.pth')
    torch.save(dict(state_dict=parent.state_dict(), meta={}), checkpoint)

    cfg = tiny_config(data_root, tmp_path / 'work', checkpoint)
    assert cfg.model.crf_depth_source == 'measured'
    runner = RUNNERS.build(cfg)
    runner.train()
    model = runner.model
    assert model.crf_depth_source == 'measured'
    # the stage-2 weights were loaded (one small AdamW step away)
    for name, param in model.backbone.named_parameters():
        torch.testing.assert_close(param, dict(
            parent.backbone.named_parameters())[name], rtol=0, atol=1e-4)
    # the CRF read the measured depth: recorded by wrapping its forward
    seen = []
    forward = model.refiner.forward

    def recording(logits, image, depth=None):
        seen.append(depth)
        return forward(logits, image, depth)

    model.refiner.forward = recording
    metrics = runner.test()
    assert seen and seen[0].shape[1:] == (1, *SIZE)
    assert 0 <= metrics['sem/mIoU'] <= 100
    assert 'unary/mIoU' in metrics and 'depth/rmse' in metrics
    # the CRF read each test image's raw png (metres) wherever it has a
    # reading; tiny_data's holes got the estimate
    for index, name in enumerate(('0001', '0002')):
        raw = cv2.imread(osp.join(data_root, 'raw_depths', 'test',
                                  name + '.png'), cv2.IMREAD_UNCHANGED)
        raw = torch.from_numpy(raw.astype('float32') * 1e-3)
        valid = raw > 0
        assert (~valid).sum() == 8
        torch.testing.assert_close(seen[0][index, 0][valid], raw[valid])
