"""The synthetic stage-3 configs start Sem-CRF+ as Sem-CRF plus the depth
kernel: the same appearance and smoothness products mu * w(m) (7 and 3) and
w(2) = 4, Sec. 4.1's initial values, with either depth source."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config

import jointdepthseg  # noqa: F401
from mmseg.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = osp.join(ROOT, 'configs', 'synthetic')


def refiner_of(name):
    cfg = Config.fromfile(osp.join(CONFIGS, name))
    return MODELS.build(cfg.model.refiner)


def products(crf):
    """mu * w(m) per kernel, (C, C) each: what mean field uses."""
    mu = crf.compatibility.detach()
    return {name: mu * w.detach() for name, w in crf.kernel_weights().items()}


@pytest.mark.parametrize('config', ['stage3_crf.py', 'stage3_crf_rgbd.py'])
def test_sem_crf_plus_starts_as_sem_crf_plus_the_depth_kernel(config):
    with_depth = products(refiner_of(config))
    without = products(refiner_of('stage3_crf_nodepth.py'))
    assert set(without) == {'appearance', 'smooth'}
    for name in ('appearance', 'smooth'):
        torch.testing.assert_close(with_depth[name], without[name])
    # Potts-like start: off the diagonal mu = 1, so the products are the w
    off_diagonal = ~torch.eye(40, dtype=torch.bool)
    expected = {'appearance': 7., 'depth': 4., 'smooth': 3.}
    for name, value in expected.items():
        entries = with_depth[name][off_diagonal]
        torch.testing.assert_close(entries, torch.full_like(entries, value))


@pytest.mark.parametrize('config', ['stage3_crf.py', 'stage3_crf_nodepth.py',
                                    'stage3_crf_rgbd.py'])
def test_configs_state_only_departures_from_the_defaults(config):
    """Sec. 4.1's starting values have one home, DenseCRF's constructor
    defaults: a config repeating one is a second copy that can drift."""
    import inspect

    from jointdepthseg.models.refiners.dense_crf import DenseCRF
    defaults = {name: parameter.default for name, parameter in
                inspect.signature(DenseCRF).parameters.items()
                if parameter.default is not inspect.Parameter.empty}
    refiner = Config.fromfile(osp.join(CONFIGS, config)).model.refiner
    repeated = [key for key, value in refiner.items()
                if key in defaults and value == defaults[key]]
    assert repeated == []
