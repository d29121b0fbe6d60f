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
- **inference buffers**: the Q buffer that the mean field overwrites in
  place when no gradient is needed (P x C floats), so that a CPU does not
  page-fault a fresh multi-megabyte tensor on every call.  Key: the name
  (``'q'``); one tensor per name, grown to the largest request and reused
  for smaller ones.  Bound: one buffer per name, the size of the largest
  request.

``clear()`` (``DenseCRF.clear_cache()``) frees both; nothing is saved with the
module's state.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Callable

import torch
from torch import Tensor

MAX_LATTICES = 4


class CRFCache:
    """The smoothness lattices and inference buffers of one DenseCRF.

    Args:
        max_lattices (int): smoothness lattices kept (>= 1).
    """

    def __init__(self, max_lattices: int = MAX_LATTICES) -> None:
        if int(max_lattices) < 1:
            raise ValueError(f'CRFCache: max_lattices must be >= 1, got '
                             f'{max_lattices}')
        self.max_lattices = int(max_lattices)
        self.lattices: OrderedDict = OrderedDict()
        self.buffers: dict = {}

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

    def buffer(self, name: str, shape: tuple, dtype: torch.dtype,
               device: torch.device) -> Tensor:
        """An uninitialised tensor of ``shape`` backed by the buffer
        ``name`` (reallocated when too small or of another dtype/device)."""
        numel = 1
        for size in shape:
            numel *= int(size)
        buf = self.buffers.get(name)
        if (buf is None or buf.numel() < numel or buf.dtype != dtype
                or buf.device != torch.device(device)):
            buf = torch.empty(numel, dtype=dtype, device=device)
            self.buffers[name] = buf
        return buf[:numel].view(shape)

    def clear(self) -> None:
        """Free every lattice and buffer."""
        self.lattices.clear()
        self.buffers.clear()

    def __repr__(self) -> str:
        return (f'CRFCache({len(self.lattices)} lattices, '
                f'{len(self.buffers)} buffers)')
