"""Environment checks run when the package is imported."""
from __future__ import annotations

import importlib

MMCV_OPS_HELP = (
    'jointdepthseg needs the full mmcv 2.1.0 with its compiled ops '
    '(mmseg.models imports mmcv.ops); {problem}. Install it with '
    '`make setup` or: pip uninstall -y mmcv mmcv-lite && '
    "pip install 'setuptools<70' wheel ninja && MMCV_WITH_OPS=1 pip install "
    '--no-build-isolation mmcv==2.1.0')


def check_mmcv_ops() -> None:
    """Raises ImportError with install instructions if mmcv's ops are missing."""
    try:
        importlib.import_module('mmcv')
    except ImportError as error:
        raise ImportError(MMCV_OPS_HELP.format(
            problem=f'mmcv is not installed ({error})')) from error
    try:
        importlib.import_module('mmcv.ops')
        importlib.import_module('mmcv._ext')
    except ImportError as error:
        raise ImportError(MMCV_OPS_HELP.format(
            problem=f'mmcv was installed without ops ({error})')) from error
