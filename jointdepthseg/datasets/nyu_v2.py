"""NYUDepth v2 with the 40 classes of Gupta et al., in our on-disk layout.

``DATA_ROOT/{images,labels40,depths[,raw_depths]}/SPLIT/NAME.png``; see
``docs/architecture.md``. Real data comes from ``tools/convert_nyu.py``,
synthetic rooms from ``tools/make_synthetic.py``; both write this layout.
"""
from __future__ import annotations

import os
import os.path as osp
from typing import List, Optional

from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from . import layout
from .nyu_classes import IGNORE_INDEX, NYU40_CLASSES, NYU40_PALETTE


@DATASETS.register_module()
class NYUv2Dataset(BaseSegDataset):
    """Images, 40-class labels and depth maps of one split.

    Each data info holds ``img_path``, ``seg_map_path``, ``depth_map_path``
    and, when the file exists, ``raw_depth_path``.

    Args:
        data_root: the folder holding ``images/``, ``labels40/``, ``depths/``.
        split: sub-folder name, ``'train'`` or ``'test'`` (or any other split
            a tool wrote, e.g. an augmented training set).
        **kwargs: passed to mmseg's ``BaseSegDataset`` (pipeline, indices,
            test_mode, ...).

    Raises:
        FileNotFoundError: naming the path, when the root, a split folder or
            a sample's label or depth file is missing.
    """

    METAINFO = dict(classes=NYU40_CLASSES, palette=NYU40_PALETTE)

    def __init__(self, data_root: str, split: str = 'train',
                 **kwargs) -> None:
        self.split = split
        data_prefix = dict(
            img_path=osp.join(layout.IMAGE_DIR, split),
            seg_map_path=osp.join(layout.LABEL_DIR, split),
            depth_map_path=osp.join(layout.DEPTH_DIR, split),
            raw_depth_path=osp.join(layout.RAW_DEPTH_DIR, split))
        kwargs.setdefault('ignore_index', IGNORE_INDEX)
        super().__init__(data_root=data_root, data_prefix=data_prefix,
                         img_suffix=layout.SUFFIX,
                         seg_map_suffix=layout.SUFFIX, **kwargs)

    def load_data_list(self) -> List[dict]:
        if not osp.isdir(self.data_root or ''):
            raise FileNotFoundError(
                f'NYUv2Dataset: data_root {self.data_root!r} is not a folder '
                '(make one with tools/convert_nyu.py or tools/make_synthetic.py)')
        folders = {key: self.data_prefix[key] for key in
                   ('img_path', 'seg_map_path', 'depth_map_path')}
        for key, folder in folders.items():
            if not osp.isdir(folder):
                raise FileNotFoundError(
                    f'NYUv2Dataset: split folder {folder} is missing '
                    f'(expected {layout.IMAGE_DIR}/, {layout.LABEL_DIR}/ and '
                    f'{layout.DEPTH_DIR}/ each with a {self.split!r} folder)')
        names = sorted(
            file[:-len(layout.SUFFIX)]
            for file in os.listdir(folders['img_path'])
            if file.endswith(layout.SUFFIX) and not file.startswith('.'))
        if not names:
            raise FileNotFoundError(
                f'NYUv2Dataset: no {layout.SUFFIX} images in '
                f'{folders["img_path"]}')
        raw_folder: Optional[str] = self.data_prefix['raw_depth_path']
        data_list = []
        for name in names:
            info = dict(
                img_path=osp.join(folders['img_path'], name + layout.SUFFIX),
                seg_map_path=osp.join(folders['seg_map_path'],
                                      name + layout.SUFFIX),
                depth_map_path=osp.join(folders['depth_map_path'],
                                        name + layout.SUFFIX),
                label_map=self.label_map,
                reduce_zero_label=self.reduce_zero_label,
                seg_fields=[])
            for key in ('seg_map_path', 'depth_map_path'):
                if not osp.isfile(info[key]):
                    raise FileNotFoundError(
                        f'NYUv2Dataset: {info["img_path"]} has no partner '
                        f'file {info[key]}')
            raw_path = osp.join(raw_folder, name + layout.SUFFIX)
            if osp.isfile(raw_path):
                info['raw_depth_path'] = raw_path
            data_list.append(info)
        return data_list
