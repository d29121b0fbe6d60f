"""Evaluation: Table 2 / Table 3 metrics, their formulas, and reports.

Imports neither ``jointdepthseg.models`` nor ``jointdepthseg.datasets``, and
knows no run names: experiments (the demo's stages, the claims its seed
ablation tests, ``summary.json``) live in ``tools/experiments/``.
"""
from .confusion import confusion_matrix, segmentation_scores
from .crf_pair_weights import pair_weight_summary, pair_weight_table
from .depth_errors import (DEPTH_METRIC_NAMES, depth_error_sums,
                           depth_metrics_from_sums, valid_depth_mask)
from .metric_keys import rows_from_metrics
from .metrics import DepthEstimationMetric, SemanticSegMetric
from .metrics_file import read_metrics_json, write_metrics_json
from .multitask_gain import multitask_gain
from .reports import compare_runs, run_report_markdown, write_run_report
from .seed_spread import mean_std, paired_stat, seed_stat, verdict

__all__ = [
    'DepthEstimationMetric', 'SemanticSegMetric', 'DEPTH_METRIC_NAMES',
    'valid_depth_mask', 'depth_error_sums', 'depth_metrics_from_sums',
    'confusion_matrix', 'segmentation_scores', 'multitask_gain',
    'rows_from_metrics', 'compare_runs', 'read_metrics_json',
    'run_report_markdown', 'write_metrics_json', 'write_run_report',
    'mean_std', 'paired_stat', 'seed_stat', 'verdict',
    'pair_weight_summary', 'pair_weight_table'
]
