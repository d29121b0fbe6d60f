"""Install jointdepthseg. torch and mmcv (full, with ops) are installed first by
the Makefile (`make setup`): mmcv 2.1.0 has no wheel for recent torch and is
built from source.

The configs travel with the package as ``jointdepthseg/.mim/configs``, where
mmengine's package-scoped config paths look (``_base_ =
['jointdepthseg::_base_/models/joint_multiscale.py']``), as mmseg ships its
own: ``pip install .`` copies them into the wheel (see docs/reuse.md)."""
import os
import os.path as osp
import shutil

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

ROOT = osp.dirname(osp.abspath(__file__))
MIM_DIR = osp.join('jointdepthseg', '.mim')
# mmengine 0.10 reads <package>/.mim/model-index.yml before it looks for a
# config under .mim/configs; we list no released models.
MODEL_INDEX = ('# Released models with metafiles (none yet). mmengine reads '
               'this index\n# before it falls back to .mim/configs/.\n'
               'Import: []\n')


def write_model_index(mim_dir: str) -> None:
    os.makedirs(mim_dir, exist_ok=True)
    with open(osp.join(mim_dir, 'model-index.yml'), 'w') as index:
        index.write(MODEL_INDEX)


def remove_path(path: str) -> None:
    """Removes a file, a symlink or a folder tree, if there."""
    if osp.islink(path) or osp.isfile(path):
        os.remove(path)
    elif osp.isdir(path):
        shutil.rmtree(path)


class BuildPyWithConfigs(build_py):
    """build_py that also ships configs/ as jointdepthseg/.mim/configs.

    Wheel builds (``pip install .``, ``pip wheel .``, and a wheel built from
    the sdist, which carries configs/) copy them into the built package, as
    mmseg's setup.py does. Editable installs (``pip install -e .``) get
    nothing: mmengine 0.10 looks for ``.mim`` next to the install's metadata
    in site-packages, where a PEP 660 editable install has no package folder,
    so no link in the checkout could be found (docs/reuse.md).
    """

    def run(self):
        super().run()
        if self.editable_mode:
            return
        source = osp.join(ROOT, 'configs')
        if not osp.isdir(source):
            raise FileNotFoundError(f'configs folder not found: {source}')
        mim_dir = osp.join(self.build_lib, MIM_DIR)
        target = osp.join(mim_dir, 'configs')
        write_model_index(mim_dir)
        remove_path(target)
        shutil.copytree(source, target,
                        ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))


setup(
    name='jointdepthseg',
    version='0.1.0',
    description=('Joint semantic segmentation and depth estimation with a '
                 'fully connected CRF (Mousavian et al., 3DV 2016) on '
                 'MMSegmentation 1.x'),
    packages=find_packages(include=['jointdepthseg', 'jointdepthseg.*']),
    python_requires='>=3.9',
    install_requires=[
        'torch>=2.0',
        'mmengine==0.10.7',
        'mmcv>=2.0.0,<2.2.0',
        'mmsegmentation==1.2.2',
        'numpy',
        'scipy',
        'opencv-python-headless',
        'h5py',            # reads the MATLAB v7.3 NYU file
        'matplotlib',      # figures
        'prettytable',     # tables in logs
        'ftfy', 'regex',   # imported by mmseg.models
        # pkg_resources (gone from setuptools 81): mmengine 0.10 finds an
        # installed package's configs (jointdepthseg::..., mmseg::...) with it
        'setuptools<81',
    ],
    extras_require={'test': ['pytest>=7', 'pytest-timeout', 'mutmut>=3.8']},
    cmdclass={'build_py': BuildPyWithConfigs},
)
