"""The demo's plumbing without training: out folder, data, load_from from
the stage table, report, summary, Fig. 4 (run_stage and the figure faked)."""
import json
import math
import os.path as osp

import pytest

import tools.experiments.demo_pipeline as pipeline
from jointdepthseg.evaluation.metrics_file import write_metrics_json
from tests.helpers.markdown import markdown_tables
from tools.experiments.demo_options import parse_demo_args
from tools.experiments.stage_runner import StageResult
from tools.experiments.stages import DEMO_STAGES, Stage

NAMES = [stage.name for stage in DEMO_STAGES]


def fake_results(out, classes):
    """metrics.json of every demo run; pillow IoU = 10 x the run index."""
    for index, name in enumerate(NAMES):
        per_class = {name_: 50.0 for name_ in classes}
        per_class.update(pillow=10.0 * index, wall=70.0, books=math.nan)
        values = {'sem/mIoU': 40.0 + index, 'sem/mAcc': 50.0,
                  'sem/aAcc': 70.0, 'sem/per_class_iou': per_class}
        if name.startswith('stage3'):
            values['unary/mIoU'] = 39.0
            values['unary/per_class_iou'] = dict(per_class, pillow=1.0)
        write_metrics_json(osp.join(out, 'results', name, 'metrics.json'),
                           values)


@pytest.fixture
def fake_stages(monkeypatch):
    """run_stage records (stage, load_from); Fig. 4 records its call."""
    calls = dict(stages=[], fig4=[])

    def run_stage(stage, settings, load_from, reuse=True, log=print):
        calls['stages'].append((stage.name, load_from, reuse))
        return StageResult(f'/ckpt/{stage.name}.pth', True, True, 0.0)

    monkeypatch.setattr(pipeline, 'run_stage', run_stage)
    monkeypatch.setattr(pipeline, 'make_data', lambda args, log: None)
    import tools.plot_crf_weights as plot
    monkeypatch.setattr(plot, 'draw_fig4', lambda *a: calls['fig4'].append(a))
    return calls


def demo_args(tmp_path, *extra):
    return parse_demo_args(['--out', str(tmp_path / 'out'), '--data-root',
                            str(tmp_path / 'data'), '--spread',
                            str(tmp_path / 'none.json'), *extra])


@pytest.mark.parametrize('rgbd', [False, True])
def test_stages_start_from_their_parents(tmp_path, fake_stages, rgbd):
    args = demo_args(tmp_path, *(['--rgbd'] if rgbd else []))
    pipeline.claim_out_dir(args)  # before the fake results are written
    fake_results(args.out, ['sofa', 'bed', 'bookshelf'])
    summary = pipeline.run_demo(args)
    expected = [(s.name, None if s.parent is None else
                 f'/ckpt/{s.parent}.pth') for s in DEMO_STAGES
                if rgbd or not s.rgbd]
    assert [(name, start) for name, start, _ in fake_stages['stages']] == \
        expected
    # every parent was trained now: its children are not reused
    assert [reuse for *_, reuse in fake_stages['stages']][1:] == \
        [False] * (len(expected) - 1)
    assert ('stage3_crf_rgbd' in summary['miou']) is rgbd
    report = (tmp_path / 'out' / 'report.md').read_text()
    assert ('RGB-D Sem-CRF+' in report) is rgbd
    table3 = markdown_tables(report)['Table 3: semantic segmentation']
    assert [row[0] for row in table3[1:4]] == [
        'Unary-Sem', 'Unary-Sem (same iterations, no depth)',
        'Unary-Sem+Depth']
    # Fig. 4: the Sem-CRF+ checkpoint with its config (initial values)
    (checkpoint, png, config, pairs), = fake_stages['fig4']
    assert checkpoint == '/ckpt/stage3_crf.pth'
    assert config.endswith(osp.join('configs', 'synthetic', 'stage3_crf.py'))
    assert png == str(tmp_path / 'out' / 'figures' / 'fig4_crf_weights.png')
    assert pairs is None  # no synthetic_meta.json: no pairs


def test_a_stage_table_with_other_parents(tmp_path, monkeypatch):
    """load_from follows the table handed to run_stages, not the configs."""
    started = []
    monkeypatch.setattr(pipeline, 'run_stage', lambda stage, settings,
                        load_from, reuse=True, log=print: started.append(
                            load_from) or StageResult(stage.name, False,
                                                      False, 0.0))
    table = (Stage('a', 'a.py', None, 'A'), Stage('b', 'b.py', None, 'B'),
             Stage('c', 'c.py', 'a', 'C'))
    pipeline.run_stages(table, None, log=lambda line: None)
    assert started == [None, None, 'a']


def test_summary_json_from_metrics_files(tmp_path):
    data = tmp_path / 'data'
    data.mkdir()
    (data / 'synthetic_meta.json').write_text(json.dumps(
        {'variant': 'depth-cue', 'depth_only_pairs': [
            {'classes': ['pillow', 'sofa'], 'ids': [17, 5]},
            {'classes': ['books', 'bookshelf'], 'ids': [22, 9]}]}))
    fake_results(str(tmp_path / 'out'), ['sofa', 'bookshelf'])
    args = parse_demo_args(['--variant', 'depth-cue', '--seed', '1',
                            '--out', str(tmp_path / 'out'), '--data-root',
                            str(data), '--rgbd'])
    stages = tuple(DEMO_STAGES)
    pipeline.write_summary(args, stages,
                           pipeline.read_stage_metrics(args, stages))
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


def test_out_folder_of_another_run_is_refused(tmp_path):
    args = demo_args(tmp_path, '--seed', '0')
    pipeline.claim_out_dir(args)
    pipeline.claim_out_dir(args)  # same settings: fine
    with pytest.raises(ValueError, match=r'seed 0 -> 1\); use another --out'):
        pipeline.claim_out_dir(demo_args(tmp_path, '--seed', '1'))
    older = tmp_path / 'older'
    (older / 'work').mkdir(parents=True)
    with pytest.raises(ValueError, match='without demo_settings.json'):
        pipeline.claim_out_dir(parse_demo_args(['--out', str(older)]))


def test_make_data_passes_the_variant_and_marks_it(tmp_path, monkeypatch):
    import jointdepthseg.datasets.synthetic as synthetic
    made = []
    monkeypatch.setattr(synthetic, 'generate_dataset',
                        lambda *args, **kwargs: made.append((args, kwargs)))
    args = parse_demo_args(['--variant', 'depth-cue', '--data-root',
                            str(tmp_path), '--seed', '2', '--num-train', '8',
                            '--num-test', '4'])
    pipeline.make_data(args, log=lambda line: None)
    (root, num_train, num_test, seed), kwargs = made[0]
    assert (root, num_train, num_test, seed) == (str(tmp_path), 8, 4, 2)
    assert kwargs['variant'] == 'depth-cue' and kwargs['size'] == (120, 160)
    marker = json.loads((tmp_path / 'demo_dataset.json').read_text())
    assert marker['variant'] == 'depth-cue' and marker['seed'] == 2
    pipeline.make_data(args, log=lambda line: None)  # same settings: reused
    assert len(made) == 1
    pipeline.make_data(parse_demo_args(
        ['--data-root', str(tmp_path), '--seed', '2', '--num-train', '8',
         '--num-test', '4']), log=lambda line: None)  # rooms: regenerated
    assert len(made) == 2 and made[1][1]['variant'] == 'rooms'


def test_printed_summary_compares_with_the_spread(tmp_path, capsys):
    summary = dict(rows={'stage2_sem_control': 'control',
                         'stage2_joint': 'joint', 'stage3_crf_nodepth': 'A',
                         'stage3_crf': 'B'},
                   miou={'stage2_sem_control': 42.0, 'stage2_joint': 42.5,
                         'stage3_crf_nodepth': 50.0, 'stage3_crf': 53.0},
                   unary_miou={}, class_iou={})
    spread = tmp_path / 'ablation.json'
    args = parse_demo_args(['--spread', str(spread)])
    log = pipeline.DemoLog(args)
    pipeline.print_summary(args, summary, 60.0, log)
    printed = capsys.readouterr().out
    assert 'seed-to-seed spread unknown' in printed
    assert 'tools/ablation.py --variant rooms --seeds 0 1 2' in printed
    assert 'Sem-CRF+ − Sem-CRF: +3.0 mIoU\n' in printed
    spread.write_text(json.dumps({'variant': 'rooms', 'seeds': [0, 1, 2],
                                  'differences': [
                                      {'key': 'depth_kernel', 'std': 1.2},
                                      {'key': 'depth_in_unaries',
                                       'std': 0.8}]}))
    pipeline.print_summary(args, summary, 60.0, log)
    printed = capsys.readouterr().out
    assert ('Sem-CRF+ − Sem-CRF: +3.0 mIoU, exceeds the seed-to-seed spread '
            '1.2') in printed
    assert ('Unary-Sem+Depth − control (no depth): +0.5 mIoU, within (no '
            'difference): the seed-to-seed spread 0.8') in printed
    spread.write_text(json.dumps({'variant': 'depth-cue'}))
    pipeline.print_summary(args, summary, 60.0, log)
    assert "is for variant 'depth-cue', not 'rooms'" in \
        capsys.readouterr().out
