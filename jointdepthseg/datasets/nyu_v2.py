"""NYUDepth v2 with the 40 classes of Gupta et al., in our on-disk layout.

``DATA_ROOT/{images,labels40,depths[,raw_depths]}/SPLIT/NAME.png``
(``jointdepthseg.fileio``). Three tools write it (:data:`DATA_ROOT_MAKERS`):
``tools/convert_nyu.py`` the NYUDepth v2 set, ``tools/augment_nyu.py`` the
paper's offline augmentation of a converted set, ``tools/make_synthetic.py``
the synthetic rooms.
"""
from __future__ import annotations

import os
import os.path as osp
from typing import List, Optional

from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from ..fileio import SAMPLE_FOLDERS, SUFFIX, sample_paths
from .nyu_classes import IGNORE_INDEX, NYU40_CLASSES, NYU40_PALETTE

#: Sample key (``jointdepthseg.fileio``) -> the key of mmseg's data info.
DATA_INFO_KEYS = dict(image='img_path', labels='seg_map_path',
                      depth='depth_map_path', raw_depth='raw_depth_path')
#: ``made_by`` -> how to make a missing DATA_ROOT of that kind.
DATA_ROOT_MAKERS = dict(
    convert_nyu='python tools/convert_nyu.py --mat nyu_depth_v2_labeled.mat '
    '--splits splits.mat --mapping classMapping40.mat --out {data_root} '
    '(NYUDepth v2 from the official files)',
    augment_nyu='python tools/augment_nyu.py --data-root CONVERTED_ROOT '
    '--out {data_root} (the paper\'s augmentation of a set converted by '
    'tools/convert_nyu.py)',
    make_synthetic='python tools/make_synthetic.py --out {data_root} '
    '--num-train N --num-test M (synthetic rooms)')


def missing_data_root_hint(data_root: str, made_by: Optional[str]) -> str:
    """How to make ``data_root``: the command of its maker, or all three
    makers when the config does not say which one writes it."""
    if made_by is not None:
        return 'make it with: ' + DATA_ROOT_MAKERS[made_by].format(
            data_root=data_root)
    return ('make it with tools/convert_nyu.py (NYUDepth v2), '
            'tools/augment_nyu.py (the augmentation of a converted set) or '
            "tools/make_synthetic.py (synthetic rooms); the dataset's "
            "made_by says which one a config expects")


@DATASETS.register_module()
class NYUv2Dataset(BaseSegDataset):
    """Images, 40-class labels and depth maps of one split.

    Each data info holds ``img_path``, ``seg_map_path``, ``depth_map_path``
    and, when the file exists, ``raw_depth_path``.

    Args:
        data_root: the folder holding ``images/``, ``labels40/``, ``depths/``.
        split: sub-folder name, ``'train'`` or ``'test'`` (or any other split
            a tool wrote, e.g. an augmented training set).
        made_by: the tool that writes ``data_root``, a key of
            :data:`DATA_ROOT_MAKERS` (``'convert_nyu'``, ``'augment_nyu'``,
            ``'make_synthetic'``); a missing ``data_root`` is then reported
            with that tool's command. None names all three.
        **kwargs: passed to mmseg's ``BaseSegDataset`` (pipeline, indices,
            test_mode, ...).

    Raises:
        FileNotFoundError: naming the path, when the root, a split folder or
            a sample's label or depth file is missing.
    """

    METAINFO = dict(classes=NYU40_CLASSES, palette=NYU40_PALETTE)

    def __init__(self, data_root: str, split: str = 'train',
                 made_by: Optional[str] = None, **kwargs) -> None:
        if made_by is not None and made_by not in DATA_ROOT_MAKERS:
            raise ValueError(f'NYUv2Dataset: made_by must be one of '
                             f'{tuple(DATA_ROOT_MAKERS)} or None, got '
                             f'{made_by!r}')
        self.split = split
        self.made_by = made_by
        data_prefix = {DATA_INFO_KEYS[key]: osp.join(folder, split)
                       for key, folder in SAMPLE_FOLDERS.items()}
        kwargs.setdefault('ignore_index', IGNORE_INDEX)
        super().__init__(data_root=data_root, data_prefix=data_prefix,
                         img_suffix=SUFFIX, seg_map_suffix=SUFFIX, **kwargs)

    def load_data_list(self) -> List[dict]:
        if not osp.isdir(self.data_root or ''):
            raise FileNotFoundError(
                f'NYUv2Dataset: data_root {self.data_root!r} is not a folder; '
                + missing_data_root_hint(self.data_root, self.made_by))
        for key in ('image', 'labels', 'depth'):
            folder = self.data_prefix[DATA_INFO_KEYS[key]]
            if not osp.isdir(folder):
                raise FileNotFoundError(
                    f'NYUv2Dataset: split folder {folder} is missing '
                    f"(expected {SAMPLE_FOLDERS['image']}/, "
                    f"{SAMPLE_FOLDERS['labels']}/ and "
                    f"{SAMPLE_FOLDERS['depth']}/ each with a {self.split!r} "
                    'folder)')
        image_folder = self.data_prefix['img_path']
        names = sorted(
            file[:-len(SUFFIX)] for file in os.listdir(image_folder)
            if file.endswith(SUFFIX) and not file.startswith('.'))
        if not names:
            raise FileNotFoundError(
                f'NYUv2Dataset: no {SUFFIX} images in {image_folder}')
        data_list = []
        for name in names:
            paths = sample_paths(self.data_root, self.split, name)
            for key in ('labels', 'depth'):
                if not osp.isfile(paths[key]):
                    raise FileNotFoundError(
                        f'NYUv2Dataset: {paths["image"]} has no partner '
                        f'file {paths[key]}')
            info = {DATA_INFO_KEYS[key]: path for key, path in paths.items()
                    if key != 'raw_depth' or osp.isfile(path)}
            info.update(label_map=self.label_map,
                        reduce_zero_label=self.reduce_zero_label,
                        seg_fields=[])
            data_list.append(info)
        return data_list
