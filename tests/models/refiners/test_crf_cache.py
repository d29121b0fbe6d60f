"""CRFCache: what it keeps, its bound, reuse and clearing."""
import pytest
import torch

from jointdepthseg.models.refiners.crf_cache import CRFCache


def test_lattices_are_kept_up_to_the_bound_least_recently_used_first():
    cache = CRFCache(max_lattices=2)
    built = []

    def build(name):
        built.append(name)
        return name

    assert cache.lattice('a', lambda: build('a')) == 'a'
    assert cache.lattice('b', lambda: build('b')) == 'b'
    assert cache.lattice('a', lambda: build('a2')) == 'a'   # hit, now newest
    assert cache.lattice('c', lambda: build('c')) == 'c'    # drops 'b'
    assert list(cache.lattices) == ['a', 'c']
    assert cache.lattice('b', lambda: build('b2')) == 'b2'  # rebuilt
    assert built == ['a', 'b', 'c', 'b2']


def test_buffers_grow_and_are_reused():
    cache = CRFCache()
    big = cache.buffer('q', (4, 5), torch.float32, torch.device('cpu'))
    small = cache.buffer('q', (2, 3), torch.float32, torch.device('cpu'))
    assert small.data_ptr() == big.data_ptr() and small.shape == (2, 3)
    other = cache.buffer('q', (2, 3), torch.float64, torch.device('cpu'))
    assert other.dtype == torch.float64
    bigger = cache.buffer('q', (10, 10), torch.float64, torch.device('cpu'))
    assert bigger.shape == (10, 10) and len(cache.buffers) == 1
    cache.clear()
    assert not cache.buffers and not cache.lattices


def test_a_bound_below_one_is_refused():
    with pytest.raises(ValueError, match='max_lattices must be >= 1'):
        CRFCache(0)
