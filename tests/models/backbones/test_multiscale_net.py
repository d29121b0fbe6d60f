"""MultiScaleNet against Table 1: shapes, strides, channels, parameter counts."""
import pytest
import torch

import jointdepthseg  # noqa: F401
from jointdepthseg.models.backbones import MultiScaleNet
from mmseg.registry import MODELS

# Table 1 written out independently: (in, out, kernel) per conv, per branch.
TABLE1_CONVS = {
    'branch1': [(3, 64, 3), (64, 64, 3)],
    'branch2': [(3, 64, 3), (64, 64, 3), (64, 128, 3)],
    'branch3': [(64, 128, 3), (128, 128, 3), (128, 128, 3), (128, 128, 3)],
    'branch4': [(128, 256, 3), (256, 256, 3), (256, 128, 3), (128, 128, 3)],
    'branch5': [(256, 512, 3), (512, 512, 3), (512, 1024, 3),
                (1024, 1024, 1)],
}


def conv_params(cin, cout, k):
    return cin * cout * k * k + cout


def test_parameter_counts_match_table1():
    net = MultiScaleNet()
    for index, (name, convs) in enumerate(TABLE1_CONVS.items()):
        expected = sum(conv_params(*c) for c in convs)
        got = sum(p.numel() for p in net.branches[index].parameters())
        assert got == expected, name
    total = sum(conv_params(*c) for convs in TABLE1_CONVS.values()
                for c in convs)
    assert sum(p.numel() for p in net.parameters()) == total


def test_kernel_sizes_match_table1():
    net = MultiScaleNet()
    for index, convs in enumerate(TABLE1_CONVS.values()):
        layers = [m for m in net.branches[index].modules()
                  if isinstance(m, torch.nn.Conv2d)]
        assert [(m.in_channels, m.out_channels, m.kernel_size[0])
                for m in layers] == convs


@pytest.mark.parametrize('size', [(64, 96), (33, 47)])
def test_output_strides_and_channels(size):
    net = MultiScaleNet(width_mult=0.125)
    x = torch.randn(2, 3, *size)
    feats = net(x)
    assert len(feats) == 5
    for feat, stride, channels in zip(feats, (1, 2, 4, 4, 8),
                                      net.out_channels):
        # 3x3 pools with padding 1: ceil(H / stride)
        assert feat.shape == (2, channels, -(-size[0] // stride),
                              -(-size[1] // stride))


def test_width_mult_scales_channels_and_full_width_is_table1():
    assert MultiScaleNet().out_channels == (64, 128, 128, 128, 1024)
    assert MultiScaleNet(width_mult=0.25).out_channels == (16, 32, 32, 32, 256)


def test_every_parameter_gets_a_gradient():
    net = MultiScaleNet(width_mult=0.125)
    loss = sum(f.mean() for f in net(torch.randn(1, 3, 32, 32)))
    loss.backward()
    for name, param in net.named_parameters():
        assert param.grad is not None and torch.isfinite(param.grad).all(), name


def test_loads_local_checkpoint_through_init_cfg(tmp_path):
    source = MultiScaleNet(width_mult=0.125)
    path = tmp_path / 'backbone.pth'
    torch.save(source.state_dict(), path)
    net = MODELS.build(dict(type='MultiScaleNet', width_mult=0.125,
                            init_cfg=dict(type='Pretrained',
                                          checkpoint=str(path))))
    net.init_weights()
    for key, value in source.state_dict().items():
        assert torch.equal(net.state_dict()[key], value), key


def test_rejects_bad_input():
    with pytest.raises(ValueError, match='width_mult'):
        MultiScaleNet(width_mult=0)
    with pytest.raises(ValueError, match=r'\(B, C, H, W\)'):
        MultiScaleNet(width_mult=0.125)(torch.randn(3, 8, 8))
