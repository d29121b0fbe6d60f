"""tools/make_report.py: runs side by side, files written, one-line errors."""
import csv
import importlib.util
import json
import os
import os.path as osp
import subprocess
import sys

import pytest

from jointdepthseg.evaluation.metrics_file import write_metrics_json

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(ROOT, 'tools', 'make_report.py')


def load_tool():
    spec = importlib.util.spec_from_file_location('make_report', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_run(folder, miou, rmse=None):
    metrics = {'sem/mIoU': miou, 'sem/mAcc': 50.0, 'sem/aAcc': 66.0}
    if rmse is not None:
        metrics['depth/rmse'] = rmse
        metrics['depth/abs_rel'] = 0.2
    write_metrics_json(osp.join(folder, 'metrics.json'), metrics)
    return str(folder)


def test_side_by_side_markdown_and_csv(tmp_path):
    stage1 = write_run(tmp_path / 's1', 36.0)
    stage2 = write_run(tmp_path / 's2', 36.9, rmse=0.8)
    out = tmp_path / 'cmp' / 'comparison.md'
    markdown, _ = load_tool().main([
        f'Unary-Sem={stage1}', f'Unary-Sem+Depth={stage2}', '--paper',
        '--baseline', 'Unary-Sem', '--out', str(out)])
    assert out.read_text() == markdown
    assert '| Unary-Sem+Depth | 36.9 | 50.0 | 66.0 |' in markdown
    assert '| Ours-Sem-CRF+ *(quoted)* | 39.2 | 52.3 | 68.6 |' in markdown
    with open(tmp_path / 'cmp' / 'comparison.csv', newline='') as file:
        lines = {line['method']: line for line in csv.DictReader(file)}
    assert float(lines['Unary-Sem+Depth']['delta_m_percent']) == \
        pytest.approx(100 / 3 * (0.9 / 36.0))
    assert float(lines['Unary-Sem+Depth']['rmse']) == 0.8
    assert 'Eigen and Fergus [7]' in lines


def test_gain_only_between_runs_on_the_same_data(tmp_path):
    rooms = write_run(tmp_path / 'a', 40.0)
    cue = write_run(tmp_path / 'b', 44.0)
    for folder, data in ((rooms, '/d/rooms'), (cue, '/d/depth_cue')):
        path = osp.join(folder, 'metrics.json')
        metrics = json.loads(open(path).read())
        write_metrics_json(path, dict(metrics, data_root=data))
    markdown, csv_text = load_tool().main([
        f'A={rooms}', f'B={cue}', '--paper', '--baseline', 'A'])
    lines = {line['method']: line for line in
             csv.DictReader(csv_text.splitlines())}
    assert lines['B']['delta_m_percent'] == ''
    assert lines['B']['data'] == '/d/depth_cue'
    assert '- No Δm for B: tested on /d/depth_cue.' in markdown
    assert "No Δm for the paper's quoted rows" in markdown
    # --data says both were tested on the same data
    _, csv_text = load_tool().main([f'A={rooms}', f'B={cue}', '--baseline',
                                    'A', '--data', 'mine'])
    lines = {line['method']: line for line in
             csv.DictReader(csv_text.splitlines())}
    assert float(lines['B']['delta_m_percent']) == \
        pytest.approx(100 / 3 * 0.1)


def test_print_without_out(tmp_path, capsys):
    run = write_run(tmp_path / 'r', 30.0)
    load_tool().main([f'A={run}'])
    printed = capsys.readouterr().out
    assert '| A | 30.0 | 50.0 | 66.0 |' in printed
    assert 'quoted' not in printed


@pytest.mark.parametrize('args, message', [
    (['A'], 'expected NAME=DIR'),
    (['A={missing}'], 'run A: no metrics file'),
    (['A={run}', '--baseline', 'B'], "baseline 'B' is not one of"),
    (['A={run}', '--out', 'x.txt'], '--out must end with .md'),
])
def test_one_line_errors(tmp_path, capsys, args, message):
    run = write_run(tmp_path / 'r', 30.0)
    argv = [arg.format(run=run, missing=tmp_path / 'none') for arg in args]
    with pytest.raises(SystemExit) as exit_info:
        load_tool().main(argv)
    assert message in str(exit_info.value.code)
    assert '\n' not in str(exit_info.value.code)


@pytest.mark.slow
def test_command_line_error_has_no_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, TOOL, f'A={tmp_path}'], capture_output=True,
        text=True, cwd=str(tmp_path), env=dict(os.environ, PYTHONPATH=ROOT))
    assert result.returncode == 1
    assert result.stderr.strip().startswith('error: run A: no metrics file')
    assert 'Traceback' not in result.stderr
