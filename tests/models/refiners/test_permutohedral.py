"""Permutohedral lattice: geometry, the build against a hash-table lattice
written out point by point, sparse stages, accuracy against the exact
O(N^2) Gaussian filter, transposed messages and batching."""
import itertools
import math

import pytest
import torch

from jointdepthseg.models.refiners import blur_groups, lattice_build
from jointdepthseg.models.refiners.blur_groups import grouped_blur_matrix
from jointdepthseg.models.refiners.crf_kernels import (appearance_features,
                                                       depth_features,
                                                       smoothness_features)
from jointdepthseg.models.refiners.exact_filter import (ExactGaussianFilter,
                                                        gaussian_kernel_matrix)
from jointdepthseg.models.refiners.lattice_filter import LatticeGaussianFilter
from jointdepthseg.models.refiners.lattice_geometry import (
    KeyPacking, elevation_matrix, enclosing_simplex, sort_rows_descending)
from jointdepthseg.models.refiners.permutohedral import \
    build_permutohedral_lattice

from tests.helpers.crf_reference import brute_force_lattice_matrix
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
        rem0, rank, bary = enclosing_simplex(x.t().contiguous())
        rem0, rank, bary = rem0.t(), rank.t().long(), bary.t()
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


def test_the_sorting_network_sorts_columns_with_ties():
    gen = torch.Generator().manual_seed(11)
    for rows in (1, 2, 3, 6, 9):
        values = torch.randint(0, 4, (rows, 300), generator=gen).double()
        expected = torch.sort(values, 0, descending=True).values
        assert torch.equal(sort_rows_descending(values), expected)


@pytest.mark.parametrize('num_images,num_points,dim,spread', [
    (1, 200, 2, 3.), (1, 300, 5, 4.), (3, 100, 3, 2.), (2, 150, 5, 30.),
    (1, 100, 1, 5.)])
def test_lattice_equals_a_hash_table_lattice_built_point_by_point(
        num_images, num_points, dim, spread):
    """Half the points sit on a coarse grid, so that many share their
    enclosing simplex (the build groups them)."""
    gen = torch.Generator().manual_seed(num_points + dim)
    feats = torch.rand(num_images, num_points, dim, generator=gen,
                       dtype=torch.float64) * spread
    feats[:, :num_points // 2] = torch.round(
        feats[:, :num_points // 2] * 3) / 3
    lattice = build_permutohedral_lattice(feats)
    total = num_images * num_points
    operator = lattice.apply(torch.eye(total, dtype=torch.float64))
    torch.testing.assert_close(operator, brute_force_lattice_matrix(feats),
                               rtol=0, atol=1e-12)


def test_points_too_spread_to_group_by_simplex_give_the_same_lattice():
    """Where the simplex key would overflow int64 every point is its own
    simplex (a slower build of the same lattice)."""
    gen = torch.Generator().manual_seed(12)
    feats = torch.rand(1, 40, 5, generator=gen, dtype=torch.float64) * 1500
    elevated = feats[0] @ elevation_matrix(5, torch.float64,
                                           torch.device('cpu'))
    packing = KeyPacking.covering(
        enclosing_simplex(elevated.t().contiguous())[0], 1)
    assert packing.key_range * 6**6 >= 2**62 > packing.key_range * 6
    lattice = build_permutohedral_lattice(feats)
    operator = lattice.apply(torch.eye(40, dtype=torch.float64))
    torch.testing.assert_close(operator, brute_force_lattice_matrix(feats),
                               rtol=0, atol=1e-12)


def test_vertices_are_numbered_in_the_order_of_their_first_point():
    image, _, _, _ = structured_scene(16, 20, classes=4)
    lattice = build_permutohedral_lattice(
        appearance_features(image, 6., 15.).double())
    splat = lattice.splat
    first = torch.tensor([int(splat.columns[a:b].min()) for a, b in zip(
        splat.offsets[:-1].tolist(), splat.offsets[1:].tolist())])
    assert (first[1:] >= first[:-1]).all()


def test_ranges_to_indices_by_hand():
    starts = torch.tensor([5, 0, 9, 2])
    counts = torch.tensor([2, 3, 1, 2])
    assert lattice_build.ranges_to_indices(starts, counts, 8).tolist() == [
        5, 6, 0, 1, 2, 9, 2, 3]


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
def test_transposed_message_is_the_transpose(normalize):
    """The backward pass's transposed filter (splat and slice swapped, the
    input and output scales swapped, blur axes reversed) is the transpose
    of the forward filter, written out as matrices."""
    gen = torch.Generator().manual_seed(5)
    feats = torch.rand(2, 20, 3, generator=gen, dtype=torch.float64) * 3
    filt = LatticeGaussianFilter(feats, normalize)
    eye = torch.eye(40, dtype=torch.float64)
    forward = filt(eye)
    assert forward.abs().sum() > 0
    torch.testing.assert_close(filt(eye, transpose=True), forward.t(),
                               rtol=0, atol=1e-12)
    # (the lattice itself is not symmetric: the axes' blurs do not commute
    # where neighbours are missing, so the transpose is a different matrix)
    assert (forward - forward.t()).abs().max() > 1e-3


def test_grouped_blur_is_transposed_by_its_reversed_product():
    gen = torch.Generator().manual_seed(13)
    lattice = build_permutohedral_lattice(
        torch.rand(1, 200, 5, generator=gen, dtype=torch.float64) * 60)
    assert any(len(group) > 1 for group in lattice.groups)
    eye = torch.eye(lattice.num_vertices, dtype=torch.float64)
    torch.testing.assert_close(lattice.blur(eye, transpose=True),
                               lattice.blur(eye).t(), rtol=0, atol=1e-12)


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
