"""Installed, not only cloned: a config outside this repository inherits the
configs shipped in the installed package, ``jointdepthseg::...`` (mmengine's
package-scoped paths), as OpenMMLab projects inherit each other's.

The module fixture installs a copy of the source, as ``pip install .`` does
(a wheel: setup.py's build_py copies configs/ into jointdepthseg/.mim/), into
a temporary folder put first on sys.path; mmengine then finds the installed
distribution there, exactly as in a site-packages install. (The editable
install of the development environment cannot serve: mmengine 0.10.7 looks
for the configs in site-packages, where a PEP 660 editable install has no
package folder; see docs/reuse.md.)
"""
import glob
import os.path as osp
import shutil
import subprocess
import sys
import textwrap

import pytest
import torch
from mmengine.config import Config
from mmengine.config.utils import MODULE2PACKAGE
from mmengine.registry import MODELS as ROOT_MODELS
from mmengine.registry import TRANSFORMS as ROOT_TRANSFORMS
from mmengine.utils import get_installed_path

from jointdepthseg import registry
from mmseg.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY = [4, 8, 8, 8, 64]  # Table 1 widths x 1/16


def relative_files(folder):
    """{relative path: bytes} of the .py and .yml files under folder."""
    paths = glob.glob(osp.join(folder, '**', '*'), recursive=True)
    found = {}
    for path in sorted(paths):
        if path.endswith(('.py', '.yml')) and '__pycache__' not in path:
            with open(path, 'rb') as file:
                found[osp.relpath(path, folder)] = file.read()
    return found


@pytest.fixture(scope='module')
def installed(tmp_path_factory):
    """(folder holding ``jointdepthseg/`` and its dist-info as pip installs a
    wheel, the copy of this repository it was built from: built there, not
    in the repository)."""
    folder = tmp_path_factory.mktemp('installed')
    source = folder / 'source'
    ignore = shutil.ignore_patterns('__pycache__', '*.pyc', '.mim')
    for name in ('jointdepthseg', 'configs'):
        shutil.copytree(osp.join(ROOT, name), source / name, ignore=ignore)
    for name in ('setup.py', 'MANIFEST.in'):
        shutil.copy(osp.join(ROOT, name), source / name)
    target = folder / 'site'
    result = subprocess.run(
        [sys.executable, '-m', 'pip', 'install', str(source), '--no-deps',
         '--no-build-isolation', '--no-compile', '--target', str(target),
         '--quiet', '--disable-pip-version-check'],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return target, source


@pytest.fixture
def on_path(installed, monkeypatch):
    """The installed copy first on sys.path (the package stays imported from
    the checkout; mmengine looks the installed configs up by distribution)."""
    monkeypatch.syspath_prepend(str(installed[0]))
    # mmengine finds installed configs through pkg_resources, which lists
    # the distributions on sys.path once, when first imported (an earlier
    # test that read an ``mmseg::`` config imports it): list them again
    # with the copy on the path, and again without it afterwards.
    import pkg_resources
    pkg_resources._initialize_master_working_set()
    yield installed
    monkeypatch.undo()
    pkg_resources._initialize_master_working_set()


def write(folder, name, text):
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def without_scope(value):
    """A config's plain data without the ``_scope_`` keys mmengine adds to
    dicts inherited through a ``PACKAGE::`` path."""
    if isinstance(value, dict):
        return {k: without_scope(v) for k, v in value.items()
                if k != '_scope_'}
    if isinstance(value, (list, tuple)):
        return type(value)(without_scope(v) for v in value)
    return value


def inherit_both_ways(folder, source, base, body):
    """The same config inheriting ``jointdepthseg::base`` and, by path, the
    source's configs/base: (installed Config, source Config)."""
    by_package = write(folder, 'by_package.py',
                       f"_base_ = ['jointdepthseg::{base}']\n" + body)
    by_path = write(folder, 'by_path.py', "_base_ = [{!r}]\n".format(
        osp.join(source, 'configs', base)) + body)
    return Config.fromfile(by_package), Config.fromfile(by_path)


def test_the_wheel_ships_every_config(installed):
    site, source = installed
    shipped = site / 'jointdepthseg' / '.mim'
    assert not (shipped / 'configs').is_symlink()  # a copy, not a link
    configs = relative_files(str(source / 'configs'))
    assert 'nyu/stage2_joint.py' in configs
    assert relative_files(str(shipped / 'configs')) == configs
    assert 'Import: []' in (shipped / 'model-index.yml').read_text()


def test_importing_the_package_registers_the_config_scope():
    assert MODULE2PACKAGE['jointdepthseg'] == 'jointdepthseg'
    # mmengine builds `_scope_='jointdepthseg'` dicts from these registries
    assert ROOT_MODELS._search_child('jointdepthseg') is registry.MODELS
    assert ROOT_TRANSFORMS._search_child('jointdepthseg') is \
        registry.TRANSFORMS
    for name in ('JointDepthSegmentor', 'DepthBinHead', 'ASPPHead'):
        assert registry.MODELS.get(name) is MODELS.get(name), name
    for name in ('LoadNYUAnnotations', 'LoadImageFromFile', 'Resize'):
        assert registry.TRANSFORMS.get(name) is not None, name


def test_an_outside_config_builds_a_model_from_the_installed_base(
        on_path, tmp_path):
    site, source = on_path
    assert get_installed_path('jointdepthseg') == str(site / 'jointdepthseg')
    installed, checkout = inherit_both_ways(
        tmp_path, source, '_base_/models/joint_multiscale.py', f"""
model = dict(
    backbone=dict(width_mult=1 / 16),
    decode_head=dict(in_channels={TINY}),
    depth_head=dict(in_channels={TINY}, num_bins=20))
""")
    assert installed.model._scope_ == 'jointdepthseg'  # set by mmengine
    assert without_scope(installed.to_dict()) == checkout.to_dict()
    model = MODELS.build(installed.model)
    assert type(model).__name__ == 'JointDepthSegmentor'
    assert model.depth_head.num_bins == 20  # the outside override
    model.eval()
    with torch.no_grad():
        logits, depth = model._forward(torch.randn(1, 3, 24, 32))
    assert logits.shape == (1, 40, 24, 32) and depth.shape == (1, 1, 24, 32)
    # Eq. 3 with 20 bins of bin_size metres
    top = 20 * model.depth_head.bin_size
    assert model.depth_head.bin_size - 1e-5 <= depth.min()
    assert depth.max() <= top + 1e-5


def test_a_leaf_config_resolves_its_relative_bases_inside_the_package(
        on_path, tmp_path):
    """nyu/stage2_joint.py inherits '../_base_/...' (model, dataset,
    schedule, runtime): all are read from the installed copy."""
    installed, checkout = inherit_both_ways(
        tmp_path, on_path[1], 'nyu/stage2_joint.py',
        'train_dataloader = dict(batch_size=2)\n')
    assert without_scope(installed.to_dict()) == checkout.to_dict()
    assert installed.train_dataloader.dataset.type == 'NYUv2Dataset'
    assert installed.train_dataloader.batch_size == 2
    assert installed.runner_type == 'SafeResumeRunner'
    assert 'jointdepthseg' in installed.custom_imports['imports']
