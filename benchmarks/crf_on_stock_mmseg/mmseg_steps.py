"""mmseg's own tools/train.py and tools/test.py as the benchmark's steps.

The commands (pure: :func:`train_command`, :func:`test_command`), running one
with its output in a log file and its iterations as progress lines
(:func:`run_logged`), the metrics a test run wrote (:func:`test_metrics`),
a finished run's checkpoint published as a model-zoo file
(:func:`publish_checkpoint`) and the records that let a rerun reuse a
finished step (:func:`step_fingerprint`, :func:`finished_record`).
"""
from __future__ import annotations

import glob
import hashlib
import io
import json
import os
import os.path as osp
import re
import subprocess
import sys
import time
from typing import Callable, Optional, Sequence

import mmseg
import torch

from jointdepthseg.fileio import atomic_write_bytes

#: mmseg's tools as the installed package ships them (``mmseg/.mim/tools``).
MMSEG_TOOLS = osp.join(osp.dirname(mmseg.__file__), '.mim', 'tools')
#: mmengine's log line of an iteration: ``Iter(train) [ 50/600]``.
ITERATION_LINE = re.compile(r'Iter\((train|test)\)\s*\[\s*(\d+)/(\d+)\]')


class StepFailed(RuntimeError):
    """A tool exited with an error; the message names its log file."""


def mmseg_tool(name: str) -> str:
    """Path of mmseg's shipped ``tools/NAME``; an error if it is missing."""
    path = osp.join(MMSEG_TOOLS, name)
    if not osp.isfile(path):
        raise FileNotFoundError(
            f"mmseg's {name} is not at {path}: the benchmark needs the "
            'mmsegmentation package with its .mim/tools (pip install '
            'mmsegmentation==1.2.2)')
    return path


def data_options(data_root: str) -> list[str]:
    """``--cfg-options`` entries pointing both loaders at DATA_ROOT (the
    config's ``data_root`` variable is already substituted when it is
    read, so setting it alone would change nothing)."""
    return [f'train_dataloader.dataset.data_root={data_root}',
            f'test_dataloader.dataset.data_root={data_root}']


def train_command(config: str, work_dir: str, data_root: str, seed: int,
                  load_from: Optional[str] = None) -> list[str]:
    """mmseg's tools/train.py on CONFIG with the seed's data and seed."""
    options = data_options(data_root) + [f'randomness.seed={seed}']
    if load_from is not None:
        options.append(f'load_from={load_from}')
    return [sys.executable, mmseg_tool('train.py'), config, '--work-dir',
            work_dir, '--cfg-options', *options]


def test_command(config: str, checkpoint: str, work_dir: str,
                 data_root: str) -> list[str]:
    """mmseg's tools/test.py on CONFIG and CHECKPOINT with the seed's
    data."""
    return [sys.executable, mmseg_tool('test.py'), config, checkpoint,
            '--work-dir', work_dir, '--cfg-options',
            *data_options(data_root)]


def run_logged(command: Sequence[str], log_path: str, env: dict,
               report: Callable[[str], None], cwd: str) -> None:
    """Run COMMAND with stdout and stderr into LOG_PATH; every logged
    iteration becomes one progress line through REPORT.

    Raises:
        StepFailed: non-zero exit, with the log's last lines.
    """
    os.makedirs(osp.dirname(log_path), exist_ok=True)
    start = time.monotonic()
    with open(log_path, 'w') as log:
        log.write('$ ' + ' '.join(command) + '\n')
        log.flush()
        process = subprocess.Popen(command, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True,
                                   env=env, cwd=cwd, bufsize=1)
        for line in process.stdout:
            log.write(line)
            match = ITERATION_LINE.search(line)
            if match:
                done, total = int(match.group(2)), int(match.group(3))
                minutes = (time.monotonic() - start) / 60
                left = minutes * (total - done) / done if done else 0.
                report(f'{match.group(1)} iteration {done}/{total} '
                       f'({minutes:.1f} min, about {left:.1f} min left)')
        returncode = process.wait()
    if returncode != 0:
        with open(log_path) as log:
            tail = ''.join(log.readlines()[-15:])
        raise StepFailed(f'{command[1]} exited with {returncode}; the whole '
                         f'log is {log_path}; its end:\n{tail}')


def test_metrics(work_dir: str) -> dict:
    """The metrics of the newest test run in WORK_DIR: mmengine's logger
    writes them to ``WORK_DIR/TIMESTAMP/TIMESTAMP.json``."""
    runs = sorted(path for path in glob.glob(osp.join(work_dir, '*', '*.json'))
                  if osp.basename(path)[:-5] ==
                  osp.basename(osp.dirname(path)))
    if not runs:
        raise StepFailed(f'no TIMESTAMP/TIMESTAMP.json metrics file in '
                         f'{work_dir} after tools/test.py')
    with open(runs[-1]) as file:
        return json.load(file)


def publish_checkpoint(trained: str, published: str) -> None:
    """Keep a training checkpoint's weights and meta, as mmseg's model zoo
    files hold them (tools/misc/publish_model.py drops the optimizer).

    mmengine's Runner also saves its message hub, whose objects torch's safe
    loader (``weights_only=True``, torch >= 2.6) refuses; the zoo file holds
    only tensors and plain data and loads safely, so the CRF runs load the
    stock model exactly as they would load a downloaded one. TRAINED is a
    file this benchmark's own training just wrote, hence the full unpickler
    for it.
    """
    checkpoint = torch.load(trained, map_location='cpu', weights_only=False)
    plain = dict(state_dict=checkpoint['state_dict'],
                 meta=checkpoint.get('meta', {}))
    buffer = io.BytesIO()
    torch.save(plain, buffer)
    atomic_write_bytes(published, buffer.getvalue())
    torch.load(published, map_location='cpu', weights_only=True)


def last_checkpoint(work_dir: str) -> str:
    """The checkpoint named in WORK_DIR/last_checkpoint (mmengine's)."""
    marker = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(marker):
        raise StepFailed(f'{marker} is missing: the training saved no '
                         'checkpoint')
    with open(marker) as file:
        return file.read().strip()


def step_fingerprint(**inputs) -> str:
    """A short hash of what a step's result depends on (JSON-able values:
    parent fingerprints, config texts, settings)."""
    text = json.dumps(inputs, sort_keys=True)
    return hashlib.sha256(text.encode('utf-8')).hexdigest()[:16]


def finished_record(path: str, fingerprint: str) -> Optional[dict]:
    """The record a finished step left at PATH, if it was made with the
    same inputs (fingerprint); None if it must (re)run."""
    if not osp.isfile(path):
        return None
    with open(path) as file:
        record = json.load(file)
    return record if record.get('fingerprint') == fingerprint else None
