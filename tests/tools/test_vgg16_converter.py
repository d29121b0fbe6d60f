"""tools/model_converters/vgg16_to_multiscale_net.py: the file it writes loads
through configs/nyu/stage1_sem_vgg16.py's Pretrained init_cfg, and what it
cannot map is refused in one line (exit 2, nothing written)."""
import contextlib
import importlib.util
import io
import math
import os
import os.path as osp

import pytest
import torch
from mmengine.config import Config

import jointdepthseg  # noqa: F401
from jointdepthseg.models.backbones import MultiScaleNet
from jointdepthseg.models.backbones.vgg16_mapping import (
    table1_conv_prefixes, vgg16_to_multiscale_net)
from mmseg.registry import MODELS
from tests.helpers.vgg16_fake import fake_vgg16

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(REPO, 'tools', 'model_converters',
                  'vgg16_to_multiscale_net.py')
CONFIG = osp.join(REPO, 'configs', 'nyu', 'stage1_sem_vgg16.py')
KAIMING = ('conv3-3', 'conv3-4', 'conv4-3', 'conv4-4')


def load_tool():
    spec = importlib.util.spec_from_file_location('vgg16_converter', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def tool():
    return load_tool()


@pytest.fixture(scope='module')
def vgg_file(tmp_path_factory):
    """torchvision's layout (keys, shapes) with random values, on disk."""
    path = tmp_path_factory.mktemp('vgg') / 'vgg16-397923af.pth'
    vgg = fake_vgg16(seed=3)
    torch.save(vgg, path)
    return path, vgg


@pytest.fixture(scope='module')
def conversion(tool, vgg_file, tmp_path_factory):
    """(DST, what the tool printed) for SRC = vgg_file, checked for CONFIG."""
    dst = tmp_path_factory.mktemp('out') / 'pretrained' / 'vgg16_msn.pth'
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert tool.main([str(vgg_file[0]), str(dst), '--config',
                          CONFIG]) == 0
    return dst, printed.getvalue()


@pytest.fixture(scope='module')
def converted(conversion):
    return conversion[0]


def test_writes_a_complete_checkpoint_and_reports_the_mapping(
        vgg_file, conversion):
    vgg = vgg_file[1]
    dst, out = conversion
    assert 'conv5-3  <- fc6      (classifier.0, fc6_decimate) 1024x512x3x3' \
        in out
    assert f'no VGG-16 counterpart): {", ".join(KAIMING)} (seed 0)' in out
    assert 'branch5_dilation=12' in out
    assert os.listdir(dst.parent) == ['vgg16_msn.pth']  # no temp file left
    checkpoint = torch.load(dst, weights_only=True)
    state = checkpoint['state_dict']
    assert checkpoint['meta']['kaiming_layers'] == list(KAIMING)
    net = MultiScaleNet()
    net.load_state_dict(state)  # strict: every Table 1 tensor is there
    for key, value in vgg16_to_multiscale_net(vgg).items():
        assert torch.equal(state[key], value), key
    # the other four: MultiScaleNet's Kaiming (normal, fan_out, ReLU), bias 0
    prefixes = table1_conv_prefixes()
    for name in KAIMING:
        weight = state[f'{prefixes[name]}.weight']
        fan_out = weight.shape[0] * weight.shape[2] * weight.shape[3]
        assert weight.std().item() == pytest.approx(math.sqrt(2 / fan_out),
                                                    rel=0.02)
        assert torch.equal(state[f'{prefixes[name]}.bias'],
                           torch.zeros(weight.shape[0]))


def test_reads_a_bare_state_dict_or_one_under_state_dict(tool, tmp_path):
    weights = {'features.0.weight': torch.randn(64, 3, 3, 3)}
    bare, wrapped = tmp_path / 'bare.pth', tmp_path / 'wrapped.pth'
    torch.save(weights, bare)
    torch.save({'state_dict': weights, 'meta': {'epoch': 90}}, wrapped)
    for path in (bare, wrapped):
        read = tool.read_vgg16(str(path))
        assert read.keys() == weights.keys()
        assert torch.equal(read['features.0.weight'],
                           weights['features.0.weight'])


def test_config_loads_the_weights_through_pretrained_init_cfg(
        vgg_file, converted):
    cfg = Config.fromfile(CONFIG)
    backbone = cfg.model.backbone
    assert backbone.init_cfg == dict(
        type='Pretrained', checkpoint='pretrained/multiscale_net_vgg16.pth')
    # torchvision's normalisation: 255 * ImageNet mean / std, RGB
    preprocessor = cfg.model.data_preprocessor
    assert preprocessor.mean == pytest.approx(
        [255 * m for m in (0.485, 0.456, 0.406)])
    assert preprocessor.std == pytest.approx(
        [255 * s for s in (0.229, 0.224, 0.225)])
    assert preprocessor.bgr_to_rgb is True
    backbone.init_cfg.checkpoint = str(converted)
    model = MODELS.build(cfg.model)
    model.init_weights()
    conv5_3 = model.backbone.branches[4].after_pool[0]
    assert conv5_3.dilation == (12, 12) and conv5_3.padding == (12, 12)
    state = torch.load(converted, weights_only=True)['state_dict']
    for key, value in model.backbone.state_dict().items():
        assert torch.equal(value, state[key]), key
    vgg = vgg_file[1]
    assert torch.equal(model.backbone.branches[1].after_pool[0].weight,
                       vgg['features.5.weight'])
    model.eval()
    with torch.no_grad():
        logits, depth = model(torch.randn(1, 3, 24, 32), mode='tensor')
    assert depth is None  # stage 1: no depth head
    assert logits.shape == (1, 40, 24, 32)
    assert torch.isfinite(logits).all()


def refused(tool, capsys, argv, match):
    """main(argv) exits 2 with one line on stderr, writing nothing."""
    dst = argv[1]
    assert tool.main([str(a) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.count('\n') == 1 and 'Traceback' not in err, err
    assert err.startswith('vgg16_to_multiscale_net.py: error: '), err
    assert match in err, err
    assert not osp.exists(dst)


def test_refusals(tool, vgg_file, tmp_path, capsys):
    dst = tmp_path / 'out' / 'msn.pth'
    refused(tool, capsys, [tmp_path / 'none.pth', dst], 'no such file')
    text = tmp_path / 'notes.pth'
    text.write_text('not a checkpoint\n')
    refused(tool, capsys, [text, dst], 'not a torch state dict')
    resnet = tmp_path / 'resnet50.pth'
    torch.save({'conv1.weight': torch.zeros(64, 3, 7, 7),
                'fc.weight': torch.zeros(1000, 2048)}, resnet)
    refused(tool, capsys, [resnet, dst], 'not a VGG-16 state dict')
    partial = tmp_path / 'partial.pth'
    torch.save({'features.0.weight': torch.zeros(64, 3, 3, 3)}, partial)
    refused(tool, capsys, [partial, dst], '31 keys missing')
    keys = list(vgg_file[1])  # every key, each the wrong shape
    shapes = tmp_path / 'shapes.pth'
    torch.save({key: torch.zeros(1) for key in keys}, shapes)
    refused(tool, capsys, [shapes, dst],
            'features.0.weight has shape (1,), VGG-16 has (64, 3, 3, 3)')
    thin = osp.join(REPO, 'configs', 'synthetic', 'stage1_sem.py')
    refused(tool, capsys, [vgg_file[0], dst, '--config', thin],
            'width_mult=0.125')
    assert not osp.exists(dst.parent) or os.listdir(dst.parent) == []


def test_a_failed_write_leaves_nothing(tool, vgg_file, tmp_path, capsys,
                                       monkeypatch):
    def disk_full(obj, file):
        file.write(b'partial')
        raise OSError(28, 'No space left on device')

    monkeypatch.setattr(tool.torch, 'save', disk_full)
    dst = tmp_path / 'msn.pth'
    refused(tool, capsys, [vgg_file[0], dst], 'No space left on device')
    assert os.listdir(tmp_path) == []
