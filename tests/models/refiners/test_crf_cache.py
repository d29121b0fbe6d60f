"""CRFCache: what it keeps, its bound, reuse and clearing."""
import pytest
import torch

from jointdepthseg.models.refiners.crf_cache import (MAX_FREE_BUFFERS,
                                                      BufferLease, CRFCache)


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


def test_borrow_gives_the_smallest_free_buffer_that_fits():
    cache = CRFCache()
    small, big = torch.empty(6), torch.empty(20)
    cache.give_back(big)
    cache.give_back(small)
    assert cache.borrow(5, torch.float32) is small      # smallest that fits
    assert cache.borrow(5, torch.float32) is big        # the one left
    fresh = cache.borrow(5, torch.float32)              # none free: new
    assert fresh.numel() == 5 and fresh is not small
    cache.give_back(small)
    assert cache.borrow(7, torch.float32).numel() == 7  # too small: new
    assert cache.borrow(3, torch.float64).dtype == torch.float64
    assert cache.free_buffers == [small]
    assert repr(cache) == 'CRFCache(0 lattices, 1 free buffers)'
    cache.clear()
    assert not cache.free_buffers and not cache.lattices


def test_free_buffers_are_bounded_oldest_dropped_first():
    cache = CRFCache()
    buffers = [torch.empty(i + 1) for i in range(MAX_FREE_BUFFERS + 3)]
    for buf in buffers:
        cache.give_back(buf)
    assert cache.free_buffers == buffers[3:]


def test_a_lease_gives_its_buffers_back_together_and_only_on_cpu():
    cache = CRFCache()
    lease = BufferLease(cache)
    first = lease.empty((4, 5), torch.float32, 'cpu')
    second = lease.empty((2, 3), torch.float32, 'cpu')
    assert first.shape == (4, 5) and second.shape == (2, 3)
    assert not cache.free_buffers
    lease.release()
    assert len(cache.free_buffers) == 2 and not lease.borrowed
    again = BufferLease(cache).empty((3, 2), torch.float32, 'cpu')
    assert again.data_ptr() == second.data_ptr()   # the 6-element one
    plain = BufferLease(None)
    plain.empty((2, 2), torch.float32, 'cpu')
    plain.release()
    assert not plain.borrowed


def test_a_bound_below_one_is_refused():
    with pytest.raises(ValueError, match='max_lattices must be >= 1'):
        CRFCache(0)


def test_copies_of_a_module_start_with_an_empty_cache():
    import copy
    import pickle

    from jointdepthseg.models.refiners import DenseCRF
    crf = DenseCRF(3, w_depth=None)
    crf.cache.give_back(torch.empty(10))
    crf.cache.lattice('key', lambda: 'lattice')
    for twin in (copy.deepcopy(crf), pickle.loads(pickle.dumps(crf))):
        assert not twin.cache.free_buffers and not twin.cache.lattices
        assert twin.cache is not crf.cache
    assert crf.cache.free_buffers and crf.cache.lattices

