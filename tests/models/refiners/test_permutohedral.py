"""Permutohedral lattice: geometry, sparse stages, accuracy against the exact
O(N^2) Gaussian filter, gradients, batching and the buffered CPU path."""
import itertools
import math

import pytest
import torch

from jointdepthseg.models.refiners import blur_groups, sparse_rows
from jointdepthseg.models.refiners.blur_groups import grouped_blur_matrix
from jointdepthseg.models.refiners.crf_kernels import (appearance_features,
                                                       depth_features,
                                                       smoothness_features)
from jointdepthseg.models.refiners.exact_filter import (ExactGaussianFilter,
                                                        gaussian_kernel_matrix)
from jointdepthseg.models.refiners.lattice_filter import LatticeGaussianFilter
from jointdepthseg.models.refiners.permutohedral import (
    build_permutohedral_lattice, elevation_matrix, enclosing_simplex)
from jointdepthseg.models.refiners.sparse_rows import SparseRows
from tests.helpers.crf_scenes import structured_scene


def test_elevation_is_a_scaled_isometry_onto_the_zero_sum_plane():
    for dim in (1, 2, 5):
        mat = elevation_matrix(dim, torch.float64, torch.device('cpu'))
        scale = math.sqrt(2.0 / 3.0) * (dim + 1)
        assert torch.allclose(mat @ mat.t(),
                              scale**2 * torch.eye(dim, dtype=torch.float64),
                              atol=1e-9)
        assert torch.allclose(mat.sum(1),
                              torch.zeros(dim, dtype=torch.float64),
                              atol=1e-9)


def test_barycentric_weights_reproduce_the_point_from_its_simplex():
    gen = torch.Generator().manual_seed(1)
    for dim in (2, 3, 5):
        dp1 = dim + 1
        feats = torch.randn(500, dim, generator=gen, dtype=torch.float64) * 4
        x = feats @ elevation_matrix(dim, torch.float64, torch.device('cpu'))
        rem0, rank, bary = enclosing_simplex(x)
        assert (bary >= -1e-9).all()
        assert torch.allclose(bary.sum(1), torch.ones(500, dtype=bary.dtype))
        # Vertex r: (d+1) rem0 + r, minus (d+1) where rank > d - r (all d+1
        # coordinates); its coordinates sum to zero and share remainder r.
        rebuilt = torch.zeros_like(x)
        for r in range(dp1):
            vertex = dp1 * rem0 + r - dp1 * (rank > dim - r).long()
            assert (vertex.sum(1) == 0).all()
            assert ((vertex - r) % dp1 == 0).all()
            rebuilt += bary[:, r:r + 1] * vertex.double()
        assert torch.allclose(rebuilt, x, atol=1e-9)
        # rank is a permutation of 0..d in every row
        assert (rank.sort(1).values == torch.arange(dp1)).all()


def test_splat_and_slice_are_transposes_and_blurs_symmetric():
    gen = torch.Generator().manual_seed(2)
    feats = torch.rand(1, 60, 3, generator=gen, dtype=torch.float64) * 3
    lattice = build_permutohedral_lattice(feats)
    splat = lattice.splat.to_dense()
    slice_ = lattice.slice.to_dense()
    assert torch.allclose(splat, slice_.t())
    assert torch.allclose(splat.sum(0), torch.ones(60, dtype=splat.dtype))
    for plus, minus in lattice.neighbours:
        single = grouped_blur_matrix((0, ), [(plus, minus)],
                                     torch.float64).to_dense()
        assert torch.allclose(single, single.t())
        ones = torch.ones(len(plus), dtype=torch.float64)
        assert torch.allclose(single.diagonal(), ones)


def test_grouped_blurs_equal_the_product_of_single_axis_blurs():
    gen = torch.Generator().manual_seed(3)
    feats = torch.rand(1, 80, 4, generator=gen, dtype=torch.float64) * 2.5
    lattice = build_permutohedral_lattice(feats)
    singles = [grouped_blur_matrix((k, ), lattice.neighbours,
                                   torch.float64).to_dense()
               for k in range(5)]
    for start, stop in [(0, 2), (1, 4), (0, 5), (4, 5)]:
        axes = tuple(range(start, stop))
        product = torch.eye(lattice.num_vertices, dtype=torch.float64)
        for k in axes:
            product = singles[k] @ product
        grouped = grouped_blur_matrix(axes, lattice.neighbours,
                                      torch.float64, rows_per_chunk=7)
        assert torch.allclose(grouped.to_dense(), product)
        transposed = grouped_blur_matrix(axes[::-1], lattice.neighbours,
                                         torch.float64)
        assert torch.allclose(transposed.to_dense(), product.t())
    # the lattice's own blur, whatever its grouping, is the full product
    full = torch.eye(lattice.num_vertices, dtype=torch.float64)
    for single in singles:
        full = single @ full
    eye = torch.eye(lattice.num_vertices, dtype=torch.float64)
    assert torch.allclose(lattice.blur(eye), full)
    assert torch.allclose(lattice.blur(eye, transpose=True), full.t())


def test_axis_grouping_follows_the_neighbour_density(monkeypatch):
    gen = torch.Generator().manual_seed(4)
    sparse = build_permutohedral_lattice(
        torch.rand(1, 200, 5, generator=gen) * 60)   # few neighbours
    dense = build_permutohedral_lattice(
        torch.rand(1, 2000, 2, generator=gen) * 3)   # many neighbours
    assert len(sparse.groups) < 6
    assert sum(len(g) for g in sparse.groups) == 6
    assert list(itertools.chain(*dense.groups)) == [0, 1, 2]
    monkeypatch.setattr(blur_groups, 'MAX_ADDED_ENTRIES_PER_ROW', 0.0)
    one_each = build_permutohedral_lattice(
        torch.rand(1, 200, 5, generator=gen) * 60)
    assert one_each.groups == [(k, ) for k in range(6)]


@pytest.mark.parametrize('size', [(24, 32), (48, 64)])
@pytest.mark.parametrize('normalize', ['row', 'symmetric', 'none'])
def test_message_within_15_percent_of_the_exact_filter(size, normalize):
    image, depth, logits, _ = structured_scene(*size, classes=6)
    q = logits[0].permute(1, 2, 0).reshape(-1, 6).double().softmax(1)
    kernels = [appearance_features(image, 10., 20.),
               appearance_features(image, 160., 3.),   # the paper's widths
               appearance_features(image, 30., 13.),
               depth_features(depth, 8., 0.2),
               smoothness_features(1, *size, 3., image)]
    for feats in kernels:
        feats = feats.double()
        approx = LatticeGaussianFilter(feats, normalize)(q)
        exact = ExactGaussianFilter(feats, normalize)(q)
        error = ((approx - exact).norm() / exact.norm()).item()
        assert error < 0.15, (feats.shape, error)


def test_exact_filter_conventions_by_hand():
    feats = torch.tensor([[[0.0], [1.0], [3.0]]], dtype=torch.float64)
    values = torch.tensor([[1.0], [2.0], [4.0]], dtype=torch.float64)
    k = lambda a, b: math.exp(-0.5 * (a - b)**2)  # noqa: E731
    pts = [0.0, 1.0, 3.0]
    vals = [1.0, 2.0, 4.0]
    sums = [sum(k(p, q) for q in pts) for p in pts]  # j = i included
    for normalize in ('row', 'symmetric', 'none'):
        out = ExactGaussianFilter(feats, normalize)(values)[:, 0]
        for i, p in enumerate(pts):
            if normalize == 'row':
                expected = sum(k(p, q) * v for q, v in zip(pts, vals)) \
                    / sums[i]
            elif normalize == 'symmetric':
                expected = sum(k(p, q) * v / math.sqrt(sums[i] * sums[j])
                               for j, (q, v) in enumerate(zip(pts, vals)))
            else:
                expected = sum(k(p, q) * v for j, (q, v) in
                               enumerate(zip(pts, vals)) if j != i)
            assert out[i].item() == pytest.approx(expected, rel=1e-12)
    # the booleans of old configs are the row and no normalisation
    for alias, mode in ((True, 'row'), (False, 'none')):
        assert torch.equal(ExactGaussianFilter(feats, alias)(values),
                           ExactGaussianFilter(feats, mode)(values))
    assert torch.allclose(gaussian_kernel_matrix(feats)[0].diagonal(),
                          torch.ones(3, dtype=torch.float64))
    with pytest.raises(ValueError, match='normalize must be one of'):
        ExactGaussianFilter(feats, 'sym')


def test_batched_lattice_equals_one_lattice_per_image():
    image, _, logits, _ = structured_scene(12, 16, classes=4)
    images = torch.cat([image, image.flip(-1) * 0.5])
    feats = appearance_features(images, 6., 15.).double()
    q = torch.rand(2 * 12 * 16, 4, dtype=torch.float64)
    both = LatticeGaussianFilter(feats, True)(q)
    for b in range(2):
        alone = LatticeGaussianFilter(feats[b:b + 1], True)(
            q[b * 192:(b + 1) * 192])
        assert torch.allclose(both[b * 192:(b + 1) * 192], alone)


@pytest.mark.parametrize('normalize', ['row', 'symmetric', 'none'])
def test_lattice_message_gradient_matches_finite_differences(normalize):
    gen = torch.Generator().manual_seed(5)
    feats = torch.rand(2, 20, 3, generator=gen, dtype=torch.float64) * 3
    filt = LatticeGaussianFilter(feats, normalize)
    values = torch.rand(40, 3, generator=gen, dtype=torch.float64,
                        requires_grad=True)
    assert torch.autograd.gradcheck(filt, (values, ))


def test_chunked_products_equal_one_call(monkeypatch):
    gen = torch.Generator().manual_seed(6)
    feats = torch.rand(1, 1000, 2, generator=gen) * 6
    lattice = build_permutohedral_lattice(feats)
    hidden = torch.rand(lattice.num_vertices, 5, generator=gen)
    reference = lattice.slice.matmul(hidden)
    monkeypatch.setattr(sparse_rows, 'CHUNK_BYTES', 64)  # 256-row blocks
    rows = SparseRows(lattice.slice.columns, lattice.slice.offsets,
                      lattice.slice.weights, lattice.slice.num_cols)
    out = torch.full_like(reference, float('nan'))
    assert rows.matmul_into(hidden, out) is out
    assert torch.allclose(out, reference)
    blocks = list(rows.row_blocks(hidden))
    assert [(r0, r1) for r0, r1, _ in blocks] == [
        (0, 256), (256, 512), (512, 768), (768, 1000)]
    assert torch.allclose(torch.cat([b for _, _, b in blocks]), reference)


def test_features_beyond_the_lattice_range_are_clear_errors():
    wide = torch.tensor([[[0.0] * 5, [1e10] * 5]], dtype=torch.float64)
    with pytest.raises(ValueError, match='overflows int64'):
        build_permutohedral_lattice(wide)
    imprecise = torch.tensor([[[0.0] * 5, [1e6] * 5]])
    with pytest.raises(ValueError, match='too far apart for float32'):
        build_permutohedral_lattice(imprecise)
    with pytest.raises(ValueError,
                       match=r'features must be \(B, N>=1, d>=1\)'):
        build_permutohedral_lattice(torch.zeros(4, 3))
