"""Mean-field inference of the fully connected CRF (Eq. 5-7), one algorithm.

Krähenbühl & Koltun (2011), Zheng et al. (2015, CRF-RNN), section 3.4 of the
paper.  Pixels are rows: unaries ``z`` are (P, C) with ``P = B * H * W``.
Starting from ``Q_0 = softmax(z)``, iteration ``t = 1..T`` computes

    out_t = z - sum_m message_m(Q_(t-1)) A_m^T,    Q_t = softmax(out_t)

with ``message_m`` the Gaussian filtering of kernel ``m`` (normalised as
``kernel_normalization.py`` says) and the compatibility ``A_m = mu * w_m``
(element-wise); ``out_T`` is returned.

:class:`MeanField` runs these iterations without recording an autograd
graph and is differentiable through its own backward, which runs the adjoint
iterations from ``t = T`` down to 1 with the ``Q_(t-1)`` saved by the forward:

    G_T = dL/dout_T;  dL/dz = G_T + ... + G_0
    dL/dA_m -= G_t^T message_m(Q_(t-1))
    G_(t-1) = softmax'(Q_(t-1)) [-sum_m message_m^T(G_t A_m)]

where ``softmax'(Q) g = Q * (g - sum_l Q g)`` (row-wise) and ``message_m^T``
is the transposed filter.  Autograd then carries ``dL/dA_m`` to ``mu`` and the
weight logits.  The filtering itself is a *plan* (lattice or exact), with
the interface :class:`MeanFieldPlan` documents.

A Potts compatibility ``A = a (J - I)`` (``J`` all ones), pydensecrf's case,
is recognised exactly (:func:`potts_weight`): then ``message(Q) A^T =
a (rowsum(message(Q)) - message(Q))``, and as the rows of ``Q`` sum to one
``rowsum(message(Q))`` is the message of a constant 1, fixed per pixel, so
the C x C product is skipped.  In the backward pass the same product adds a
per-pixel constant to every class of ``dL/dQ``, which the softmax's Jacobian
removes; only ``dL/dA`` needs the full C x C products there.
"""
from __future__ import annotations

import torch
from torch import Tensor

from .crf_cache import BufferLease


def compatibility_matrices(mu: Tensor, kernel_weights: list) -> list:
    """``A_m = mu * w_m`` (element-wise) for every kernel: (C, C) each."""
    return [mu * weight for weight in kernel_weights]


# A compatibility counts as Potts when it is a (J - I) up to this many
# units of rounding of a: the kernel weights come out of a softmax whose
# vectorised and scalar paths round equal inputs differently, so the w(m)
# of a Potts start differ in their last bit.
POTTS_TOLERANCE_ULPS = 8


def potts_weight(matrix: Tensor) -> float | None:
    """``a`` where ``matrix`` is ``a (J - I)``, else None.

    Exact up to ``POTTS_TOLERANCE_ULPS`` roundings of ``a``: the shortcut
    then differs from the C x C product by as much as the product's own
    rounding.

    Args:
        matrix (Tensor): (C, C) compatibility ``A_m``.
    """
    classes = matrix.shape[0]
    value = float(matrix[0, 1]) if classes > 1 else 0.0
    eye = torch.eye(classes, dtype=torch.bool, device=matrix.device)
    potts = torch.where(eye, torch.zeros_like(matrix),
                        torch.full_like(matrix, value))
    tolerance = POTTS_TOLERANCE_ULPS * torch.finfo(matrix.dtype).eps * abs(
        value)
    if float((matrix - potts).abs().max()) > tolerance:
        return None
    return value


# Below this many classes a softmax written out (max, exp, sum, divide) beats
# torch.softmax on CPU, whose row kernel vectorises along the classes (3.7x
# faster at 6 classes, slower from about 20 on; measured on 480x640 rows).
SMALL_SOFTMAX_CLASSES = 16
# Pixel rows per block of the pixel-side passes (see block_rows).
BLOCK_BYTES = 256 * 1024
MIN_BLOCK_ROWS = 512


def softmax_rows(logits: Tensor, out: Tensor) -> Tensor:
    """Row-wise softmax of ``logits`` (P, C) into ``out``; ``logits`` may be
    overwritten (it is a scratch block)."""
    if logits.shape[1] >= SMALL_SOFTMAX_CLASSES or not logits.is_cpu:
        return torch.softmax(logits, 1, out=out)
    logits.sub_(logits.amax(1, keepdim=True)).exp_()
    return torch.div(logits, logits.sum(1, keepdim=True), out=out)


def softmax_backward(grad_q: Tensor, q: Tensor, out: Tensor) -> Tensor:
    """``q * (grad_q - sum_l q grad_q)`` row-wise into ``out``: the gradient
    to the logits of ``q = softmax(logits)``; (P, C) each.  ``grad_q`` may
    be overwritten (a scratch block).

    From ``SMALL_SOFTMAX_CLASSES`` classes on (and on CUDA) this is the
    kernel autograd runs for ``torch.softmax`` (one pass instead of four:
    1.6x faster on 512 x 150 blocks); below, written out, as the softmax.
    """
    if grad_q.shape[1] >= SMALL_SOFTMAX_CLASSES or not grad_q.is_cpu:
        return torch.ops.aten._softmax_backward_data.out(
            grad_q, q, 1, q.dtype, grad_input=out)
    inner = (grad_q * q).sum(1, keepdim=True)
    return torch.mul(q, grad_q.sub_(inner), out=out)


def block_rows(like: Tensor) -> int:
    """Pixel rows per block of the pixel-side passes over (P, C) tensors
    like ``like``: on CPU a (rows, C) block of ``BLOCK_BYTES`` stays in a
    core's cache; elsewhere (CUDA) one block per image, as every block is a
    few kernel launches."""
    if like.device.type != 'cpu':
        return 2**62
    return max(MIN_BLOCK_ROWS,
               BLOCK_BYTES // max(like.shape[-1] * like.element_size(), 1))


def pixel_blocks(num_images: int, per_image: int, rows: int):
    """Yield ``(image, p0, p1, r0, r1)``: pixels ``p0:p1`` of ``image``, rows
    ``r0:r1`` of the flat (B * N, C) layout; blocks never cross images."""
    for image in range(num_images):
        for p0 in range(0, per_image, rows):
            p1 = min(per_image, p0 + rows)
            yield image, p0, p1, image * per_image + p0, image * per_image + p1


def channels_to_rows(values: Tensor, out: Tensor) -> Tensor:
    """Copy (B, C, N) ``values`` into (B * N, C) rows ``out``, block by
    block (a strided transposing copy of the whole tensor is 3-10x slower on
    CPU)."""
    num, classes, per_image = values.shape
    for image, p0, p1, r0, r1 in pixel_blocks(num, per_image,
                                              block_rows(out)):
        out[r0:r1].copy_(values[image, :, p0:p1].t())
    return out


class MeanFieldPlan:
    """What :class:`MeanField` needs from the pairwise filtering.

    Unaries, the output and their gradients are (B, C, N) (the module's
    layout); Q and the gradients inside the iterations are (B * N, C) rows.

    Attributes:
        num_points (int): P = B * N.

    ``prepare(compat, track, unary, lease, track_compat) -> state``:
    everything fixed for one call (Potts weights, scaled weights, the
    unaries' rows); ``track`` says a backward pass follows,
    ``track_compat`` that it needs ``dL/dA_m`` (a CRF with fixed weights
    only passes gradients on to the unaries); large buffers come from
    ``lease.empty(shape, dtype, device)`` (a
    :class:`~.crf_cache.BufferLease`).

    ``initial(state, q)``: write ``softmax(z)`` into ``q`` (P, C).

    ``update(q, state, target, softmax) -> saved``: with ``softmax``, write
    ``softmax(out)``, ``out = z - sum_m message_m(q) A_m^T``, into the rows
    ``target`` (P, C), which may be ``q`` itself; else write ``out`` into
    ``target`` (B, C, N).  Return what the adjoint of this iteration needs
    besides ``q`` (None if nothing).

    ``adjoint(grad, q, saved, state, grad_compat, target, grad_unary,
    out)``: with ``grad`` (P, C) = dL/dout of the iteration that read ``q``,
    subtract ``grad^T message_m(q)`` from ``grad_compat[m]`` (None: not
    needed), write ``softmax'(q) [-sum_m message_m^T(grad A_m)]`` into
    ``target`` (P, C) and add it to ``grad_unary`` (P, C); or, for the last
    step, write ``grad_unary`` plus it into ``out`` (B, C, N) (dL/dz in the
    module's layout, one transposing pass less).
    """

    num_points: int


class MeanField(torch.autograd.Function):
    """``mean_field(plan, unary, compat, num_iters)`` as an autograd node.

    Call as ``MeanField.apply(plan, num_iters, workspace, track, unary,
    *compat)``; ``track`` says whether a backward pass may follow (the Q of
    every iteration is then kept), ``workspace`` (a
    :class:`~.crf_cache.CRFCache` or None) lends the (P, C) buffers: for the
    call, or with ``track`` until the first backward has run (a repeated
    backward of the same graph is refused once a later call has reused
    them).
    """

    @staticmethod
    def forward(ctx, plan, num_iters: int, workspace, track: bool,
                unary: Tensor, *compat: Tensor) -> Tensor:
        num, classes, per_image = unary.shape
        shape = (num * per_image, classes)
        # Buffers come from the workspace's pool; with a backward to come
        # they are lent until it has run.
        lease = BufferLease(workspace)
        track_compat = track and any(ctx.needs_input_grad[5:])
        state = plan.prepare(list(compat), track, unary, lease, track_compat)
        q = lease.empty(shape, unary.dtype, unary.device)
        plan.initial(state, q)
        saved = []
        for step in range(num_iters):
            last = step == num_iters - 1
            if last:
                target = torch.empty_like(unary)
            else:
                target = lease.empty(shape, unary.dtype,
                                     unary.device) if track else q
            extra = plan.update(q, state, target, softmax=not last)
            if track:
                saved.append((q, extra))
            q = target
        if track:
            ctx.plan, ctx.state, ctx.saved, ctx.lease = plan, state, saved, \
                lease
            ctx.save_for_backward(*compat)
        else:
            lease.release()
        return q

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_out: Tensor):
        lease = ctx.lease
        if not lease.intact():
            raise RuntimeError(
                'mean_field.py: this DenseCRF graph was already '
                'back-propagated and its saved buffers have been reused by a '
                'later call; run the forward again before another backward')
        # The first backward borrows its buffers too and then gives back
        # everything; a repeated one (retain_graph) allocates its own, as the
        # pool then holds the saved Q.
        work = BufferLease(None) if lease.released else lease
        compat = ctx.saved_tensors
        num, classes, per_image = grad_out.shape
        shape = (num * per_image, classes)
        grad = channels_to_rows(grad_out, work.empty(shape, grad_out.dtype,
                                                     grad_out.device))
        # dL/dz summed in rows (contiguous adds), transposed once at the end
        grad_rows = work.empty(shape, grad.dtype, grad.device)
        grad_rows.copy_(grad)
        grad_compat = ([torch.zeros_like(a) for a in compat]
                       if any(ctx.needs_input_grad[5:]) else None)
        # G_t is not needed once G_(t-1) is written: two buffers in turn
        target = work.empty(shape, grad.dtype, grad.device)
        # the last adjoint step writes dL/dz in the (B, C, N) layout itself
        grad_unary = torch.empty(grad_out.shape, dtype=grad.dtype,
                                 device=grad.device)
        steps = list(reversed(ctx.saved))
        for step, (q, extra) in enumerate(steps):
            last = step == len(steps) - 1
            ctx.plan.adjoint(grad, q, extra, ctx.state, grad_compat, target,
                             grad_rows, grad_unary if last else None)
            grad, target = target, grad
        if not lease.released:
            lease.release()
        return (None, None, None, None, grad_unary,
                *(grad_compat or [None] * len(compat)))


def mean_field(plan, unary: Tensor, compat: list, num_iters: int,
               workspace=None) -> Tensor:
    """Run ``num_iters`` mean-field updates from ``Q = softmax(unary)``.

    Args:
        plan (MeanFieldPlan): the pairwise filtering (lattice or exact).
        unary (Tensor): (B, C, N) logits ``z`` (N pixels per image).
        compat (list[Tensor]): (C, C) matrix ``A_m`` per kernel.
        num_iters (int): iterations, >= 1.
        workspace (CRFCache, optional): lends the (P, C) buffers (CPU).

    Returns:
        Tensor: (B, C, N) ``out`` of the last iteration (its softmax over C
        is the refined distribution); differentiable to ``unary`` and
        ``compat``.
    """
    if num_iters < 1:
        raise ValueError(f'mean_field: num_iters must be >= 1, got '
                         f'{num_iters}')
    track = torch.is_grad_enabled() and (
        unary.requires_grad or any(a.requires_grad for a in compat))
    return MeanField.apply(plan, num_iters, workspace, track,
                           unary.contiguous(), *compat)
