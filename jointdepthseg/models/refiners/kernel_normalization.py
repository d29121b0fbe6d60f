"""How each kernel's mean-field message is normalised (``DenseCRF.normalize``).

With ``K`` the kernel matrix ``k(f_i, f_j)`` of one Gaussian kernel (Eq. 7,
``j = i`` included, ``K_ii = 1``), ``D = diag(K 1)`` its row sums and ``Q``
the (P, C) label distribution, the message of the kernel is

- ``'row'``: ``D^-1 K Q``, each pixel's message divided by its kernel sum
  (CRF-RNN, Zheng et al. 2015; ``normalize=True`` before the modes existed);
- ``'symmetric'``: ``D^-1/2 K D^-1/2 Q``, pydensecrf's default
  ``NORMALIZE_SYMMETRIC`` (Krähenbühl & Koltun, ICML 2013), which keeps the
  operator symmetric;
- ``'none'``: ``(K - I) Q``, Eq. 5-7 read literally, sums over ``j != i``
  (``normalize=False`` before the modes existed).

For the permutohedral lattice, ``K`` and ``D`` are the lattice's own
approximations (``D = W 1``), as in pydensecrf, so the lattice's overall
scale cancels in the normalised modes; ``'none'`` calibrates the scale
instead (``lattice_filter.py``).
"""
from __future__ import annotations

NORMALIZATIONS = ('row', 'symmetric', 'none')
# The booleans of the configs and checkpoints written before the modes.
_ALIASES = {True: 'row', False: 'none'}


def canonical_normalization(normalize, owner: str = 'DenseCRF') -> str:
    """The mode name for ``normalize`` (a mode name, True or False).

    Args:
        normalize (str | bool): ``'row'``, ``'symmetric'``, ``'none'``, or
            the aliases True (``'row'``) and False (``'none'``).
        owner (str): who is asking, for the error message.

    Returns:
        str: one of :data:`NORMALIZATIONS`.

    Raises:
        ValueError: for anything else.
    """
    if isinstance(normalize, bool):
        return _ALIASES[normalize]
    if isinstance(normalize, str) and normalize in NORMALIZATIONS:
        return normalize
    raise ValueError(f'{owner}: normalize must be one of {NORMALIZATIONS} '
                     f'(or True for \'row\', False for \'none\'), got '
                     f'{normalize!r}')
