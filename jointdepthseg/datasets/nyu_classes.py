"""The 40 NYUDepth v2 classes of Gupta et al. (CVPR 2013) and a palette.

Label ``k`` (0..39) on disk is ``NYU40_CLASSES[k]``; 255 marks unlabeled pixels.
"""
from __future__ import annotations

NYU40_CLASSES = (
    'wall', 'floor', 'cabinet', 'bed', 'chair', 'sofa', 'table', 'door',
    'window', 'bookshelf', 'picture', 'counter', 'blinds', 'desk', 'shelves',
    'curtain', 'dresser', 'pillow', 'mirror', 'floor mat', 'clothes',
    'ceiling', 'books', 'refridgerator', 'television', 'paper', 'towel',
    'shower curtain', 'box', 'whiteboard', 'person', 'night stand', 'toilet',
    'sink', 'lamp', 'bathtub', 'bag', 'otherstructure', 'otherfurniture',
    'otherprop')

NUM_NYU40_CLASSES = len(NYU40_CLASSES)

IGNORE_INDEX = 255


def _make_palette(num_colors: int) -> list[list[int]]:
    """Distinct RGB colours (0-255) by the PASCAL VOC bit-interleaving scheme.

    Index 0 (wall) would be black in VOC's scheme, so we start at index 1.
    """
    palette = []
    for index in range(1, num_colors + 1):
        red = green = blue = 0
        code = index
        for shift in range(7, -1, -1):
            red |= ((code >> 0) & 1) << shift
            green |= ((code >> 1) & 1) << shift
            blue |= ((code >> 2) & 1) << shift
            code >>= 3
        palette.append([red, green, blue])
    return palette


NYU40_PALETTE = _make_palette(NUM_NYU40_CLASSES)
