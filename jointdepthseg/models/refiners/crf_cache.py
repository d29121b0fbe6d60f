"""Everything DenseCRF keeps between forward calls, in one object.

:class:`CRFCache` holds two things, nothing else:

- **smoothness lattices**: the position-only kernel k3 depends on the image
  size alone, so its :class:`~.lattice_filter.LatticeGaussianFilter` is
  built once per size, as CRF-RNN builds its spatial lattice once (the other
  kernels depend on the image and the depth and are rebuilt every call).
  Key: ``(B, H, W, theta_tau, normalize, dtype, device)``.  Bound: the
  ``max_lattices`` most recently used (4 by default, a few tens of MB each at
  480x640); the least recently used one is dropped first.  A filter that
  served a backward pass also keeps its transposed blur.
- **a pool of CPU buffers** for the mean field's (P, C) tensors (each
  iteration's Q, the fused slice table, the backward's gradients): a
  :class:`BufferLease` borrows them for one call, or, when a backward pass
  follows, until that backward has run, and then gives them back.  A CPU
  page-faults every fresh multi-megabyte tensor (measured: a fresh
  512x512 x 150 float tensor costs 2-3x the time of writing a reused one),
  so a training step would otherwise pay for its memory again each time.
  CUDA tensors are not pooled (PyTorch's caching allocator already reuses
  them).  Bound: ``MAX_FREE_BUFFERS`` returned buffers; a buffer lent to a
  forward whose backward never runs is freed with its graph, not returned.

``clear()`` (``DenseCRF.clear_cache()``) frees both; nothing is saved with the
module's state, and a copy of the module (``copy.deepcopy``, pickling) starts
with an empty cache.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable

import torch
from torch import Tensor

MAX_LATTICES = 4
# A tracked 5-iteration call borrows 10 (P, C) buffers (5 Q, the tables,
# 3 gradients); more than that are not kept.
MAX_FREE_BUFFERS = 12


class CRFCache:
    """The smoothness lattices and buffer pool of one DenseCRF.

    Args:
        max_lattices (int): smoothness lattices kept (>= 1).
    """

    def __init__(self, max_lattices: int = MAX_LATTICES) -> None:
        if int(max_lattices) < 1:
            raise ValueError(f'CRFCache: max_lattices must be >= 1, got '
                             f'{max_lattices}')
        self.max_lattices = int(max_lattices)
        self.lattices: OrderedDict = OrderedDict()
        self.free_buffers: list = []
        # borrow / give_back from several threads (one module serving
        # concurrent requests) must not hand one buffer out twice
        self._pool_lock = threading.Lock()
        # how many times a free buffer has been lent again (a saved buffer
        # given back is intact while this has not moved)
        self.reuses = 0

    def __reduce__(self):
        """A copy (``copy.deepcopy`` of the module, pickling) starts empty:
        lattices and buffers are rebuilt on demand, not copied."""
        return CRFCache, (self.max_lattices, )

    def lattice(self, key: tuple, build: Callable[[], object]):
        """The lattice filter stored under ``key``, built by ``build()`` on
        a miss (then the least recently used one beyond the bound goes)."""
        filt = self.lattices.get(key)
        if filt is None:
            filt = build()
            self.lattices[key] = filt
            while len(self.lattices) > self.max_lattices:
                self.lattices.popitem(last=False)
        else:
            self.lattices.move_to_end(key)
        return filt

    def borrow(self, numel: int, dtype: torch.dtype) -> Tensor:
        """A 1-D CPU tensor of at least ``numel`` elements, uninitialised:
        the smallest free one that fits, else a new one.  Give it back with
        :meth:`give_back` when it is no longer read."""
        with self._pool_lock:
            fitting = [i for i, buf in enumerate(self.free_buffers)
                       if buf.dtype == dtype and buf.numel() >= numel]
            if fitting:
                best = min(fitting,
                           key=lambda i: self.free_buffers[i].numel())
                self.reuses += 1
                return self.free_buffers.pop(best)
        return torch.empty(numel, dtype=dtype)

    def give_back(self, buffer: Tensor) -> None:
        """Return a tensor from :meth:`borrow`; beyond ``MAX_FREE_BUFFERS``
        the oldest free buffer is dropped."""
        with self._pool_lock:
            self.free_buffers.append(buffer)
            del self.free_buffers[:-MAX_FREE_BUFFERS]

    def clear(self) -> None:
        """Free every lattice and buffer."""
        self.lattices.clear()
        with self._pool_lock:
            self.free_buffers.clear()

    def __repr__(self) -> str:
        return (f'CRFCache({len(self.lattices)} lattices, '
                f'{len(self.free_buffers)} free buffers)')


class BufferLease:
    """The buffers one mean-field call uses, given back together.

    Args:
        cache (CRFCache | None): the pool; None (or a CUDA call, see
            :meth:`empty`) allocates plainly.
    """

    def __init__(self, cache: CRFCache | None) -> None:
        self.cache = cache
        self.borrowed: list = []
        self.released_at = None

    def empty(self, shape: tuple, dtype: torch.dtype,
              device: torch.device) -> Tensor:
        """An uninitialised tensor of ``shape``, from the pool on CPU."""
        if self.cache is None or torch.device(device).type != 'cpu':
            return torch.empty(shape, dtype=dtype, device=device)
        numel = 1
        for size in shape:
            numel *= int(size)
        buffer = self.cache.borrow(numel, dtype)
        self.borrowed.append(buffer)
        return buffer[:numel].view(shape)

    def release(self) -> None:
        """Give every borrowed buffer back; their contents stay valid only
        while :meth:`intact`."""
        if self.cache is not None:
            for buffer in self.borrowed:
                self.cache.give_back(buffer)
            self.released_at = self.cache.reuses
        self.borrowed = []

    @property
    def released(self) -> bool:
        return self.released_at is not None

    def intact(self) -> bool:
        """Whether no buffer given back by :meth:`release` can have been
        lent again (always true before the release)."""
        return (self.released_at is None
                or self.released_at == self.cache.reuses)
