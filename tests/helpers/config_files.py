"""Where a config's ``_base_`` files are, for tests that walk the chain."""
from __future__ import annotations

import os.path as osp

from mmengine.config import Config
from mmengine.config.utils import _get_package_and_cfg_path
from mmengine.utils import get_installed_path


def base_file(config_path: str, base: str) -> str:
    """A ``_base_`` entry as a file: relative to the config, or
    ``package::path`` in that installed package's ``.mim/configs``."""
    if '::' in base:
        package, relative = _get_package_and_cfg_path(base)
        return osp.join(get_installed_path(package), '.mim', 'configs',
                        relative)
    return osp.join(osp.dirname(config_path), base)


def base_depth(path: str) -> int:
    """Levels of ``_base_`` above a config (its deepest chain)."""
    bases = Config._get_base_files(path)
    return 1 + max(base_depth(base_file(path, b)) for b in bases) \
        if bases else 0
