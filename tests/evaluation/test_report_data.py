"""Δm compares like with like: only rows on the same test data."""
import csv

import pytest

from jointdepthseg.evaluation.metrics_file import read_metrics_json
from jointdepthseg.evaluation.reports import (PAPER_DATA, compare_runs,
                                              write_run_report)
from tests.helpers.markdown import markdown_tables


def run(miou, data=None):
    metrics = {'sem/mIoU': miou, 'sem/mAcc': 50.0, 'sem/aAcc': 70.0}
    if data is not None:
        metrics['data_root'] = data
    return metrics


def gains(markdown, baseline):
    table = markdown_tables(markdown)[f'Multi-task gain Δm over {baseline}']
    return {row[0]: row[1] for row in table[1:]}


def csv_gains(csv_text):
    return {line['method']: line['delta_m_percent']
            for line in csv.DictReader(csv_text.splitlines())}


def test_paper_rows_get_no_gain_over_a_synthetic_baseline():
    markdown, csv_text = compare_runs(
        {'A': run(40.0, '/d/synthetic'), 'B': run(44.0, '/d/synthetic')},
        paper=True, baseline='A')
    # B over A: mIoU +10 %, mAcc and aAcc equal -> 10 / 3
    assert gains(markdown, 'A') == {'B': '3.33'}
    assert ("No Δm for the paper's quoted rows, shown for reference only: "
            'they are on NYUDepth v2.') in markdown
    assert 'same test data as A (/d/synthetic)' in markdown
    by_csv = csv_gains(csv_text)
    assert float(by_csv['B']) == pytest.approx(10 / 3)
    assert by_csv['Ours-Sem-CRF+'] == '' and by_csv['FCN [17]'] == ''
    lines = {line['method']: line for line in
             csv.DictReader(csv_text.splitlines())}
    assert lines['A']['data'] == '/d/synthetic'
    assert lines['FCN [17]']['data'] == PAPER_DATA


def test_runs_on_other_data_get_no_gain():
    markdown, csv_text = compare_runs(
        {'A': run(40.0, '/d/rooms'), 'B': run(44.0, '/d/depth_cue'),
         'C': run(42.0, '/d/rooms')}, baseline='A')
    assert gains(markdown, 'A') == {'C': '1.67'}
    assert '- No Δm for B: tested on /d/depth_cue.' in markdown
    assert csv_gains(csv_text)['B'] == ''


def test_paper_baseline_compares_paper_rows_and_labelled_nyu_runs():
    runs = {'mine': run(37.0, '/data/nyu_v2')}
    markdown, _ = compare_runs(runs, paper=True,
                               baseline='Ours-Unary-Sem')
    assert 'mine' not in gains(markdown, 'Ours-Unary-Sem')
    assert '- No Δm for mine: tested on /data/nyu_v2.' in markdown
    assert 'Ours-Sem-CRF+ *(quoted)*' in gains(markdown, 'Ours-Unary-Sem')
    markdown, _ = compare_runs(runs, paper=True, baseline='Ours-Unary-Sem',
                               data=PAPER_DATA)
    # mine over the paper's 36.0 / 49.1 / 66.0
    expected = 100 / 3 * (1 / 36 + 0.9 / 49.1 + 4 / 66)
    assert float(gains(markdown, 'Ours-Unary-Sem')['mine']) == \
        pytest.approx(expected, abs=0.005)


def test_unrecorded_data_is_said():
    markdown, _ = compare_runs({'A': run(40.0), 'B': run(44.0),
                                'C': run(40.0, '/d/x')}, baseline='A')
    assert gains(markdown, 'A') == {'B': '3.33'}
    assert 'same test data as A (not recorded)' in markdown
    assert '- No Δm for C: tested on /d/x.' in markdown
    assert 'without recorded test data are assumed to share' in markdown


def test_run_report_records_absolute_data_root(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    paths = write_run_report(str(tmp_path / 'out'), run(40.0), 'A',
                             data_root='data/synthetic')
    saved = read_metrics_json(paths['json'])
    assert saved['data_root'] == str(tmp_path / 'data' / 'synthetic')
    assert saved['sem/mIoU'] == 40.0
