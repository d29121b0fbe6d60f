from .nyu_classes import (IGNORE_INDEX, NUM_NYU40_CLASSES, NYU40_CLASSES,
                          NYU40_PALETTE)
from .nyu_v2 import NYUv2Dataset
from .transforms import *  # noqa: F401,F403

__all__ = [
    'IGNORE_INDEX', 'NUM_NYU40_CLASSES', 'NYU40_CLASSES', 'NYU40_PALETTE',
    'NYUv2Dataset'
]
