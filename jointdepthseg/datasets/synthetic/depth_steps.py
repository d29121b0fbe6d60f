"""Measure, in rendered images, what separates the classes of a pair.

Two measurements, both pooled over a dataset by ``summarise_pair``:

* ``boundary_depth_steps``: the depth jump across every place where the two
  classes touch (4-neighbour pixel pairs). Where a pair only touches at a
  contact edge (a pillow's bottom on the seat, a book's bottom on its board)
  the step is near 0, so the distribution, not its minimum, describes a pair.
* ``depth_kernel_mass``: what the CRF's depth kernel sees within its spatial
  reach (theta_gamma): the share of the spatial weight between the two
  classes that its depth term keeps (the *retention*), and the same within
  the first class for reference.
"""
from __future__ import annotations

import numpy as np

#: The CRF's depth-kernel width of the synthetic configs, metres (theta_zeta).
CRF_THETA_ZETA_M = 0.2
#: The paper's spatial width of the depth kernel (theta_gamma) at 640 pixels
#: wide; the synthetic configs scale it with the image width.
CRF_THETA_GAMMA_PX_AT_640 = 50.0


def crf_theta_gamma_px(width: int) -> float:
    """theta_gamma in pixels of an image ``width`` pixels wide."""
    return CRF_THETA_GAMMA_PX_AT_640 * width / 640.0


def boundary_depth_steps(labels: np.ndarray, depth: np.ndarray, class_a: int,
                         class_b: int) -> np.ndarray:
    """Depth jumps where two classes touch.

    Args:
        labels: (H, W) integer class ids.
        depth: (H, W) metres.
        class_a, class_b: the two class ids.

    Returns:
        (N,) float64 ``|depth_p - depth_q|`` metres over every horizontally
        or vertically adjacent pixel pair ``(p, q)`` with one pixel of each
        class (right-neighbour pairs first, then down-neighbour pairs,
        row-major).
    """
    labels = np.asarray(labels)
    depth = np.asarray(depth, dtype=np.float64)
    if labels.shape != depth.shape or labels.ndim != 2:
        raise ValueError(f'labels and depth must both be (H, W), got '
                         f'{labels.shape} and {depth.shape}')
    steps = []
    for first, second in (((slice(None), slice(None, -1)),
                           (slice(None), slice(1, None))),
                          ((slice(None, -1), slice(None)),
                           (slice(1, None), slice(None)))):
        la, lb = labels[first], labels[second]
        touching = ((la == class_a) & (lb == class_b)) \
            | ((la == class_b) & (lb == class_a))
        steps.append(np.abs(depth[first] - depth[second])[touching])
    return np.concatenate(steps)


def class_mean_colours(image: np.ndarray, labels: np.ndarray,
                       class_ids) -> dict[int, np.ndarray | None]:
    """Mean RGB of each class in one image.

    Args:
        image: (H, W, 3) RGB, any numeric dtype (0-255 for the pngs).
        labels: (H, W) class ids.
        class_ids: the classes to measure.

    Returns:
        ``{class_id: (3,) float64 mean RGB, or None if absent}``.
    """
    image = np.asarray(image, dtype=np.float64)
    return {int(c): (image[labels == c].mean(axis=0)
                     if np.any(labels == c) else None) for c in class_ids}


def depth_kernel_mass(labels: np.ndarray, depth: np.ndarray, class_a: int,
                      class_b: int, theta_gamma_px: float,
                      theta_zeta_m: float = CRF_THETA_ZETA_M,
                      chunk: int = 512) -> tuple[float, float]:
    """How much of the CRF's spatial weight between two classes survives
    the depth term of its depth kernel (Sec. 3.2, the w(2) kernel).

    Sums over pixel pairs ``i`` of ``class_a`` and ``j`` of ``class_b``
    (``i != j`` when the classes are equal) the spatial weight
    ``k_s = exp(-|p_i - p_j|^2 / (2 theta_gamma^2))`` and the full depth
    kernel ``k_s * exp(-(z_i - z_j)^2 / (2 theta_zeta^2))``. Their ratio,
    pooled over images, is the *retention*: 1 if the depth kernel cannot
    tell the classes apart, near 0 if every nearby pixel pair of the two
    classes lies many ``theta_zeta`` apart in depth.

    Args:
        labels: (H, W) class ids.
        depth: (H, W) metres.
        class_a, class_b: the classes.
        theta_gamma_px: spatial width, pixels of this image.
        theta_zeta_m: depth width, metres.
        chunk: pixels of ``class_a`` per vectorised block (memory only).

    Returns:
        ``(depth_kernel_sum, spatial_sum)``; both 0 if a class is absent.
    """
    rows_a, cols_a = np.nonzero(labels == class_a)
    rows_b, cols_b = np.nonzero(labels == class_b)
    z_a = np.asarray(depth, np.float64)[rows_a, cols_a]
    z_b = np.asarray(depth, np.float64)[rows_b, cols_b]
    kernel_sum = spatial_sum = 0.0
    for start in range(0, rows_a.size, chunk):
        part = slice(start, start + chunk)
        dist2 = (rows_a[part, None] - rows_b[None]) ** 2 \
            + (cols_a[part, None] - cols_b[None]) ** 2
        spatial = np.exp(-dist2 / (2.0 * theta_gamma_px ** 2))
        if class_a == class_b:
            spatial[dist2 == 0] = 0.0
        dz2 = (z_a[part, None] - z_b[None]) ** 2
        kernel_sum += float(
            (spatial * np.exp(-dz2 / (2.0 * theta_zeta_m ** 2))).sum())
        spatial_sum += float(spatial.sum())
    return kernel_sum, spatial_sum


def kernel_equivalent_step(retention: float,
                           theta_zeta_m: float = CRF_THETA_ZETA_M) -> float:
    """The single depth step (metres) whose depth-kernel factor
    ``exp(-step^2 / (2 theta_zeta^2))`` equals ``retention`` (in (0, 1])."""
    return theta_zeta_m * float(np.sqrt(-2.0 * np.log(retention)))


def measure_pair(labels: np.ndarray, depth: np.ndarray, class_a: int,
                 class_b: int, theta_gamma_px: float) -> dict | None:
    """Both measurements of one image, or None if a class is absent.

    Returns:
        dict with ``steps`` (``boundary_depth_steps``), ``cross`` and
        ``within`` (``depth_kernel_mass`` of ``(a, b)`` and ``(a, a)``).
    """
    if not (np.any(labels == class_a) and np.any(labels == class_b)):
        return None
    return dict(
        steps=boundary_depth_steps(labels, depth, class_a, class_b),
        cross=depth_kernel_mass(labels, depth, class_a, class_b,
                                theta_gamma_px),
        within=depth_kernel_mass(labels, depth, class_a, class_a,
                                 theta_gamma_px))


def summarise_pair(measurements: list, theta_gamma_px: float) -> dict:
    """Pool ``measure_pair`` results over images; metres, rounded to 0.1 mm.

    Returns:
        dict with ``images`` (in which both classes occur),
        ``boundary_pixel_pairs``, the ``p10`` / ``median`` / ``p90``
        boundary step, ``fraction_ge_theta_zeta`` (share of boundary pixel
        pairs with a step >= ``CRF_THETA_ZETA_M``),
        ``kernel_retention_cross`` and ``kernel_retention_within`` (pooled
        retention between the classes and within the first one), the
        ``kernel_equivalent_step`` of the cross retention, and the kernel
        widths used. Statistics without data are None.
    """
    found = [m for m in measurements if m is not None]
    steps = np.concatenate([m['steps'] for m in found] + [np.zeros(0)])
    out = dict(images=len(found), boundary_pixel_pairs=int(steps.size),
               p10=None, median=None, p90=None, fraction_ge_theta_zeta=None)
    if steps.size:
        p10, median, p90 = np.quantile(steps, [0.1, 0.5, 0.9])
        out.update(p10=round(float(p10), 4), median=round(float(median), 4),
                   p90=round(float(p90), 4), fraction_ge_theta_zeta=round(
                       float(np.mean(steps >= CRF_THETA_ZETA_M)), 4))
    for key in ('cross', 'within'):
        kernel = sum(m[key][0] for m in found)
        spatial = sum(m[key][1] for m in found)
        out[f'kernel_retention_{key}'] = (round(kernel / spatial, 4)
                                          if spatial > 0 else None)
    cross = out['kernel_retention_cross']
    out['kernel_equivalent_step'] = (round(kernel_equivalent_step(cross), 4)
                                     if cross else None)
    out.update(theta_gamma_px=round(theta_gamma_px, 4),
               theta_zeta_m=CRF_THETA_ZETA_M)
    return out
