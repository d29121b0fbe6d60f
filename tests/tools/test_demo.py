"""tools/demo.py: its options, and the whole pipeline in one process.

The slow test runs the demo at ``--iters-scale 0.02 --num-train 8
--num-test 4`` into a seed folder of tools/ablation.py and checks its
outputs, the ablation's aggregation of it, that a second run trains
nothing, and that a failing stage is one line naming it and its log. The
plumbing without training is tested in tests/tools/experiments/.
"""
import importlib.util
import json
import multiprocessing
import os.path as osp

import pytest
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SMOKE = ['--iters-scale', '0.02', '--num-train', '8', '--num-test', '4',
         '--show-num', '1']


def load_tool(name):
    spec = importlib.util.spec_from_file_location(
        f'{name}_tool', osp.join(ROOT, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize('variant, data, out', [
    ('rooms', 'data/synthetic', 'outputs/demo'),
    ('depth-cue', 'data/synthetic_depth_cue', 'outputs/demo_depth_cue'),
])
def test_variant_chooses_data_root_and_out(variant, data, out):
    args = load_tool('demo').parse_args(['--variant', variant])
    assert args.variant == variant
    assert args.data_root == osp.join(ROOT, data)
    assert args.out == osp.join(ROOT, out)
    assert args.spread == osp.join(ROOT, 'benchmarks', 'ablation', variant,
                                   'ablation.json')


def test_defaults_and_explicit_paths(tmp_path, capsys):
    tool = load_tool('demo')
    assert tool.parse_args([]).variant == 'rooms'
    args = tool.parse_args(['--variant', 'depth-cue', '--data-root',
                            str(tmp_path / 'd'), '--out', str(tmp_path)])
    assert args.data_root == str(tmp_path / 'd')
    with pytest.raises(SystemExit):
        tool.parse_args(['--variant', 'nyu'])
    with pytest.raises(SystemExit):
        tool.parse_args(['--iters-scale', '0'])
    assert '--iters-scale must be > 0' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        tool.parse_args(['--num-train', '-1'])
    assert '--num-train must be >= 0, got -1' in capsys.readouterr().err


def stage_trainings(monkeypatch):
    """Counts the Runners built (each stage that trains or tests builds
    one)."""
    import tools.experiments.stage_runner as stage_runner
    built = []
    real = stage_runner.build_runner
    monkeypatch.setattr(stage_runner, 'build_runner',
                        lambda cfg: built.append(cfg.work_dir) or real(cfg))
    return built


@pytest.mark.slow
def test_whole_pipeline_in_one_process(tmp_path, monkeypatch, capsys):
    out = tmp_path / 'seed_0'  # a seed folder of tools/ablation.py
    argv = ['--seed', '0', '--out', str(out), '--data-root',
            str(out / 'data'), *SMOKE]
    demo = load_tool('demo')
    summary = demo.main(argv)
    stages = ['stage1_sem', 'stage2_sem_control', 'stage2_joint',
              'stage3_crf_nodepth', 'stage3_crf']
    assert list(summary['miou']) == stages
    assert json.loads((out / 'summary.json').read_text()) == summary
    report = (out / 'report.md').read_text()
    for row in ('Unary-Sem', 'Unary-Sem+Depth', 'Sem-CRF', 'Sem-CRF+'):
        assert f'| {row} |' in report
    assert 'RGB-D' not in report  # only with --rgbd
    assert (out / 'report.csv').is_file()
    assert (out / 'figures' / 'fig4_crf_weights.png').is_file()
    assert len(list((out / 'figures' / 'stage2_joint' / 'fig2').glob(
        '*.png'))) == 1
    assert (out / 'figures' / 'stage3_crf' / 'fig3').is_dir()
    for name in stages:
        metrics = json.loads((out / 'results' / name / 'metrics.json'
                              ).read_text())
        assert metrics['data_root'] == str(out / 'data')
    # --iters-scale scaled the whole schedule; load_from is the parent's
    cfg = Config.fromfile(str(out / 'work' / 'stage3_crf' / 'stage3_crf.py'))
    assert cfg.train_cfg.max_iters == 2 and cfg.param_scheduler[0].end == 2
    assert cfg.load_from == str(out / 'work' / 'stage2_joint' / 'iter_6.pth')
    assert (out / 'work' / 'stage3_crf' / 'iter_2.pth').is_file()
    printed = capsys.readouterr().out
    assert '[demo rooms seed 0 ' in printed
    assert 'stage2_joint: trained and tested in ' in printed
    assert multiprocessing.active_children() == []  # no workers left

    # the ablation aggregates the seed's summary in this process
    result = load_tool('ablation').main(['--seeds', '0', '--out',
                                         str(tmp_path), '--summaries-only'])
    assert result['seeds'] == [0]
    assert result['rows'][0]['mean'] == summary['miou']['stage1_sem']
    assert (tmp_path / 'ablation.md').is_file()

    # a second run reuses every stage: no Runner is built
    built = stage_trainings(monkeypatch)
    assert demo.main(argv) == summary
    assert built == []

    # a failing stage: one line with its name and log
    checkpoint = out / 'work' / 'stage2_joint' / 'iter_6.pth'
    checkpoint.write_bytes(b'not a checkpoint')
    (out / 'work' / 'stage3_crf' / 'stage_done.json').unlink()
    with pytest.raises(SystemExit) as exit_info:
        demo.main(argv)
    message = str(exit_info.value.code)
    assert message.startswith('demo: error: stage stage3_crf failed while '
                              'training: ')
    assert '\n' not in message and '(log: ' in message
    assert built == [str(out / 'work' / 'stage3_crf')]
