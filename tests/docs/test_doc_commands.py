"""The docs' command sequences work as written.

The slow test runs every command of the checked docs (```bash blocks, one
command per line, continuation lines joined, comments dropped; ```python
blocks as ``python -c``), in the order a reader meets them, in a temporary
folder holding what a user brings (the three official NYUDepth v2 files,
tiny frames; a VGG-16 state dict in torchvision's layout as
``vgg16-397923af.pth``) and links to the repository's ``tools/`` and
``configs/``. Training commands get options appended that make them one
iteration on a CPU (nothing else changes), and every ``iter_N.pth`` a later
command reads is mapped onto the short run's checkpoint, after checking it is
the last checkpoint of a run an earlier command trained. Commands that cannot
run here are listed in ``NOT_RUN`` with the reason and where they are
covered; a command in the docs that is neither run nor listed fails the fast
test, so a new command cannot slip in untested.
"""
import os
import os.path as osp
import shutil
import subprocess
import sys
import time

import pytest
import torch

from tests.docs.doc_commands import (CheckpointChain, DocCommand,
                                     extract_commands, train_argv)
from tests.helpers.official_nyu import write_official_files
from tests.helpers.vgg16_fake import fake_vgg16

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
#: The docs whose commands are checked, in reading order (the sequence runs
#: in one folder, so a doc may use what an earlier one made).
DOCS = ('README.md', 'docs/getting_started.md', 'docs/training.md',
        'docs/evaluation.md', 'docs/pretrained_weights.md')
#: Commands (as DocCommand.text) that the test does not run, and why.
NOT_RUN = {
    'make setup': 'builds the venv the tests run in (the first step of CI '
                  'and of `make test`)',
    'source .venv/bin/activate': 'changes the reader\'s shell; the test '
                                 'runs the venv\'s python directly',
    'make test': 'runs the suite this test belongs to',
    'make demo': 'the whole demo, 14 min on 2 cores; tests/tools/test_demo.py '
                 'covers its plumbing, the tools\' and config tests its parts',
    'make demo VARIANT=depth-cue': 'as `make demo`; the variant\'s data: '
                                   'tests/datasets/synthetic/',
    'python tools/ablation.py --variant depth-cue --seeds 0 1 2 --out '
    'outputs/ablation/depth-cue': 'three whole demos; '
                                  'tests/tools/test_ablation.py runs the '
                                  'command line on stand-in demos',
    "custom_imports = dict(imports=['jointdepthseg'], "
    "allow_failed_imports=False)\nmodel = dict(type='JointDepthSegmentor', "
    "...)  # any registered name: docs/reuse.md":
        'a config fragment (`...` is the rest of a model); '
        'tests/configs/ builds every config file',
}
#: Frame size of the tiny official files (the release's is 480x640).
FRAME_HW = (48, 64)
TRAIN_FRAMES, TEST_FRAMES = [1, 3], [2, 4]
#: Iterations of every training command in the test.
SHORT_ITERS = 1
#: Appended to every training command: one iteration of one image, loaded in
#: the main process; the batch padded to the tiny frames instead of 513x513
#: (the configs' crop is larger than the frames, so RandomCrop keeps them
#: whole); no validation (the configs' val and test loaders and evaluators
#: are the same, and the docs' tools/test.py commands run those).
SHORT_TRAIN_OPTIONS = [
    f'train_cfg.max_iters={SHORT_ITERS}',
    f'train_cfg.val_begin={SHORT_ITERS + 1}',
    'default_hooks.logger.interval=1',
    'train_dataloader.batch_size=1',
    'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False',
    f'model.data_preprocessor.size=({FRAME_HW[0]},{FRAME_HW[1]})',
]
#: What the sequence writes into its folder: none of it may appear in the
#: repository.
OUTPUTS = ('data/nyu_v2', 'data/nyu_v2_aug', 'work_dirs/nyu', 'pretrained',
           'results')


def doc_commands() -> list:
    commands = []
    for doc in DOCS:
        with open(osp.join(ROOT, doc), encoding='utf-8') as file:
            commands.extend(extract_commands(file.read(), doc))
    return commands


def is_run(command: DocCommand) -> bool:
    return command.text not in NOT_RUN and (
        command.language == 'python' or command.is_tool_call())


def test_every_command_is_run_or_listed_with_a_reason():
    commands = doc_commands()
    uncovered = [f'{command.where}: {command.text}' for command in commands
                 if not is_run(command) and command.text not in NOT_RUN]
    assert not uncovered, (
        'commands neither run by this test (plain `python tools/...` lines '
        'and python blocks are) nor listed in NOT_RUN with a reason:\n'
        + '\n'.join(uncovered))
    texts = {command.text for command in commands}
    stale = sorted(set(NOT_RUN) - texts)
    assert not stale, f'NOT_RUN lists commands no doc has: {stale}'


def test_checkpoints_read_by_the_docs_are_made_by_earlier_commands(tmp_path):
    """The load_from chain and every iter_N.pth, checked without running:
    a stage whose parent the docs never train fails here in seconds."""
    link_repository(tmp_path)
    chain = CheckpointChain(SHORT_ITERS)
    for command in doc_commands():
        if not is_run(command) or command.language != 'bash':
            continue
        if command.argv[1] == 'tools/train.py':
            run = train_argv(command, chain, str(tmp_path),
                             SHORT_TRAIN_OPTIONS)
            chain.trained(run.work_dir, run.max_iters)
        else:
            chain.map_words(command.argv, command.where)
    assert 'work_dirs/nyu/stage3_crf' in chain.final_iters


def link_repository(folder) -> None:
    for name in ('tools', 'configs'):
        os.symlink(osp.join(ROOT, name), osp.join(folder, name))


def write_user_files(folder) -> None:
    """What a user brings: the official files and torchvision's VGG-16."""
    write_official_files(str(folder), TRAIN_FRAMES, TEST_FRAMES,
                         height=FRAME_HW[0], width=FRAME_HW[1])
    torch.save(fake_vgg16(), osp.join(folder, 'vgg16-397923af.pth'))


@pytest.fixture
def user_folder(tmp_path):
    link_repository(tmp_path)
    write_user_files(tmp_path)
    yield tmp_path
    for folder, _, files in os.walk(tmp_path):  # ~1.5 GB of weights
        for name in files:
            if name.endswith('.pth'):
                os.remove(osp.join(folder, name))


def command_env() -> dict:
    """The venv's python first on PATH (what `source .venv/bin/activate`
    gives) and this checkout's package."""
    bin_dir = osp.dirname(sys.executable)
    return dict(os.environ,
                PATH=bin_dir + os.pathsep + os.environ.get('PATH', ''),
                PYTHONPATH=os.pathsep.join(
                    [ROOT] + [p for p in [os.environ.get('PYTHONPATH')] if p]),
                MPLBACKEND='Agg')


@pytest.mark.slow
def test_documented_sequence_runs_as_written(user_folder):
    cwd = str(user_folder)
    env = command_env()
    python = shutil.which('python', path=env['PATH'])
    assert python and osp.samefile(python, sys.executable), python
    existed = {path: osp.exists(osp.join(ROOT, path)) for path in OUTPUTS}
    chain = CheckpointChain(SHORT_ITERS)
    logs = user_folder / 'logs'
    logs.mkdir()
    timings = []
    for number, command in enumerate(doc_commands()):
        if not is_run(command):
            continue
        run = None
        if command.language == 'python':
            argv = [python, '-c', command.text]
        elif command.argv[1] == 'tools/train.py':
            run = train_argv(command, chain, cwd, SHORT_TRAIN_OPTIONS)
            argv = [python] + run.argv[1:]
        else:
            argv = [python] + chain.map_words(command.argv[1:], command.where)
        log = logs / f'{number:02d}.log'
        start = time.perf_counter()
        with open(log, 'w') as output:
            result = subprocess.run(argv, cwd=cwd, env=env, stdout=output,
                                    stderr=subprocess.STDOUT, timeout=600)
        timings.append((time.perf_counter() - start, command.where))
        if result.returncode != 0:
            pytest.fail(f'{command.where} fails (exit {result.returncode}):\n'
                        f'  as written: {command.text}\n  as run: {argv}\n'
                        f'{log.read_text()[-3000:]}', pytrace=False)
        if run is not None:
            checkpoint = osp.join(cwd, run.work_dir,
                                  f'iter_{SHORT_ITERS}.pth')
            assert osp.isfile(checkpoint), (command.where, checkpoint)
            chain.trained(run.work_dir, run.max_iters)
    made = {path: osp.exists(osp.join(ROOT, path)) for path in OUTPUTS}
    assert made == existed, 'the sequence wrote into the repository'
    table = '\n'.join(f'{seconds:6.1f} s  {where}'
                      for seconds, where in timings)
    total = sum(seconds for seconds, _ in timings)
    (logs / 'timings.txt').write_text(f'{table}\n{total:6.1f} s  total\n')
    print(f'\n{table}\n{total:6.1f} s  total ({len(timings)} commands)')
