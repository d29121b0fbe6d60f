"""tools/demo.py plumbing without training: variants, data roots, summary.

The pipeline's steps (make_synthetic, train, test) are replaced by a fake
``run`` that records the commands; summary.json is built from hand-written
metrics.json files.
"""
import importlib.util
import json
import math
import os.path as osp

import pytest

from jointdepthseg.evaluation.reports import write_metrics_json

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(ROOT, 'tools', 'demo.py')


def load_tool():
    spec = importlib.util.spec_from_file_location('demo_tool', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize('variant, data, out', [
    ('rooms', 'data/synthetic', 'outputs/demo'),
    ('depth-cue', 'data/synthetic_depth_cue', 'outputs/demo_depth_cue'),
])
def test_variant_chooses_data_root_and_out(variant, data, out):
    args = load_tool().parse_args(['--variant', variant])
    assert args.variant == variant
    assert args.data_root == osp.join(ROOT, data)
    assert args.out == osp.join(ROOT, out)
    assert args.spread == osp.join(ROOT, 'benchmarks', 'ablation', variant,
                                   'ablation.json')


def test_defaults_and_explicit_paths(tmp_path, capsys):
    tool = load_tool()
    assert tool.parse_args([]).variant == 'rooms'
    args = tool.parse_args(['--variant', 'depth-cue', '--data-root',
                            str(tmp_path / 'd'), '--out', str(tmp_path)])
    assert args.data_root == str(tmp_path / 'd')
    with pytest.raises(SystemExit):
        tool.parse_args(['--variant', 'nyu'])
    with pytest.raises(SystemExit):
        tool.parse_args(['--iters-scale', '0'])
    assert '--iters-scale must be > 0' in capsys.readouterr().err


def test_make_data_passes_the_variant_and_marks_it(tmp_path, monkeypatch):
    tool = load_tool()
    commands = []
    monkeypatch.setattr(tool, 'run', lambda command, args:
                        commands.append(command))
    args = tool.parse_args(['--variant', 'depth-cue', '--data-root',
                            str(tmp_path), '--seed', '2', '--num-train', '8',
                            '--num-test', '4'])
    tool.make_data(args)
    command = commands[0]
    assert command[command.index('--variant') + 1] == 'depth-cue'
    assert command[command.index('--seed') + 1] == '2'
    assert command[command.index('--out') + 1] == str(tmp_path)
    marker = json.loads((tmp_path / 'demo_dataset.json').read_text())
    assert marker['variant'] == 'depth-cue' and marker['seed'] == 2
    tool.make_data(args)  # same settings: reused
    assert len(commands) == 1
    tool.make_data(tool.parse_args(['--data-root', str(tmp_path), '--seed',
                                    '2', '--num-train', '8', '--num-test',
                                    '4']))  # rooms: regenerated
    assert len(commands) == 2 and 'rooms' in commands[1]


def test_out_folder_of_another_run_is_refused(tmp_path):
    tool = load_tool()
    args = tool.parse_args(['--out', str(tmp_path), '--seed', '0'])
    tool.claim_out_dir(args)
    tool.claim_out_dir(args)  # same settings: fine
    other = tool.parse_args(['--out', str(tmp_path), '--seed', '1'])
    with pytest.raises(SystemExit, match=r'seed 0 -> 1\); use another --out'):
        tool.claim_out_dir(other)
    older = tmp_path / 'older'
    (older / 'work').mkdir(parents=True)
    with pytest.raises(SystemExit, match='without demo_settings.json'):
        tool.claim_out_dir(tool.parse_args(['--out', str(older)]))


def test_iters_scale_shortens_every_stage(tmp_path):
    from mmengine.config import Config
    tool = load_tool()
    args = tool.parse_args(['--out', str(tmp_path), '--iters-scale', '0.02'])
    for name in ('stage1_sem', 'stage3_crf'):
        iters = Config.fromfile(osp.join(ROOT, tool.CONFIGS[name])
                                ).train_cfg.max_iters
        expected = max(1, round(iters * 0.02))
        assert expected < iters
        assert tool.final_checkpoint(args, name) == osp.join(
            str(tmp_path), 'work', name, f'iter_{expected}.pth')


def fake_results(out, variant_classes):
    """metrics.json of every demo run; pillow IoU = 10 x the run index."""
    tool = load_tool()
    for index, (name, *_) in enumerate(tool.STAGES):
        per_class = {name_: 50.0 for name_ in variant_classes}
        per_class.update(pillow=10.0 * index, wall=70.0, books=math.nan)
        values = {'sem/mIoU': 40.0 + index, 'sem/per_class_iou': per_class}
        if name.startswith('stage3'):
            values['unary/mIoU'] = 39.0
            values['unary/per_class_iou'] = dict(per_class, pillow=1.0)
        write_metrics_json(osp.join(out, 'results', name, 'metrics.json'),
                           values)


def test_summary_json_from_metrics_files(tmp_path):
    tool = load_tool()
    data = tmp_path / 'data'
    data.mkdir()
    (data / 'synthetic_meta.json').write_text(json.dumps(
        {'variant': 'depth-cue', 'depth_only_pairs': [
            {'classes': ['pillow', 'sofa'], 'ids': [17, 5]},
            {'classes': ['books', 'bookshelf'], 'ids': [22, 9]}]}))
    fake_results(str(tmp_path / 'out'), ['sofa', 'bookshelf'])
    args = tool.parse_args(['--variant', 'depth-cue', '--seed', '1',
                            '--out', str(tmp_path / 'out'), '--data-root',
                            str(data), '--rgbd'])
    tool.write_summary(args)
    saved = json.loads((tmp_path / 'out' / 'summary.json').read_text())
    assert saved['variant'] == 'depth-cue' and saved['seed'] == 1
    assert saved['miou'] == {'stage1_sem': 40.0, 'stage2_sem_control': 41.0,
                             'stage2_joint': 42.0,
                             'stage3_crf_nodepth': 43.0, 'stage3_crf': 44.0,
                             'stage3_crf_rgbd': 45.0}
    assert saved['unary_miou'] == {'stage3_crf_nodepth': 39.0,
                                   'stage3_crf': 39.0,
                                   'stage3_crf_rgbd': 39.0}
    assert saved['depth_only_pairs'] == [['pillow', 'sofa'],
                                         ['books', 'bookshelf']]
    assert saved['class_iou']['stage3_crf'] == {
        'pillow': 40.0, 'sofa': 50.0, 'books': None, 'bookshelf': 50.0}
    assert saved['unary_class_iou']['stage3_crf_rgbd']['pillow'] == 1.0
    assert saved['rows']['stage3_crf_rgbd'] == 'RGB-D Sem-CRF+'
    assert saved['data_root'] == str(data)
    assert saved['settings'] == dict(variant='depth-cue', num_train=240,
                                     num_test=60, size='120x160',
                                     iters_scale=1.0)


def test_printed_summary_compares_with_the_spread(tmp_path, capsys):
    tool = load_tool()
    summary = dict(rows={'stage2_sem_control': 'control',
                         'stage2_joint': 'joint', 'stage3_crf_nodepth': 'A',
                         'stage3_crf': 'B'},
                   miou={'stage2_sem_control': 42.0, 'stage2_joint': 42.5,
                         'stage3_crf_nodepth': 50.0, 'stage3_crf': 53.0},
                   unary_miou={}, class_iou={})
    spread = tmp_path / 'ablation.json'
    args = tool.parse_args(['--spread', str(spread)])
    tool.print_summary(args, summary, 60.0)
    printed = capsys.readouterr().out
    assert 'seed-to-seed spread unknown' in printed
    assert 'tools/ablation.py --variant rooms --seeds 0 1 2' in printed
    assert 'Sem-CRF+ − Sem-CRF: +3.0 mIoU\n' in printed
    spread.write_text(json.dumps({'variant': 'rooms', 'seeds': [0, 1, 2],
                                  'differences': [
                                      {'key': 'depth_kernel', 'std': 1.2},
                                      {'key': 'depth_in_unaries',
                                       'std': 0.8}]}))
    tool.print_summary(args, summary, 60.0)
    printed = capsys.readouterr().out
    assert ('Sem-CRF+ − Sem-CRF: +3.0 mIoU, exceeds the seed-to-seed spread '
            '1.2') in printed
    assert ('Unary-Sem+Depth − control (no depth): +0.5 mIoU, within (no '
            'difference): the seed-to-seed spread 0.8') in printed
    spread.write_text(json.dumps({'variant': 'depth-cue'}))
    tool.print_summary(args, summary, 60.0)
    assert "is for variant 'depth-cue', not 'rooms'" in \
        capsys.readouterr().out


def test_fig4_is_drawn_with_the_stage3_config(tmp_path, monkeypatch):
    """The pair table's initial values come from the config that trained
    the CRF, so plot_crf_weights.py gets it before the checkpoint."""
    tool = load_tool()
    commands = []
    monkeypatch.setattr(tool, 'run', lambda command, args:
                        commands.append(command))
    monkeypatch.setattr(tool, 'make_data', lambda args: None)
    monkeypatch.setattr(tool, 'claim_out_dir', lambda args: None)
    monkeypatch.setattr(tool, 'train_and_test', lambda args, name, config,
                        parent: f'{name}.pth')
    out = tmp_path / 'out'
    fake_results(str(out), ['sofa', 'bed', 'bookshelf'])
    tool.main(['--out', str(out), '--data-root', str(tmp_path / 'data'),
               '--spread', str(tmp_path / 'none.json')])
    plot = next(c for c in commands if c[1].endswith('plot_crf_weights.py'))
    assert plot[2:4] == [tool.CONFIGS['stage3_crf'], 'stage3_crf.pth']


@pytest.mark.parametrize('rgbd', [False, True])
def test_rgbd_row_only_with_the_flag(tmp_path, monkeypatch, rgbd):
    """`make demo` leaves the RGB-D CRF out (time); --rgbd, which
    tools/ablation.py passes, trains, reports and summarises it."""
    tool = load_tool()
    trained, commands = [], []
    monkeypatch.setattr(tool, 'run', lambda command, args:
                        commands.append(command))
    monkeypatch.setattr(tool, 'make_data', lambda args: None)
    monkeypatch.setattr(tool, 'claim_out_dir', lambda args: None)
    monkeypatch.setattr(tool, 'train_and_test', lambda args, name, config,
                        parent: trained.append(name) or f'{name}.pth')
    out = tmp_path / 'out'
    fake_results(str(out), ['sofa', 'bed', 'bookshelf'])
    tool.main(['--out', str(out), '--data-root', str(tmp_path / 'data'),
               '--spread', str(tmp_path / 'none.json')]
              + (['--rgbd'] if rgbd else []))
    every = [name for name, *_ in tool.STAGES]
    assert trained == (every if rgbd else
                       [n for n in every if n != 'stage3_crf_rgbd'])
    report = next(c for c in commands if c[1].endswith('make_report.py'))
    assert any(a.startswith('RGB-D Sem-CRF+=') for a in report) is rgbd
    summary = json.loads((out / 'summary.json').read_text())
    assert ('stage3_crf_rgbd' in summary['miou']) is rgbd
    assert ('stage3_crf_rgbd' in summary['rows']) is rgbd
