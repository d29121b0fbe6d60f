"""``DATA_ROOT/synthetic_meta.json``: what a synthetic dataset is.

``generate_dataset`` writes it (atomically) once every sample is written:

.. code-block:: json

    {"variant": "depth-cue", "seed": 0, "size": [120, 160],
     "num_train": 240, "num_test": 60,
     "depth_only_pairs": [
        {"classes": ["pillow", "sofa"], "ids": [17, 5],
         "family": "upholstery", "where": "...",
         "depth_step_m": {"design_min": 0.25, "design_max": 0.35}}]}

``ids`` are the 0-based NYU-40 ids of ``nyu_classes.NYU40_CLASSES`` (the label
values in ``labels40``); ``design_min`` / ``design_max`` bound the step
(metres) the generator builds along the wall normal between the two classes.
``rooms`` has no depth-only pairs. What the rendered depth shows of these steps, and
what the CRF's depth kernel keeps of them, is measured from the files by
``benchmarks/depth_pair_statistics.py``; files written before that move also
hold those measurements in ``depth_step_m`` (``p10``, ``median``, ...), which
every reader here accepts and ignores.
"""
from __future__ import annotations

import json
import os.path as osp

from ...fileio import atomic_write_json
from .variants import Variant

META_FILE = 'synthetic_meta.json'


def dataset_metadata(variant: Variant, seed: int, size: tuple[int, int],
                     counts: dict[str, int]) -> dict:
    """The metadata dict of a generated dataset.

    Args:
        variant: the dataset's ``Variant``.
        seed: the dataset seed.
        size: ``(height, width)`` pixels.
        counts: ``{'train': n, 'test': m}``.
    """
    pairs = [dict(classes=list(pair.classes), ids=list(pair.ids),
                  family=pair.family, where=pair.where,
                  depth_step_m=dict(design_min=round(pair.design_step_m[0], 4),
                                    design_max=round(pair.design_step_m[1],
                                                     4)))
             for pair in variant.depth_only_pairs]
    return dict(variant=variant.name, seed=int(seed), size=list(size),
                num_train=int(counts['train']), num_test=int(counts['test']),
                depth_only_pairs=pairs)


def write_metadata(data_root: str, metadata: dict) -> str:
    """Write ``DATA_ROOT/synthetic_meta.json`` atomically; returns its
    path."""
    path = osp.join(data_root, META_FILE)
    atomic_write_json(path, metadata)
    return path


def read_depth_only_pairs(meta_path: str, field: str = 'ids') -> list[tuple]:
    """The depth-only pairs listed in a ``synthetic_meta.json`` file.

    Args:
        meta_path: the metadata file (``DATA_ROOT/synthetic_meta.json``).
        field: ``'ids'`` for the 0-based NYU-40 class ids (ints) or
            ``'classes'`` for the class names (str).

    Returns:
        ``[(a, b), ...]`` in the file's order; empty for ``rooms``.

    Raises:
        FileNotFoundError: there is no such file.
        ValueError: naming the file, if it is not JSON or holds no
            ``"depth_only_pairs"`` list of entries with a two-element
            ``field``.
    """
    if field not in ('ids', 'classes'):
        raise ValueError(f"field must be 'ids' or 'classes', got {field!r}")
    convert = int if field == 'ids' else str
    expected = (f'{meta_path}: expected a synthetic_meta.json with '
                f'"depth_only_pairs": [{{"{field}": [a, b]}}, ...]')
    with open(meta_path) as file:
        try:
            entries = json.load(file)['depth_only_pairs']
            pairs = [tuple(convert(value) for value in entry[field])
                     for entry in entries]
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f'{expected} ({type(error).__name__}: '
                             f'{error})') from None
    if any(len(pair) != 2 for pair in pairs):
        raise ValueError(f'{expected} (an entry has not two classes)')
    return pairs
