"""Fig. 4 is drawn with rows = label l of pixel i, columns = label l'.

A C x C matrix that is zero except one asymmetric entry ``(row 0, column
3)`` goes into every panel; in the rendered image the entry's bright cell
must lie in the heatmap's first row and fourth column (a transposed drawing
puts it in the fourth row, first column).  The heatmap is found as the large
region of the colour map's lowest colour, its cells by dividing it into
C x C.
"""
import numpy as np
from scipy import ndimage

from jointdepthseg.visualization.crf_weights import (CMAP, PANELS,
                                                     fig4_crf_weights)

NAMES = ['wall', 'floor', 'bed', 'chair', 'table']
MARKED = (0, 3)  # (row l, column l')


def colour_mask(rgb, colour, tolerance=12):
    return (np.abs(rgb.astype(int) - np.asarray(colour)).max(-1)
            <= tolerance)


def cmap_colour(value):
    from matplotlib import colormaps
    return np.round(np.asarray(colormaps[CMAP](value)[:3]) * 255)


def marked_cells(rgb, size):
    """(row, column) of the bright cell in each heatmap, left to right."""
    low = colour_mask(rgb, cmap_colour(0.0))
    high = colour_mask(rgb, cmap_colour(1.0))
    labels, count = ndimage.label(low)
    cells = []
    for index, box in enumerate(ndimage.find_objects(labels), start=1):
        height = box[0].stop - box[0].start
        width = box[1].stop - box[1].start
        area = (labels[box] == index).sum()
        # a heatmap: square, (C*C - 1) / (C*C) of its box in the low colour
        # (a colour bar's low end is a thin strip)
        if height < 100 or abs(height - width) > 0.05 * width or \
                area < 0.9 * height * width * (size * size - 1) / size**2:
            continue
        rows, cols = np.nonzero(high[box])
        assert rows.size > 0.5 * height * width / size**2, 'bright cell'
        cell_h, cell_w = height / size, width / size
        cell = (int(rows.mean() // cell_h), int(cols.mean() // cell_w))
        cells.append((box[1].start, cell))
    return [cell for _, cell in sorted(cells)]


def test_a_marked_entry_lands_in_its_row_and_column():
    size = len(NAMES)
    matrix = np.zeros((size, size))
    matrix[MARKED] = 1.0
    matrices = {key: matrix for key, _ in PANELS}
    rgb = fig4_crf_weights(matrices, NAMES)
    assert marked_cells(rgb, size) == [MARKED] * len(PANELS)


def test_the_transposed_matrix_lands_in_the_mirrored_cell():
    """The check tells the two orientations apart."""
    size = len(NAMES)
    matrix = np.zeros((size, size))
    matrix[MARKED[::-1]] = 1.0
    rgb = fig4_crf_weights({key: matrix for key, _ in PANELS}, NAMES)
    assert marked_cells(rgb, size) == [MARKED[::-1]] * len(PANELS)
