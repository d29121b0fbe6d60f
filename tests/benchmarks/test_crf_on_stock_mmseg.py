"""benchmarks/crf_on_stock_mmseg.py: its statistics against numpy, its
argument errors, its configs (mmseg's SegFormer changed only where stated,
the CRF configs the stock one plus the CRF), the tool commands applied to
those configs, the published checkpoint, the reuse records and the table
that main() assembles (the runs themselves replaced by fixed numbers)."""
from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import os.path as osp
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config, DictAction
from mmengine.logging import HistoryBuffer

import jointdepthseg  # noqa: F401  (registers the components)
from mmseg.registry import MODELS
from tests.helpers.config_files import base_depth, base_file

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
_spec = importlib.util.spec_from_file_location(
    'crf_on_stock_mmseg_script',
    osp.join(ROOT, 'benchmarks', 'crf_on_stock_mmseg.py'))
script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(script)
steps, seed_table = script.steps, script.seed_table
CONFIGS = script.CONFIGS
STOCK_BASE = 'mmseg::segformer/segformer_mit-b0_8xb2-160k_ade20k-512x512.py'

# three seeds of the three rows (mIoU %), made up
RESULTS = {
    0: dict(stock=30.0, crf_default=33.5, crf_trained=34.0),
    1: dict(stock=28.0, crf_default=30.0, crf_trained=30.5),
    2: dict(stock=31.0, crf_default=31.5, crf_trained=30.0),
}


def numpy_stat(values):
    values = np.asarray(values, dtype=np.float64)
    return values.mean(), values.std(ddof=1)


# ------------------------------------------------------------- statistics

def test_rows_and_paired_differences_match_numpy():
    for key in ('stock', 'crf_default', 'crf_trained'):
        stat = seed_table.row_statistics(RESULTS, key)
        mean, std = numpy_stat([RESULTS[s][key] for s in (0, 1, 2)])
        assert stat['mean'] == pytest.approx(mean)
        assert stat['std'] == pytest.approx(std)
    for a, b in seed_table.DIFFERENCES:
        diffs = [RESULTS[s][a] - RESULTS[s][b] for s in (0, 1, 2)]
        stat = seed_table.paired_difference(RESULTS, a, b)
        mean, std = numpy_stat(diffs)
        assert list(stat['per_seed'].values()) == pytest.approx(diffs)
        assert stat['mean'] == pytest.approx(mean)
        assert stat['std'] == pytest.approx(std)
        assert stat['positive'] == sum(d > 0 for d in diffs)


def test_verdicts_follow_the_rule():
    # 2 - 1: d = 3.5, 2.0, 0.5: mean 2.0 > std 1.5 -> a difference
    stat = seed_table.paired_difference(RESULTS, 'crf_default', 'stock')
    assert stat['verdict'] == 'difference'
    # 3 - 2: d = 0.5, 0.5, -1.5: mean -0.17 < std 1.15 -> none
    stat = seed_table.paired_difference(RESULTS, 'crf_trained',
                                        'crf_default')
    assert stat['verdict'] == 'no difference'
    one_seed = {0: RESULTS[0]}
    stat = seed_table.paired_difference(one_seed, 'crf_default', 'stock')
    assert stat['verdict'] == 'undetermined' and math.isnan(stat['std'])


def test_markdown_tables_lines():
    text = seed_table.markdown_tables(RESULTS, unary_gap=0.004)
    lines = text.splitlines()
    mean, std = numpy_stat([30.0, 28.0, 31.0])
    assert (f'| 1. SegFormer MiT-B0 (mmseg, stock) | {mean:.2f} ± {std:.2f} '
            '| 30.00, 28.00, 31.00 |') in lines
    mean, std = numpy_stat([3.5, 2.0, 0.5])
    assert (f'| 2 − 1 | +{mean:.2f} ± {std:.2f} | +3.50, +2.00, +0.50 | '
            'difference |') in lines
    mean, std = numpy_stat([4.0, 2.5, -1.0])
    assert (f'| 3 − 1 | +{mean:.2f} ± {std:.2f} | +4.00, +2.50, -1.00 | '
            'no difference |') in lines
    assert any(line.startswith('| 3 − 2 | -0.17 ± 1.15 |')
               for line in lines)
    assert 'within 0.004 mIoU' in text


def test_no_difference_says_when_every_seed_agrees_in_sign():
    results = {s: dict(stock=30.0, crf_default=30.0 + d, crf_trained=30.0)
               for s, d in ((0, 0.1), (1, 0.2), (2, 2.0))}
    lines = seed_table.markdown_tables(results).splitlines()
    assert ('| 2 − 1 | +0.77 ± 1.07 | +0.10, +0.20, +2.00 | no difference '
            '(> 0 on 3/3 seeds) |') in lines
    # zero on every seed: neither sign
    assert ('| 3 − 1 | +0.00 ± 0.00 | +0.00, +0.00, +0.00 | no difference '
            '|') in lines
    assert ('| 3 − 2 | -0.77 ± 1.07 | -0.10, -0.20, -2.00 | no difference '
            '(< 0 on 3/3 seeds) |') in lines
    assert not any(line.startswith('Check:') for line in lines)


def test_plus_minus_and_bad_results():
    assert seed_table.plus_minus(1.0, math.nan, signed=True) == '+1.00 ± n/a'
    with pytest.raises(ValueError, match='no seed has results'):
        seed_table.markdown_tables({})
    with pytest.raises(ValueError, match=r"\(1, 'crf_trained'\)"):
        seed_table.markdown_tables({0: RESULTS[0],
                                    1: dict(stock=1., crf_default=2.)})


# -------------------------------------------------------------- arguments

@pytest.mark.parametrize('argv, message', [
    (['--seeds', '7'], '7 is the development seed'),
    (['--dev', '--seeds', '0'], 'leave out --seeds'),
    (['--seeds', '0', '0'], 'each seed once'),
    (['--seeds', '-1'], 'a seed is >= 0'),
    (['--seeds', 'one'], "expected an integer seed, got 'one'"),
    (['--threads', '0'], '--threads must be >= 1'),
])
def test_argument_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        script.parse_args(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_argument_defaults():
    assert script.parse_args([]).seeds == [0, 1, 2]
    assert script.parse_args(['--dev']).seeds == [script.DEV_SEED]
    assert script.parse_args(['--seeds', '3', '4']).seeds == [3, 4]


# ---------------------------------------------------------------- configs

def changes(new, old, path='') -> dict:
    """{dotted key: (old, new)} of the leaves that differ (``_scope_``,
    which mmengine adds to inherited dicts, left out)."""
    if isinstance(new, dict) and isinstance(old, dict):
        found = {}
        for key in set(new) | set(old):
            if key != '_scope_':
                found.update(changes(new.get(key, '<absent>'),
                                     old.get(key, '<absent>'),
                                     f'{path}.{key}'.lstrip('.')))
        return found
    return {} if new == old else {path: (old, new)}


def test_stock_config_is_mmseg_segformer_changed_where_stated():
    path = CONFIGS['stock']
    assert Config._get_base_files(path) == [STOCK_BASE]
    assert base_depth(path) <= 2
    cfg = Config.fromfile(path)
    mmseg_cfg = Config.fromfile(base_file(path, STOCK_BASE))
    assert changes(cfg.model.to_dict(), mmseg_cfg.model.to_dict()) == {
        'backbone.init_cfg': (mmseg_cfg.model.backbone.init_cfg, None),
        'data_preprocessor.size': ((512, 512), (120, 160)),
        'decode_head.norm_cfg.type': ('SyncBN', 'BN'),
        'decode_head.num_classes': (150, 40),
    }
    # mmseg's optimizer (AdamW, its parameter groups), a raised rate
    assert changes(cfg.optim_wrapper.to_dict(),
                   mmseg_cfg.optim_wrapper.to_dict()) == {
        'optimizer.lr': (6e-5, cfg.optim_wrapper.optimizer.lr)}
    assert cfg.train_cfg.max_iters == cfg.param_scheduler[-1]['end']
    model = MODELS.build(cfg.model)
    assert type(model).__name__ == 'EncoderDecoder'


@pytest.mark.parametrize('key', ['crf_default', 'crf_trained'])
def test_crf_configs_are_the_stock_one_plus_the_crf(key):
    path = CONFIGS[key]
    assert Config._get_base_files(path) == ['./segformer_mit-b0_rooms.py']
    cfg, stock = Config.fromfile(path), Config.fromfile(CONFIGS['stock'])
    expected = {'type', 'refiner'} | (
        {'crf_training'} if key == 'crf_trained' else set())
    assert {name.split('.')[0] for name in
            changes(cfg.model.to_dict(), stock.model.to_dict())} == expected
    assert cfg.test_pipeline == stock.test_pipeline
    # DenseCRF's defaults, no depth kernel, the spatial widths / 4
    assert cfg.model.refiner == dict(
        type='DenseCRF', num_classes=40, w_depth=None, theta_alpha=40.,
        theta_tau=1.)
    assert {e['type'] for e in cfg.test_evaluator} == {'SemanticSegMetric'}
    model = MODELS.build(cfg.model)
    assert type(model).__name__ == 'CRFEncoderDecoder'
    assert model.refiner.thetas['theta_beta'] == 3.  # the default


def test_refiner_only_config_trains_only_the_crf_from_load_from():
    cfg = Config.fromfile(CONFIGS['crf_trained'])
    assert cfg.model.crf_training == 'refiner_only'
    assert cfg.optim_wrapper.optimizer.weight_decay == 0.
    assert cfg.train_cfg.max_iters == cfg.param_scheduler[0]['end']


def cfg_after(command: list[str]) -> Config:
    """The config a tools/train.py or test.py command would run."""
    parser = argparse.ArgumentParser()
    parser.add_argument('tool')
    parser.add_argument('config')
    parser.add_argument('checkpoint', nargs='?')
    parser.add_argument('--work-dir')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(command[1:])
    cfg = Config.fromfile(args.config)
    cfg.merge_from_dict(args.cfg_options)
    return cfg


def test_train_command_sets_data_seed_and_checkpoint():
    command = steps.train_command(CONFIGS['crf_trained'], '/w/crf',
                                  '/d/rooms', 5, load_from='/w/stock.pth')
    assert command[:2] == [sys.executable, steps.mmseg_tool('train.py')]
    assert steps.mmseg_tool('train.py').endswith(
        osp.join('mmseg', '.mim', 'tools', 'train.py'))
    cfg = cfg_after(command)
    assert cfg.train_dataloader.dataset.data_root == '/d/rooms'
    assert cfg.test_dataloader.dataset.data_root == '/d/rooms'
    assert cfg.randomness.seed == 5 and cfg.load_from == '/w/stock.pth'
    assert command[command.index('--work-dir') + 1] == '/w/crf'
    plain = steps.train_command(CONFIGS['stock'], '/w', '/d', 0)
    assert cfg_after(plain).load_from is None


def test_test_command_points_at_the_data_and_checkpoint():
    command = steps.test_command(CONFIGS['crf_default'], '/w/stock.pth',
                                 '/w/test', '/d/rooms')
    assert command[1] == steps.mmseg_tool('test.py')
    assert command[3] == '/w/stock.pth'
    assert cfg_after(command).test_dataloader.dataset.data_root == '/d/rooms'


def test_missing_mmseg_tool_is_one_line():
    with pytest.raises(FileNotFoundError, match=r"mmseg's nope\.py is not"):
        steps.mmseg_tool('nope.py')


# ------------------------------------------------ checkpoints and records

def test_published_checkpoint_loads_safely_with_the_weights(tmp_path):
    state = {'decode_head.conv_seg.weight': torch.randn(40, 8, 1, 1)}
    trained = str(tmp_path / 'iter_10.pth')
    torch.save(dict(state_dict=state, meta=dict(iter=10),
                    optimizer=dict(state={}),
                    message_hub=dict(log_scalars=dict(
                        loss=HistoryBuffer([1.0], [1])))), trained)
    with pytest.raises(Exception):  # what mmengine's loader meets
        torch.load(trained, weights_only=True)
    published = str(tmp_path / 'published.pth')
    steps.publish_checkpoint(trained, published)
    loaded = torch.load(published, weights_only=True)
    assert set(loaded) == {'state_dict', 'meta'}
    assert loaded['meta'] == dict(iter=10)
    torch.testing.assert_close(loaded['state_dict'], state, rtol=0, atol=0)
    assert os.listdir(tmp_path) == sorted(['iter_10.pth', 'published.pth'])


def test_test_metrics_reads_the_newest_run(tmp_path):
    for stamp, value in (('20260101_000000', 1.0), ('20260102_000000', 2.0)):
        (tmp_path / stamp).mkdir()
        (tmp_path / stamp / f'{stamp}.json').write_text(
            json.dumps({'mIoU': value}))
    (tmp_path / '20260103_000000' / 'vis_data').mkdir(parents=True)
    (tmp_path / '20260103_000000' / 'vis_data' / 'scalars.json').write_text(
        '{}')
    assert steps.test_metrics(str(tmp_path)) == {'mIoU': 2.0}
    with pytest.raises(steps.StepFailed, match='no TIMESTAMP/TIMESTAMP.json'):
        steps.test_metrics(str(tmp_path / 'empty'))


def test_a_record_is_reused_only_with_the_same_inputs(tmp_path):
    first = steps.step_fingerprint(config='a = 1', threads=1)
    assert first == steps.step_fingerprint(threads=1, config='a = 1')
    assert first != steps.step_fingerprint(config='a = 2', threads=1)
    path = str(tmp_path / 'record.json')
    assert steps.finished_record(path, first) is None
    with open(path, 'w') as file:
        json.dump(dict(fingerprint=first, minutes=1.0), file)
    assert steps.finished_record(path, first)['minutes'] == 1.0
    assert steps.finished_record(
        path, steps.step_fingerprint(config='a = 2', threads=1)) is None


@pytest.mark.slow
def test_run_logged_reports_iterations_and_failures(tmp_path):
    printer = ('import sys\nfor i in (5, 10):\n'
               '    print(f"Iter(train) [{i:>2}/10]  lr: 1e-3")\n'
               'sys.exit(int(sys.argv[1]))\n')
    reports = []
    log = str(tmp_path / 'ok' / 'train.log')
    steps.run_logged([sys.executable, '-c', printer, '0'], log,
                     dict(os.environ), reports.append, str(tmp_path))
    assert [r.split(' (')[0] for r in reports] == [
        'train iteration 5/10', 'train iteration 10/10']
    assert 'Iter(train) [10/10]' in open(log).read()
    with pytest.raises(steps.StepFailed, match='exited with 3'):
        steps.run_logged([sys.executable, '-c', printer, '3'],
                         str(tmp_path / 'bad' / 'train.log'),
                         dict(os.environ), reports.append, str(tmp_path))


# --------------------------------------------------------- main's table

def test_main_prints_and_writes_one_table(tmp_path, monkeypatch, capsys):
    def fake_run(self):
        miou = RESULTS[self.seed]
        return dict(miou=miou, unary_miou=dict(
            crf_default=miou['stock'] + 0.003,
            crf_trained=miou['stock'] - 0.002),
            minutes=dict(stock_train=1.0, crf_train=1.0))
    monkeypatch.setattr(script.SeedRun, 'run', fake_run)
    out = str(tmp_path / 'out')
    assert script.main(['--out', out]) == 0
    printed = capsys.readouterr().out
    assert '| 2 − 1 |' in printed and 'reported seeds' in printed
    assert 'within 0.003 mIoU' in printed
    with open(osp.join(out, 'table.md')) as file:
        assert file.read().strip() in printed
    summary = json.load(open(osp.join(out, 'summary.json')))
    assert summary['seeds']['1']['miou'] == RESULTS[1]

    def bad_run(self):
        result = fake_run(self)
        result['unary_miou']['crf_trained'] += 0.5
        return result
    monkeypatch.setattr(script.SeedRun, 'run', bad_run)
    assert script.main(['--out', out]) == 1
    assert 'WARNING: a CRF run scored its network' in capsys.readouterr().out
