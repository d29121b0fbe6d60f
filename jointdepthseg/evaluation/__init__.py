"""Evaluation: Table 2 / Table 3 metrics, their formulas, and reports.

Imports neither ``jointdepthseg.models`` nor ``jointdepthseg.datasets``.
"""
from .ablation_report import ablation_markdown
from .ablation_stats import aggregate, build_summary, paired_stat
from .confusion import confusion_matrix, segmentation_scores
from .crf_pair_weights import pair_weight_summary, pair_weight_table
from .depth_errors import (DEPTH_METRIC_NAMES, depth_error_sums,
                           depth_metrics_from_sums, valid_depth_mask)
from .metrics import DepthEstimationMetric, SemanticSegMetric
from .multitask_gain import multitask_gain
from .reports import (compare_runs, read_metrics_json, run_report_markdown,
                      write_metrics_json, write_run_report)

__all__ = [
    'DepthEstimationMetric', 'SemanticSegMetric', 'DEPTH_METRIC_NAMES',
    'valid_depth_mask', 'depth_error_sums', 'depth_metrics_from_sums',
    'confusion_matrix', 'segmentation_scores', 'multitask_gain',
    'compare_runs', 'read_metrics_json', 'run_report_markdown',
    'write_metrics_json', 'write_run_report', 'aggregate', 'build_summary',
    'paired_stat', 'ablation_markdown', 'pair_weight_summary',
    'pair_weight_table'
]
