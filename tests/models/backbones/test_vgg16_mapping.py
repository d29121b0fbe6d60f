"""VGG-16 -> Table 1 (vgg16_mapping): exact tensors, and the converted trunk
computes what VGG-16's own layers compute (plain F.conv2d / F.max_pool2d on
the original weights, with Table 1's 3x3 pools)."""
import pytest
import torch
import torch.nn.functional as F

from jointdepthseg.models.backbones import MultiScaleNet
from jointdepthseg.models.backbones.vgg16_mapping import (
    CONV5_3_DILATION, VGG16MappingError, check_vgg16_state_dict,
    kaiming_layers, table1_conv_prefixes, vgg16_to_multiscale_net)
from tests.helpers.vgg16_fake import fake_vgg16, vgg16_shapes

# (branch, k-th conv of the branch) -> torchvision key, from the text.
COPIED = {
    (1, 1): 'features.0', (1, 2): 'features.2',   # conv1_1, conv1_2
    (2, 1): 'features.0', (2, 2): 'features.2',
    (2, 3): 'features.5',                          # conv2_1
    (3, 1): 'features.5', (3, 2): 'features.7',   # conv2_1, conv2_2
    (4, 1): 'features.10', (4, 2): 'features.12',  # conv3_1, conv3_2
    (5, 1): 'features.17', (5, 2): 'features.19',  # conv4_1, conv4_2
}
KAIMING = [(3, 3), (3, 4), (4, 3), (4, 4)]


@pytest.fixture(scope='module')
def vgg():
    return fake_vgg16(seed=0)


@pytest.fixture(scope='module')
def converted(vgg):
    return vgg16_to_multiscale_net(vgg)


def conv_names(net):
    """(branch, k) -> state-dict prefix of the k-th Conv2d of the branch."""
    names = {}
    for b, branch in enumerate(net.branches, 1):
        convs = [name for name, module in branch.named_modules()
                 if isinstance(module, torch.nn.Conv2d)]
        for k, name in enumerate(convs, 1):
            names[(b, k)] = f'branches.{b - 1}.{name}'
    return names


@pytest.fixture(scope='module')
def net(converted):
    """Table 1 at full width with the converted weights, dilation 12."""
    net = MultiScaleNet(branch5_dilation=CONV5_3_DILATION)
    missing, unexpected = net.load_state_dict(converted, strict=False)
    names = conv_names(net)
    assert unexpected == []
    assert sorted(missing) == sorted(
        f'{names[bk]}.{p}' for bk in KAIMING for p in ('weight', 'bias'))
    return net.eval()


def test_prefixes_name_multiscale_net_convs_and_kaiming_layers():
    names = conv_names(MultiScaleNet(width_mult=0.125))
    prefixes = table1_conv_prefixes()
    assert prefixes == {f'conv{b}-{k}': name for (b, k), name in names.items()}
    assert kaiming_layers() == [f'conv{b}-{k}' for b, k in KAIMING]
    # 3 cells of the stride-32 grid at stride 8
    assert CONV5_3_DILATION == 12


def test_copied_layers_hold_the_vgg_tensors(vgg, converted, net):
    names = conv_names(net)
    for bk, key in COPIED.items():
        for part in ('weight', 'bias'):
            assert torch.equal(converted[f'{names[bk]}.{part}'],
                               vgg[f'{key}.{part}']), (bk, key)
    assert len(converted) == 2 * (len(COPIED) + 2)


def test_fc6_and_fc7_are_decimated_by_index_arithmetic(vgg, converted, net):
    names = conv_names(net)
    fc6, fc6_bias = vgg['classifier.0.weight'], vgg['classifier.0.bias']
    fc7, fc7_bias = vgg['classifier.3.weight'], vgg['classifier.3.bias']
    # conv5-3[o, i, a, b] = fc6[4o, 49 i + 7 (3a) + 3b] (pool5 flat C, H, W)
    o = torch.arange(1024).view(-1, 1, 1, 1)
    i = torch.arange(512).view(1, -1, 1, 1)
    a = torch.arange(3).view(1, 1, -1, 1)
    b = torch.arange(3).view(1, 1, 1, -1)
    expected = fc6[4 * o, 49 * i + 7 * (3 * a) + 3 * b]
    weight = converted[f'{names[(5, 3)]}.weight']
    assert weight.shape == (1024, 512, 3, 3)
    assert torch.equal(weight, expected)
    assert torch.equal(converted[f'{names[(5, 3)]}.bias'],
                       fc6_bias[4 * torch.arange(1024)])
    # conv5-4[o, i, 0, 0] = fc7[4o, 4i]
    o, i = torch.arange(1024).view(-1, 1), torch.arange(1024).view(1, -1)
    weight = converted[f'{names[(5, 4)]}.weight']
    assert weight.shape == (1024, 1024, 1, 1)
    assert torch.equal(weight[:, :, 0, 0], fc7[4 * o, 4 * i])
    assert torch.equal(converted[f'{names[(5, 4)]}.bias'],
                       fc7_bias[4 * torch.arange(1024)])


def reference_trunk(vgg, x):
    """VGG-16's layers on the original tensors, Table 1's 3x3 pools."""
    def conv(x, key, **kw):
        return F.relu(F.conv2d(x, vgg[f'{key}.weight'], vgg[f'{key}.bias'],
                               **kw))

    acts = {}
    acts['conv1_1'] = conv(x, 'features.0', padding=1)
    acts['conv1_2'] = conv(acts['conv1_1'], 'features.2', padding=1)
    pool2 = F.max_pool2d(acts['conv1_2'], 3, stride=2, padding=1)
    acts['conv2_1'] = conv(pool2, 'features.5', padding=1)
    acts['conv2_2'] = conv(acts['conv2_1'], 'features.7', padding=1)
    pool3 = F.max_pool2d(acts['conv2_2'], 3, stride=2, padding=1)
    acts['conv3_1'] = conv(pool3, 'features.10', padding=1)
    acts['conv3_2'] = conv(acts['conv3_1'], 'features.12', padding=1)
    pool4 = F.max_pool2d(acts['conv3_2'], 3, stride=1, padding=1)
    acts['conv4_1'] = conv(pool4, 'features.17', padding=1)
    acts['conv4_2'] = conv(acts['conv4_1'], 'features.19', padding=1)
    pool5 = F.max_pool2d(acts['conv4_2'], 3, stride=2, padding=1)
    # fc6 as a 7x7 kernel, taps 0, 3, 6 = a 3x3 kernel dilated by 3 cells of
    # VGG's stride-32 grid, i.e. 12 cells of pool5's stride-8 grid
    fc6 = vgg['classifier.0.weight'].view(4096, 512, 7, 7)
    acts['fc6'] = F.relu(F.conv2d(pool5, fc6[0::4, :, 0::3, 0::3],
                                  vgg['classifier.0.bias'][0::4],
                                  padding=12, dilation=12))
    fc7 = vgg['classifier.3.weight'][0::4, 0::4]
    acts['fc7'] = F.relu(F.conv2d(acts['fc6'], fc7[:, :, None, None],
                                  vgg['classifier.3.bias'][0::4]))
    return acts


def test_converted_trunk_equals_vgg16_layers(vgg, net):
    # 110 rows: pool5 has 14 > 12 rows, so dilation 12 reads real pixels
    x = torch.randn(1, 3, 110, 37, generator=torch.Generator().manual_seed(1))
    outputs = {}
    hooks = []
    for b, branch in enumerate(net.branches, 1):
        relus = [m for m in branch.modules() if isinstance(m, torch.nn.ReLU)]
        for k, relu in enumerate(relus, 1):
            hooks.append(relu.register_forward_hook(
                lambda m, i, out, key=(b, k): outputs.__setitem__(
                    key, out.clone())))
    with torch.no_grad():
        features = net(x)
    for hook in hooks:
        hook.remove()
    ref = reference_trunk(vgg, x)
    expected = {
        (1, 1): 'conv1_1', (2, 1): 'conv1_1',
        (1, 2): 'conv1_2', (2, 2): 'conv1_2', (2, 3): 'conv2_1',
        (3, 1): 'conv2_1', (3, 2): 'conv2_2', (4, 1): 'conv3_1',
        (4, 2): 'conv3_2', (5, 1): 'conv4_1', (5, 2): 'conv4_2',
        (5, 3): 'fc6', (5, 4): 'fc7'}
    for bk, name in expected.items():
        torch.testing.assert_close(outputs[bk], ref[name], msg=f'{bk} {name}')
    torch.testing.assert_close(features[0], ref['conv1_2'])
    torch.testing.assert_close(features[4], ref['fc7'])
    assert ref['fc7'].shape[-2:] == (14, 5)  # stride 8, rounded up
    assert ref['conv4_2'].abs().mean() > 0.1  # activations are not dead


def test_refuses_what_cannot_be_mapped(vgg):
    with pytest.raises(VGG16MappingError, match='not a VGG-16 state dict'):
        check_vgg16_state_dict({'conv1.weight': torch.zeros(64, 3, 7, 7),
                                'fc.weight': torch.zeros(1000, 2048)})
    missing = {k: v for k, v in vgg.items() if k != 'classifier.3.bias'}
    with pytest.raises(VGG16MappingError,
                       match='1 keys missing.*classifier.3'):
        check_vgg16_state_dict(missing)
    bn = {key: torch.zeros(shape) for key, shape in vgg16_shapes(True).items()}
    with pytest.raises(VGG16MappingError, match='not torchvision VGG-16'):
        check_vgg16_state_dict(bn)  # VGG-16-BN: convs at other indices
    extra = dict(vgg, **{'features.1.running_mean': torch.zeros(64)})
    with pytest.raises(VGG16MappingError, match='unexpected keys.*features.1'):
        check_vgg16_state_dict(extra)
    wrong = dict(vgg, **{'features.0.weight': torch.zeros(64, 3, 5, 5)})
    with pytest.raises(VGG16MappingError,
                       match=r'features.0.weight has shape \(64, 3, 5, 5\)'):
        vgg16_to_multiscale_net(wrong)
    with pytest.raises(VGG16MappingError, match='width_mult=0.5'):
        vgg16_to_multiscale_net(vgg, width_mult=0.5)
