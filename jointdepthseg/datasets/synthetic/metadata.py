"""``DATA_ROOT/synthetic_meta.json``: what a synthetic dataset is.

``generate_dataset`` writes it (atomically) after every sample:

.. code-block:: json

    {"variant": "depth-cue", "seed": 0, "size": [120, 160],
     "num_train": 240, "num_test": 60,
     "depth_only_pairs": [
        {"classes": ["pillow", "sofa"], "ids": [17, 5],
         "family": "upholstery", "where": "...",
         "depth_step_m": {"design_min": 0.25, "design_max": 0.35,
                          "images": 50, "boundary_pixel_pairs": 1234,
                          "p10": 0.01, "median": 0.09, "p90": 0.3,
                          "fraction_ge_theta_zeta": 0.3,
                          "kernel_retention_cross": 0.54,
                          "kernel_retention_within": 0.92,
                          "kernel_equivalent_step": 0.22,
                          "theta_gamma_px": 12.5, "theta_zeta_m": 0.2}}]}

``ids`` are the 0-based NYU-40 ids of ``nyu_classes.NYU40_CLASSES`` (the label
values in ``labels40``); ``design_*`` is the step the generator builds along
the wall normal; the other ``depth_step_m`` entries are measured in the
rendered depth over all images (``depth_steps.summarise_pair``): the step across the
4-neighbour boundaries of the two classes, and what the CRF's depth kernel
keeps of the spatial weight between them (``kernel_retention_*``, 1 = depth
cannot tell them apart). ``rooms`` has no depth-only pairs.
"""
from __future__ import annotations

import json
import os
import os.path as osp
import tempfile

from .variants import Variant

META_FILE = 'synthetic_meta.json'


def dataset_metadata(variant: Variant, seed: int, size: tuple[int, int],
                     counts: dict[str, int], step_summaries: list[dict]
                     ) -> dict:
    """The metadata dict of a generated dataset.

    Args:
        variant: the dataset's ``Variant``.
        seed: the dataset seed.
        size: ``(height, width)`` pixels.
        counts: ``{'train': n, 'test': m}``.
        step_summaries: one ``summarise_pair`` dict per
            ``variant.depth_only_pairs`` entry, in that order.
    """
    pairs = []
    for pair, summary in zip(variant.depth_only_pairs, step_summaries,
                             strict=True):
        steps = dict(design_min=round(pair.design_step_m[0], 4),
                     design_max=round(pair.design_step_m[1], 4), **summary)
        pairs.append(dict(classes=list(pair.classes), ids=list(pair.ids),
                          family=pair.family, where=pair.where,
                          depth_step_m=steps))
    return dict(variant=variant.name, seed=int(seed), size=list(size),
                num_train=int(counts['train']), num_test=int(counts['test']),
                depth_only_pairs=pairs)


def write_metadata(data_root: str, metadata: dict) -> str:
    """Write ``DATA_ROOT/synthetic_meta.json`` through a temporary file and a
    rename; returns its path."""
    os.makedirs(data_root, exist_ok=True)
    path = osp.join(data_root, META_FILE)
    handle, tmp = tempfile.mkstemp(prefix='.' + META_FILE, suffix='.tmp',
                                   dir=data_root)
    try:
        with os.fdopen(handle, 'w') as file:
            json.dump(metadata, file, indent=2)
            file.write('\n')
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise
    return path


def read_metadata(data_root: str) -> dict:
    """The metadata of a generated dataset; a clear error if there is none."""
    path = osp.join(data_root, META_FILE)
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{path} not found: not a dataset written by '
            f'tools/make_synthetic.py (or written before it kept metadata)')
    with open(path) as file:
        return json.load(file)


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
