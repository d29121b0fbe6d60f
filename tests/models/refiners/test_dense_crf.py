"""DenseCRF: Eq. 5-7 against an independent brute-force mean field (values
and gradients), the lattice against the exact filter, gradients by finite
differences, inference without gradients against the tracked pass, the
cache, configuration and input errors."""
import pytest
import torch

import jointdepthseg  # noqa: F401  (registers DenseCRF)
from jointdepthseg.models.refiners import DenseCRF, mean_field
from jointdepthseg.models.refiners.crf_kernels import (appearance_features,
                                                       depth_features,
                                                       smoothness_features)
from jointdepthseg.models.refiners.exact_filter import gaussian_kernel_matrix
from jointdepthseg.models.refiners.kernel_weights import \
    kernel_weights_from_logits
from mmseg.registry import MODELS

from tests.helpers.crf_reference import eq7_kernels
from tests.helpers.crf_scenes import structured_scene

SMALL = dict(theta_alpha=10., theta_beta=20., theta_gamma=8., theta_zeta=0.3,
             theta_tau=3.)
PAPER = dict(theta_alpha=160., theta_beta=3., theta_gamma=50.,
             theta_zeta=0.2, theta_tau=3.)


def brute_force_mean_field(logits, image, depth, mu, weights, thetas,
                           normalize, num_iters):
    """Eq. 5-7 and the mean-field update written out pixel pair by pair;
    ``normalize`` is 'row', 'symmetric' or 'none'."""
    _, classes, height, width = logits.shape
    rows = torch.arange(height, dtype=torch.float64)
    cols = torch.arange(width, dtype=torch.float64)
    pos = torch.stack(torch.meshgrid(rows, cols, indexing='ij'), -1)
    pos = pos.reshape(-1, 2)
    rgb = image[0].reshape(3, -1).t().double()
    dep = depth[0, 0].reshape(-1).double()
    thetas = dict(alpha=thetas['theta_alpha'], beta=thetas['theta_beta'],
                  gamma=thetas['theta_gamma'], zeta=thetas['theta_zeta'],
                  tau=thetas['theta_tau'])
    kernels = eq7_kernels(pos[:, None], pos[None], rgb[:, None], rgb[None],
                          dep[:, None], dep[None], thetas)
    z = logits[0].reshape(classes, -1).t().double()
    q = z.softmax(1)
    for _ in range(num_iters):
        out = z.clone()
        for kernel, w in zip(kernels, weights):
            if w is None:
                continue
            sums = kernel.sum(1, keepdim=True)  # j = i included
            if normalize == 'row':
                msg = (kernel @ q) / sums
            elif normalize == 'symmetric':
                msg = (kernel / sums.sqrt() / sums.t().sqrt()) @ q
            else:
                msg = (kernel - torch.eye(len(kernel), dtype=kernel.dtype)) @ q
            for label in range(classes):
                for other in range(classes):
                    out[:, label] -= (mu[label, other] * w[label, other]
                                      * msg[:, other])
        q = out.softmax(1)
    return out.t().reshape(1, classes, height, width)


def random_crf(classes, normalize, filter_mode='lattice', seed=0, **kw):
    crf = DenseCRF(classes, normalize=normalize, filter_mode=filter_mode,
                   **kw).double()
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        crf.compatibility.mul_(0.5 + torch.rand(
            crf.compatibility.shape, generator=gen, dtype=torch.float64))
        for name in crf.kernels:
            logit = getattr(crf, f'weight_logit_{name}')
            logit.add_(torch.rand(logit.shape, generator=gen,
                                  dtype=logit.dtype) - 0.5)
    return crf


def test_registered_and_initialised_as_the_paper_says():
    crf = MODELS.build(dict(type='DenseCRF', num_classes=5))
    assert isinstance(crf, DenseCRF)
    assert crf.kernels == ['appearance', 'depth', 'smooth']
    assert torch.equal(crf.compatibility, 1 - torch.eye(5))
    weights = crf.kernel_weights()
    for name, value in (('appearance', 7.), ('depth', 4.), ('smooth', 3.)):
        assert torch.allclose(weights[name], torch.full((5, 5), value))
    assert {n for n, _ in crf.named_parameters()} == {
        'compatibility', 'weight_logit_appearance', 'weight_logit_depth',
        'weight_logit_smooth'}
    assert crf.thetas == dict(theta_alpha=160., theta_beta=3.,
                              theta_gamma=50., theta_zeta=0.2, theta_tau=3.)


def test_fixed_weights_are_buffers_and_none_drops_a_kernel():
    crf = DenseCRF(4, learnable=False, w_depth=None)
    assert list(crf.parameters()) == []
    assert set(crf.state_dict()) == {'compatibility', 'weight_total',
                                     'weight_logit_appearance',
                                     'weight_logit_smooth'}
    assert crf.kernels == ['appearance', 'smooth']


def test_eq7_features_reproduce_the_literal_kernels():
    image, depth, _, _ = structured_scene(6, 7, classes=3)
    image, depth = image.double(), depth.double()
    thetas = dict(alpha=4., beta=30., gamma=5., zeta=0.4, tau=2.)
    rows, cols = torch.meshgrid(torch.arange(6.), torch.arange(7.),
                                indexing='ij')
    pos = torch.stack([rows, cols], -1).reshape(-1, 2).double()
    rgb = image[0].reshape(3, -1).t()
    dep = depth[0, 0].reshape(-1)
    k1, k2, k3 = eq7_kernels(pos[:, None], pos[None], rgb[:, None], rgb[None],
                             dep[:, None], dep[None], thetas)
    assert torch.allclose(gaussian_kernel_matrix(
        appearance_features(image, 4., 30.))[0], k1)
    assert torch.allclose(gaussian_kernel_matrix(
        depth_features(depth, 5., 0.4))[0], k2)
    assert torch.allclose(gaussian_kernel_matrix(
        smoothness_features(1, 6, 7, 2., image))[0], k3)


@pytest.mark.parametrize('normalize', ['row', 'symmetric', 'none'])
def test_exact_mode_is_the_brute_force_mean_field(normalize):
    image, depth, logits, _ = structured_scene(5, 6, classes=4)
    weights = dict(w_appearance=0.7, w_depth=0.4, w_smooth=0.3)
    crf = random_crf(4, normalize, 'exact', num_iters=3, **SMALL, **weights)
    assert crf.normalize == normalize
    with torch.no_grad():
        out = crf(logits.double(), image.double(), depth.double())
    weights = crf.kernel_weights()
    expected = brute_force_mean_field(
        logits, image, depth, crf.compatibility,
        [weights['appearance'], weights['depth'], weights['smooth']], SMALL,
        normalize, 3)
    assert torch.allclose(out, expected, atol=1e-9)


@pytest.mark.parametrize('size,classes', [((24, 32), 5), ((48, 64), 8)])
@pytest.mark.parametrize('normalize,thetas', [
    ('row', SMALL), ('row', PAPER), ('symmetric', SMALL),
    ('symmetric', PAPER), ('none', SMALL)])
def test_lattice_labels_agree_with_the_exact_crf(size, classes, normalize,
                                                 thetas):
    image, depth, logits, labels = structured_scene(*size, classes=classes,
                                                    seed=classes)
    logits = logits * 0.6  # weak unaries: the CRF changes many labels
    weights = ({} if normalize != 'none'
               else dict(w_appearance=0.3, w_depth=0.2, w_smooth=0.2))
    lattice = DenseCRF(classes, normalize=normalize, **thetas, **weights)
    exact = DenseCRF(classes, normalize=normalize, filter_mode='exact',
                     **thetas, **weights)
    with torch.no_grad():
        approx = lattice(logits, image, depth).argmax(1)[0]
        reference = exact(logits, image, depth).argmax(1)[0]
    unary = logits.argmax(1)[0]
    assert (reference != unary).float().mean() > 0.1  # the CRF did something
    assert (approx == reference).float().mean() >= 0.97


@pytest.mark.parametrize('normalize,filter_mode,classes', [
    (normalize, mode, 3) for normalize in ('row', 'symmetric', 'none')
    for mode in ('lattice', 'exact')] + [('symmetric', 'lattice', 17)])
def test_gradients_match_finite_differences(normalize, filter_mode, classes):
    image, depth, logits, _ = structured_scene(4, 5, classes=classes,
                                               seed=7)
    crf = random_crf(classes, normalize, filter_mode, num_iters=2,
                     theta_alpha=3.,
                     theta_beta=40., theta_gamma=3., theta_zeta=0.5,
                     theta_tau=2., w_appearance=0.8, w_depth=0.5,
                     w_smooth=0.4)
    names = ['compatibility', 'weight_logit_appearance', 'weight_logit_depth',
             'weight_logit_smooth']
    params = [getattr(crf, n).detach().clone().requires_grad_()
              for n in names]
    z = logits.double().requires_grad_()
    image, depth = image.double(), depth.double()

    def refine(z, *tensors):
        return torch.func.functional_call(crf, dict(zip(names, tensors)),
                                          (z, image, depth))

    # fast mode compares random projections of the analytical and the
    # finite-difference Jacobians (a handful of evaluations instead of one
    # per input entry); the full Jacobian is checked below on a tinier CRF.
    assert torch.autograd.gradcheck(refine, (z, *params), fast_mode=True)


@pytest.mark.parametrize('normalize,classes', [
    ('row', 3), ('symmetric', 3), ('none', 3), ('symmetric', 17)])
def test_exact_mode_gradients_are_the_brute_force_gradients(normalize,
                                                            classes):
    """The mean field's own backward (adjoint iterations) against autograd
    through the brute-force mean field, to every parameter and the
    unaries (17 classes: the softmax Jacobian of many classes)."""
    image, depth, logits, _ = structured_scene(4, 5, classes=classes, seed=8)
    weights = dict(w_appearance=0.7, w_depth=0.4, w_smooth=0.3)
    crf = random_crf(classes, normalize, 'exact', num_iters=3, **SMALL,
                     **weights)
    gen = torch.Generator().manual_seed(3)
    target = torch.randn(1, classes, 4, 5, generator=gen,
                         dtype=torch.float64)
    z = logits.double().requires_grad_()
    (crf(z, image.double(), depth.double()) * target).sum().backward()
    params = {n: p.detach().clone().requires_grad_()
              for n, p in crf.named_parameters()}
    z_ref = logits.double().requires_grad_()
    kernel_w = kernel_weights_from_logits(
        [params[f'weight_logit_{k}'] for k in crf.kernels], crf.weight_total)
    expected = brute_force_mean_field(z_ref, image, depth,
                                      params['compatibility'], kernel_w,
                                      SMALL, normalize, 3)
    (expected * target).sum().backward()
    torch.testing.assert_close(z.grad, z_ref.grad, rtol=1e-9, atol=1e-10)
    for name, param in crf.named_parameters():
        torch.testing.assert_close(param.grad, params[name].grad, rtol=1e-9,
                                   atol=1e-10)


@pytest.mark.parametrize('normalize', ['row', 'symmetric', 'none'])
def test_full_jacobian_of_a_tiny_lattice_crf(normalize):
    image, depth, logits, _ = structured_scene(2, 3, classes=2, seed=9)
    crf = random_crf(2, normalize, num_iters=2, theta_alpha=2.,
                     theta_beta=60., theta_gamma=2., theta_zeta=0.5,
                     theta_tau=1.5, w_appearance=0.8, w_depth=0.5,
                     w_smooth=0.4)
    names = ['compatibility', 'weight_logit_depth']
    params = [getattr(crf, n).detach().clone().requires_grad_()
              for n in names]
    z = logits.double().requires_grad_()
    image, depth = image.double(), depth.double()

    def refine(z, *tensors):
        return torch.func.functional_call(crf, dict(zip(names, tensors)),
                                          (z, image, depth))

    assert torch.autograd.gradcheck(refine, (z, *params))


def test_image_and_depth_get_no_gradient():
    image, depth, logits, _ = structured_scene(6, 8, classes=3)
    image.requires_grad_()
    depth.requires_grad_()
    logits.requires_grad_()
    crf = DenseCRF(3, **SMALL)
    crf(logits, image, depth).sum().backward()
    assert image.grad is None and depth.grad is None
    assert logits.grad is not None and logits.grad.abs().sum() > 0
    for param in crf.parameters():
        assert param.grad is not None and torch.isfinite(param.grad).all()


@pytest.mark.parametrize('normalize', ['row', 'symmetric', 'none'])
def test_inference_without_gradients_equals_the_tracked_pass(normalize,
                                                             monkeypatch):
    """Without gradients Q is overwritten in place in a cached buffer; with
    them every iteration's Q is kept.  Same numbers, in many blocks, on a
    batch whose noise image has a colour lattice larger than the image
    (sliced on its own)."""
    monkeypatch.setattr(mean_field, 'BLOCK_BYTES', 7 * 4 * 4)  # 7 rows
    monkeypatch.setattr(mean_field, 'MIN_BLOCK_ROWS', 1)
    image, depth, logits, _ = structured_scene(20, 30, classes=4)
    noise = torch.rand(1, 3, 20, 30) * 255
    images = torch.cat([image, noise])
    depths = torch.cat([depth, depth.flip(-1)])
    logits = torch.cat([logits, logits.flip(-1)])
    weights = ({} if normalize != 'none'
               else dict(w_appearance=0.3, w_depth=0.2, w_smooth=0.2))
    crf = random_crf(4, normalize, theta_alpha=10., theta_beta=1.,
                     theta_gamma=8., theta_zeta=0.3, theta_tau=3.,
                     **weights).float()
    with torch.no_grad():
        inference = crf(logits, images, depths)
        again = crf(logits, images, depths)  # reused buffers
    assert len(crf.cache.free_buffers) == 2      # Q and the table
    tracked = crf(logits, images, depths)     # parameters need gradients
    assert tracked.requires_grad and not inference.requires_grad
    assert inference.is_contiguous()
    assert torch.allclose(inference, tracked, atol=1e-4)
    assert torch.equal(inference, again)


def test_a_noise_image_gives_a_lattice_larger_than_the_image():
    from jointdepthseg.models.refiners.lattice_filter import \
        LatticeGaussianFilter
    noise = torch.rand(1, 3, 20, 30) * 255
    filt = LatticeGaussianFilter(appearance_features(noise, 10., 1.), True)
    assert filt.num_vertices > 20 * 30


def test_missing_depth_drops_the_depth_kernel():
    image, depth, logits, _ = structured_scene(10, 12, classes=3)
    full = DenseCRF(3, **SMALL)
    without = DenseCRF(3, w_depth=None, **SMALL)
    with torch.no_grad():
        assert torch.allclose(full(logits, image, None),
                              without(logits, image, depth), atol=1e-6)
        assert not torch.allclose(full(logits, image, depth),
                                  without(logits, image, depth), atol=1e-3)


def test_zero_iterations_return_the_unaries_and_dtype_is_kept():
    image, depth, logits, _ = structured_scene(6, 8, classes=3)
    assert DenseCRF(3, num_iters=0)(logits, image, depth) is logits
    half = DenseCRF(3, **SMALL)(logits.bfloat16(), image, depth)
    assert half.dtype == torch.bfloat16 and half.shape == logits.shape


def test_smoothness_lattice_is_cached_per_size():
    crf = DenseCRF(3, **SMALL)
    for size in ((6, 8), (6, 8), (7, 9)):
        image, depth, logits, _ = structured_scene(*size, classes=3)
        with torch.no_grad():
            out = crf(logits, image, depth)
        fresh = DenseCRF(3, **SMALL)
        with torch.no_grad():
            assert torch.allclose(out, fresh(logits, image, depth))
    assert len(crf.cache.lattices) == 2 and crf.cache.free_buffers
    crf.clear_cache()
    assert not crf.cache.lattices and not crf.cache.free_buffers


@pytest.mark.parametrize('change,message', [
    (dict(logits=torch.zeros(3, 6, 8)), 'unary_logits must be'),
    (dict(logits=torch.zeros(1, 4, 6, 8)), 'has 4 classes'),
    (dict(image=torch.zeros(1, 3, 6, 9)), 'image must be'),
    (dict(depth=torch.zeros(1, 2, 6, 8)), 'depth must be'),
    (dict(logits=torch.full((1, 3, 6, 8), float('nan'))), 'NaN'),
    (dict(image=torch.full((1, 3, 6, 8), float('inf'))), 'image contains'),
    (dict(depth=torch.full((1, 1, 6, 8), float('nan'))), 'depth contains'),
    (dict(image=torch.zeros(1, 3, 6, 8, dtype=torch.uint8)), 'float tensor'),
])
def test_input_errors_are_clear(change, message):
    inputs = dict(logits=torch.zeros(1, 3, 6, 8),
                  image=torch.zeros(1, 3, 6, 8),
                  depth=torch.ones(1, 1, 6, 8))
    inputs.update(change)
    with pytest.raises((ValueError, TypeError), match=message):
        DenseCRF(3)(inputs['logits'], inputs['image'], inputs['depth'])


@pytest.mark.parametrize('kwargs,message', [
    (dict(theta_beta=0.), 'theta_beta must be > 0'),
    (dict(filter_mode='fast'), 'filter_mode'),
    (dict(w_appearance=None, w_depth=None, w_smooth=None), 'at least one'),
    (dict(num_iters=-1), 'num_iters'),
    (dict(normalize='l2'), "normalize must be one of .*, got 'l2'"),
    (dict(normalize=1), 'normalize must be one of .*, got 1'),
    (dict(normalize=None), 'normalize must be one of .*, got None'),
])
def test_configuration_errors_are_clear(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DenseCRF(3, **kwargs)


@pytest.mark.parametrize('alias,mode', [(True, 'row'), (False, 'none')])
def test_booleans_of_old_configs_are_aliases_of_the_modes(alias, mode):
    image, depth, logits, _ = structured_scene(6, 8, classes=3)
    old = DenseCRF(3, normalize=alias, **SMALL)
    new = DenseCRF(3, normalize=mode, **SMALL)
    assert old.normalize == mode
    assert f"normalize='{mode}'" in repr(old)
    with torch.no_grad():
        assert torch.equal(old(logits, image, depth),
                           new(logits, image, depth))


def test_the_three_modes_give_different_crfs():
    image, depth, logits, _ = structured_scene(6, 8, classes=3)
    outs = []
    for mode in ('row', 'symmetric', 'none'):
        with torch.no_grad():
            outs.append(DenseCRF(3, normalize=mode, filter_mode='exact',
                                 **SMALL)(logits, image, depth))
    for i in range(3):
        for j in range(i):
            assert (outs[i] - outs[j]).abs().max() > 1e-2


def test_exact_mode_refuses_large_images():
    crf = DenseCRF(2, filter_mode='exact')
    with pytest.raises(ValueError, match='tiny inputs only'):
        crf(torch.zeros(1, 2, 100, 100), torch.zeros(1, 3, 100, 100))


@pytest.mark.parametrize('shape', [(1, 1, 1), (1, 1, 5), (2, 7, 1), (0, 4, 4)])
def test_degenerate_sizes(shape):
    num, height, width = shape
    gen = torch.Generator().manual_seed(8)
    logits = torch.randn(num, 3, height, width, generator=gen)
    image = torch.rand(num, 3, height, width, generator=gen) * 255
    depth = torch.rand(num, 1, height, width, generator=gen) * 4
    crf = DenseCRF(3, **SMALL)
    with torch.no_grad():
        buffered = crf(logits, image, depth)
    tracked = crf(logits, image, depth)
    assert buffered.shape == logits.shape
    assert torch.allclose(buffered, tracked, atol=1e-5)


def test_strided_unaries_and_autocast():
    image, depth, logits, _ = structured_scene(6, 8, classes=3)
    crf = DenseCRF(3, **SMALL)
    strided = logits.permute(0, 1, 3, 2).contiguous().permute(0, 1, 3, 2)
    assert not strided.is_contiguous()
    with torch.no_grad():
        reference = crf(logits, image, depth)
        assert torch.allclose(crf(strided, image, depth), reference)
        with torch.autocast('cpu', dtype=torch.bfloat16):
            autocast = crf(logits, image, depth)
    assert autocast.dtype == torch.float32
    assert torch.allclose(autocast, reference)


def test_pooled_buffers_keep_gradients_exact():
    """The mean field lends its (P, C) buffers from the module's pool until
    the backward has run: two tracked calls at once, repeated training
    steps and a retained graph all give the gradients of fresh modules."""
    image, depth, logits, _ = structured_scene(6, 8, classes=3)
    target = torch.randn(logits.shape, generator=torch.Generator()
                         .manual_seed(1))

    def grads(crf, z):
        z = z.clone().requires_grad_()
        crf.zero_grad()
        (crf(z, image, depth) * target).sum().backward()
        return [z.grad] + [p.grad.clone() for p in crf.parameters()]

    expected = grads(DenseCRF(3, **SMALL), logits)
    flipped = grads(DenseCRF(3, **SMALL), logits.flip(-1))
    crf = DenseCRF(3, **SMALL)
    for _ in range(3):                       # steps reuse the pool
        for got, want in zip(grads(crf, logits), expected):
            torch.testing.assert_close(got, want, rtol=0, atol=0)
    assert crf.cache.free_buffers
    # two calls whose buffers are lent at the same time
    first_z = logits.clone().requires_grad_()
    second_z = logits.flip(-1).clone().requires_grad_()
    first, second = crf(first_z, image, depth), crf(second_z, image, depth)
    (second * target).sum().backward()
    (first * target).sum().backward()
    torch.testing.assert_close(first_z.grad, expected[0], rtol=0, atol=0)
    torch.testing.assert_close(second_z.grad, flipped[0], rtol=0, atol=0)
    # a retained graph back-propagates again while its buffers are intact
    z = logits.clone().requires_grad_()
    loss = (crf(z, image, depth) * target).sum()
    loss.backward(retain_graph=True)
    loss.backward(retain_graph=True)
    torch.testing.assert_close(z.grad, 2 * expected[0])
    with torch.no_grad():
        crf(logits, image, depth)            # reuses the given-back buffers
    with pytest.raises(RuntimeError, match='run the forward again'):
        loss.backward()


@pytest.mark.parametrize('filter_mode', ['lattice', 'exact'])
def test_fixed_weights_pass_the_same_unary_gradient(filter_mode):
    """With fixed weights the backward skips dL/dA; the unaries' gradient
    is the one of the learnable CRF at the same values."""
    image, depth, logits, _ = structured_scene(6, 8, classes=3)
    target = torch.randn(logits.shape, generator=torch.Generator()
                         .manual_seed(2))
    grads = []
    for learnable in (True, False):
        crf = DenseCRF(3, learnable=learnable, filter_mode=filter_mode,
                       **SMALL)
        z = logits.clone().requires_grad_()
        (crf(z, image, depth) * target).sum().backward()
        grads.append(z.grad)
        assert all(p.grad is not None for p in crf.parameters())
        assert learnable == any(True for _ in crf.parameters())
    torch.testing.assert_close(grads[0], grads[1], rtol=0, atol=0)
