"""benchmarks/crf_depth_oracle.py: the hand-set depth kernel it compares."""
from __future__ import annotations

import importlib.util
import json
import os.path as osp

import pytest
import torch

from jointdepthseg.models.refiners import DenseCRF

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def load_tool():
    path = osp.join(ROOT, 'benchmarks', 'crf_depth_oracle.py')
    spec = importlib.util.spec_from_file_location('crf_depth_oracle', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def trained_sem_crf(num_classes=5):
    """A Sem-CRF (no depth kernel) whose weights differ per pair."""
    crf = DenseCRF(num_classes, w_depth=None, learnable=False)
    generator = torch.Generator().manual_seed(0)
    for tensor in (crf.compatibility, crf.weight_logit_appearance,
                   crf.weight_logit_smooth):
        tensor.add_(torch.rand(tensor.shape, generator=generator))
    return crf


def test_depth_kernel_only_on_the_pairs():
    tool = load_tool()
    sem_crf = trained_sem_crf()
    pairs = [(1, 2), (3, 4)]
    crf = tool.crf_with_depth_on_pairs(sem_crf, pairs, 0.05, 2.)
    before, after = sem_crf.kernel_weights(), crf.kernel_weights()
    total = float(sem_crf.weight_total)
    assert crf.thetas['theta_zeta'] == 0.05
    assert crf.thetas['theta_gamma'] == sem_crf.thetas['theta_gamma']
    on_pair = torch.zeros(5, 5, dtype=torch.bool)
    for a, b in pairs:
        on_pair[a, b] = on_pair[b, a] = True
    # every other pair: the trained Sem-CRF's w(1), w(3) and mu, no depth
    for name in ('appearance', 'smooth'):
        torch.testing.assert_close(after[name][~on_pair],
                                   before[name][~on_pair], rtol=2e-4,
                                   atol=0)
    assert float(after['depth'][~on_pair].max()) < 1e-3 * total
    torch.testing.assert_close(crf.compatibility[~on_pair],
                               sem_crf.compatibility[~on_pair])
    # the pairs: all of the total on the depth kernel, mu x strength
    torch.testing.assert_close(after['depth'][on_pair],
                               torch.full((4,), total), rtol=1e-3, atol=0)
    assert float(after['appearance'][on_pair].max()) < 1e-3 * total
    torch.testing.assert_close(crf.compatibility[on_pair],
                               2. * sem_crf.compatibility[on_pair])


def test_uncoupled_leaves_the_sem_crf_unchanged():
    tool = load_tool()
    sem_crf = trained_sem_crf()
    kept = sem_crf.compatibility.clone()
    crf = tool.uncoupled(sem_crf, [(1, 2)])
    assert crf.compatibility[1, 2] == 0 and crf.compatibility[2, 1] == 0
    assert crf.compatibility[0, 1] == kept[0, 1]
    torch.testing.assert_close(sem_crf.compatibility, kept)


def test_data_without_pairs_is_refused(tmp_path):
    tool = load_tool()
    with pytest.raises(SystemExit, match='synthetic_meta.json not found'):
        tool.depth_only_pairs(str(tmp_path))
    (tmp_path / 'synthetic_meta.json').write_text(json.dumps(
        {'variant': 'rooms', 'depth_only_pairs': []}))
    with pytest.raises(SystemExit, match='--variant depth-cue'):
        tool.depth_only_pairs(str(tmp_path))
    (tmp_path / 'synthetic_meta.json').write_text(json.dumps(
        {'depth_only_pairs': [{'classes': ['pillow', 'sofa'],
                               'ids': [17, 5]}]}))
    assert tool.depth_only_pairs(str(tmp_path)) == [(17, 5)]
