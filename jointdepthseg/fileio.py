"""Atomic writes: the one way every jointdepthseg file is written.

Every write goes to a hidden temporary file beside the destination
(``.NAME<random>.tmp``) and is renamed over it, so a file that exists is
complete: a failure before the rename (an encoder error, an exception while
writing, a full disk) removes the temporary file and leaves the destination
as it was.
"""
from __future__ import annotations

import json
import os
import os.path as osp
import tempfile
from typing import Any


def atomic_write_bytes(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    Args:
        path: destination file; its folder is created if missing.
        data: the file's whole content.
    """
    folder = osp.dirname(path) or '.'
    os.makedirs(folder, exist_ok=True)
    handle, tmp_path = tempfile.mkstemp(
        dir=folder, prefix='.' + osp.basename(path), suffix='.tmp')
    try:
        with os.fdopen(handle, 'wb') as file:
            file.write(data)
        os.replace(tmp_path, path)
    except BaseException:
        if osp.exists(tmp_path):
            os.remove(tmp_path)
        raise


def atomic_write_text(path: str, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file and a
    rename."""
    atomic_write_bytes(path, text.encode('utf-8'))


def atomic_write_json(path: str, obj: Any, **dumps_kwargs: Any) -> None:
    """Write ``obj`` as JSON (``indent=2``, a final newline) atomically.

    Args:
        path: destination file.
        obj: anything ``json.dumps`` accepts.
        **dumps_kwargs: passed to ``json.dumps`` (e.g. ``allow_nan=False``).
    """
    dumps_kwargs.setdefault('indent', 2)
    atomic_write_text(path, json.dumps(obj, **dumps_kwargs) + '\n')
