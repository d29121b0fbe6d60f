"""Eq. 7 written out literally: the reference the CRF tests compare with."""
from __future__ import annotations

import torch
from torch import Tensor


def eq7_kernels(pos_i: Tensor, pos_j: Tensor, rgb_i: Tensor, rgb_j: Tensor,
                depth_i: Tensor, depth_j: Tensor, thetas: dict) -> tuple:
    """Eq. 7 literally, for pairs of pixels (reference for tests).

    Args:
        pos_i, pos_j (Tensor): (..., 2) pixel positions.
        rgb_i, rgb_j (Tensor): (..., 3) colours, 0-255.
        depth_i, depth_j (Tensor): (...) depths, metres.
        thetas (dict): ``alpha, beta, gamma, zeta, tau``.

    Returns:
        tuple: ``(k1, k2, k3)``, each of shape (...).
    """
    dp2 = (pos_i - pos_j).pow(2).sum(-1)
    di2 = (rgb_i - rgb_j).pow(2).sum(-1)
    dd2 = (depth_i - depth_j).pow(2)
    k1 = torch.exp(-dp2 / (2 * thetas['alpha']**2)
                   - di2 / (2 * thetas['beta']**2))
    k2 = torch.exp(-dp2 / (2 * thetas['gamma']**2)
                   - dd2 / (2 * thetas['zeta']**2))
    k3 = torch.exp(-dp2 / (2 * thetas['tau']**2))
    return k1, k2, k3


def brute_force_lattice_matrix(features: Tensor) -> Tensor:
    """The permutohedral lattice operator written out point by point with a
    hash table (Adams, Baek & Davis 2010, their Fig. 3-4), as a dense matrix.

    For tiny inputs only; independent of ``permutohedral.py`` (plain Python
    per point, a dict of integer vertex coordinates).

    Args:
        features (Tensor): (B, N, d) features divided by the kernel widths.

    Returns:
        Tensor: (B * N, B * N) float64 ``W`` with ``W v = slice(blur(splat
        v))``: splat with barycentric weights, ``[1/2, 1, 1/2]`` along each
        lattice axis 0..d over existing vertices, slice.
    """
    num_images, num_points, dim = features.shape
    dp1 = dim + 1
    # Elevation: column k of the basis is (1, ..., 1, -(k+1), 0, ...) (k + 1
    # ones) over its norm, scaled by sqrt(2/3) (d + 1).
    scale = (2.0 / 3.0) ** 0.5 * dp1
    vertex_ids, entries = {}, []   # entries: (point, vertex, weight)
    for image in range(num_images):
        for point in range(num_points):
            f = [float(v) for v in features[image, point]]
            x = [0.0] * dp1
            for k in range(dim):
                norm = ((k + 1.0) * (k + 2.0)) ** 0.5
                for i in range(k + 1):
                    x[i] += f[k] / norm * scale
                x[k + 1] -= (k + 1.0) * f[k] / norm * scale
            rem0 = [round(v / dp1) * dp1 for v in x]
            diff = [a - b for a, b in zip(x, rem0)]
            order = sorted(range(dp1), key=lambda i: (-diff[i], i))
            rank = [0] * dp1
            for place, i in enumerate(order):
                rank[i] = place
            total = sum(rem0) // dp1
            for i in range(dp1):
                rank[i] += total
                if rank[i] < 0:
                    rank[i] += dp1
                    rem0[i] += dp1
                elif rank[i] > dim:
                    rank[i] -= dp1
                    rem0[i] -= dp1
            bary = [0.0] * (dp1 + 1)
            for i in range(dp1):
                delta = (x[i] - rem0[i]) / dp1
                bary[dim - rank[i]] += delta
                bary[dim + 1 - rank[i]] -= delta
            bary[0] += 1.0 + bary[dp1]
            for r in range(dp1):
                key = tuple([image] + [
                    rem0[i] + r - (dp1 if rank[i] > dim - r else 0)
                    for i in range(dp1)])
                vertex = vertex_ids.setdefault(key, len(vertex_ids))
                entries.append((image * num_points + point, vertex, bary[r]))
    total_points = num_images * num_points
    splat = torch.zeros(len(vertex_ids), total_points, dtype=torch.float64)
    for point, vertex, weight in entries:
        splat[vertex, point] += weight
    blur = torch.eye(len(vertex_ids), dtype=torch.float64)
    for axis in range(dp1):
        step = torch.eye(len(vertex_ids), dtype=torch.float64)
        for key, vertex in vertex_ids.items():
            for sign in (1, -1):
                # +1 on every coordinate and -(d + 1) on this axis' (or the
                # opposite step)
                other = tuple([key[0]] + [
                    key[1 + i] + sign * (1 - (dp1 if i == axis else 0))
                    for i in range(dp1)])
                if other in vertex_ids:
                    step[vertex, vertex_ids[other]] += 0.5
        blur = step @ blur
    return splat.t() @ blur @ splat
