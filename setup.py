"""Install jointdepthseg. torch and mmcv (full, with ops) are installed first by
the Makefile (`make setup`): mmcv 2.1.0 has no wheel for recent torch and is
built from source."""
from setuptools import find_packages, setup

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
    ],
    extras_require={'test': ['pytest>=7', 'pytest-timeout']},
)
