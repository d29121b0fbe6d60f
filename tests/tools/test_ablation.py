"""tools/ablation.py on fake seed folders: aggregation, reuse, errors.

No training: the seeds' summary.json files are written by hand, and where
the tool would run the demo's pipeline, a fake ``run_demo`` writes the
summary instead (tests/tools/test_demo.py runs the real one).
"""
import importlib.util
import json
import os
import os.path as osp
import subprocess
import sys

import pytest

import tools.experiments.demo_pipeline as demo_pipeline
from tests.helpers.demo_summaries import fake_summary
from tools.experiments.stage_runner import StageFailed

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(ROOT, 'tools', 'ablation.py')


def load_tool():
    spec = importlib.util.spec_from_file_location('ablation_tool', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_seed(out, seed, variant='depth-cue'):
    folder = out / f'seed_{seed}'
    folder.mkdir(parents=True, exist_ok=True)
    (folder / 'summary.json').write_text(
        json.dumps(fake_summary(seed, variant)))


def test_summaries_only_writes_json_and_markdown(tmp_path, capsys):
    for seed in (0, 1, 2):
        write_seed(tmp_path, seed)
    result = load_tool().main(['--variant', 'depth-cue', '--seeds', '0', '1',
                               '2', '--out', str(tmp_path),
                               '--summaries-only'])
    saved = json.loads((tmp_path / 'ablation.json').read_text())
    assert saved == json.loads(json.dumps(result))
    assert saved['variant'] == 'depth-cue' and saved['seeds'] == [0, 1, 2]
    kernel = {e['key']: e for e in saved['differences']}['depth_kernel']
    assert kernel['per_seed'] == {'0': 2.0, '1': 2.5, '2': 3.5}
    markdown = (tmp_path / 'ablation.md').read_text()
    assert '| Sem-CRF+ − Sem-CRF | +2.67 ± 0.76 |' in markdown
    assert "seeds 0, 1, 2" in markdown
    printed = capsys.readouterr().out
    assert 'seed 1 (2/3): reusing' in printed
    assert 'wrote' in printed


@pytest.mark.parametrize('setup, argv, message', [
    (dict(seeds=(0, 1)), ['--seeds', '0', '1', '2', '--summaries-only'],
     'seed 2 (3/3): no summary.json in'),
    (dict(seeds=(0,), variant='rooms'), ['--seeds', '0'],
     "summary.json is for variant 'rooms', not 'depth-cue'"),
    (dict(seeds=(0,), rename={0: 1}), ['--seeds', '1'],
     'summary.json is for seed 0, not 1'),
])
def test_bad_seed_folders_are_one_line_errors(tmp_path, setup, argv,
                                              message):
    for seed in setup['seeds']:
        write_seed(tmp_path, seed, setup.get('variant', 'depth-cue'))
    for old, new in setup.get('rename', {}).items():
        os.rename(tmp_path / f'seed_{old}', tmp_path / f'seed_{new}')
    with pytest.raises(SystemExit) as exit_info:
        load_tool().main(['--variant', 'depth-cue', '--out', str(tmp_path),
                          *argv])
    text = str(exit_info.value.code)
    assert text.startswith('error: ') and message in text
    assert '\n' not in text


@pytest.mark.parametrize('argv, message', [
    (['--seeds', '0', '0'], '--seeds given twice'),
    (['--demo-args', '--seed', '3'], '--demo-args must not set --seed'),
    (['--demo-args', '--out=x'], '--demo-args must not set --out=x'),
    (['--variant', 'nyu'], "invalid choice: 'nyu'"),
    (['--demo-args', '--iters-scale', '0'], '--iters-scale must be > 0'),
    (['--demo-args', '--no-such-option'], 'unrecognized arguments'),
])
def test_argument_errors(tmp_path, capsys, argv, message):
    with pytest.raises(SystemExit):
        load_tool().main(['--out', str(tmp_path), *argv])
    assert message in capsys.readouterr().err


def test_runs_the_demo_in_process_for_missing_seeds_only(tmp_path,
                                                         monkeypatch):
    write_seed(tmp_path, 0)
    calls = []

    def fake_demo(args):
        calls.append(args)
        return fake_summary(args.seed)

    monkeypatch.setattr(demo_pipeline, 'run_demo', fake_demo)
    result = load_tool().main(['--variant', 'depth-cue', '--seeds', '0',
                               '1', '--out', str(tmp_path), '--demo-args',
                               '--show-num', '0'])
    assert len(calls) == 1  # seed 0 reused
    args = calls[0]
    seed_dir = str(tmp_path / 'seed_1')
    assert (args.variant, args.seed, args.out, args.data_root, args.rgbd,
            args.show_num) == ('depth-cue', 1, seed_dir,
                               osp.join(seed_dir, 'data'), True, 0)
    assert result['seeds'] == [0, 1]


def test_failed_stage_says_how_to_resume(tmp_path, monkeypatch):
    def failing(args):
        raise StageFailed('stage2_joint', 'training', 'ValueError: x',
                          '/w/x.log')

    monkeypatch.setattr(demo_pipeline, 'run_demo', failing)
    with pytest.raises(SystemExit) as exit_info:
        load_tool().main(['--seeds', '4', '--out', str(tmp_path)])
    assert str(exit_info.value.code) == (
        'error: stage stage2_joint failed while training: ValueError: x '
        '(log: /w/x.log); rerun to resume')


def test_default_out_is_per_variant():
    args = load_tool().parse_args(['--variant', 'depth-cue'])
    assert args.out == osp.join(ROOT, 'outputs', 'ablation', 'depth-cue')
    assert args.seeds == [0, 1, 2]


@pytest.mark.slow
def test_command_line_runs_without_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, TOOL, '--out', str(tmp_path), '--seeds', '0',
         '--summaries-only'], capture_output=True, text=True,
        env=dict(os.environ, PYTHONPATH=''))
    assert result.returncode == 1
    assert result.stderr.strip().startswith('error: seed 0 (1/1): no '
                                            'summary.json')
    assert 'Traceback' not in result.stderr
