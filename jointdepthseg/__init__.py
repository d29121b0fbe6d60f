"""jointdepthseg: joint semantic segmentation and depth estimation (Mousavian,
Pirsiavash, Kosecka, 3DV 2016) as MMSegmentation 1.x components.

Importing the package registers every component into mmseg's registries:
``custom_imports = dict(imports=['jointdepthseg'], allow_failed_imports=False)``.
"""
from .utils import check_mmcv_ops

check_mmcv_ops()

from . import apis, datasets, engine, evaluation, models, visualization  # noqa: E402,F401,I001
# the jointdepthseg:: config scope (configs of other projects inherit ours)
from . import registry  # noqa: E402,F401

__version__ = '0.1.0'
__all__ = ['apis', 'datasets', 'engine', 'evaluation', 'models', 'visualization',
           '__version__']
