"""Published rows of Tables 2 and 3 of Mousavian et al. (3DV 2016), quoted.

These numbers are copied from the paper, not computed by this code; every
report that shows them marks them as quoted. Units follow our metric keys:
Table 2 deltas and relative errors are fractions, RMSEs metres / log units;
Table 3 scores are percent. ``None`` = not reported ('-' or 'N/A' in the
paper).
"""
from __future__ import annotations

#: Where the quoted rows come from.
PAPER_CITATION = ('Mousavian, Pirsiavash, Kosecka: Joint Semantic '
                  'Segmentation and Depth Estimation with Deep Convolutional '
                  'Networks, 3DV 2016')

#: Table 2, "Quantitative Evaluation of Depth Estimation": one entry per
#: column of the paper.
TABLE2_QUOTED = (
    dict(
        name='Eigen et al. [7]',
        table='Table 2',
        values=dict(
            delta1=0.769, delta2=0.950, delta3=0.988, abs_rel=0.158,
            sq_rel=0.121, rmse=0.641, rmse_log=0.214, rmse_log_si=0.171)),
    dict(
        name='Liu et al. [15]',
        table='Table 2',
        values=dict(
            delta1=0.614, delta2=0.883, delta3=0.971, abs_rel=0.230,
            sq_rel=None, rmse=0.824, rmse_log=None, rmse_log_si=None)),
    dict(
        name='Ours (Mousavian et al.)',
        table='Table 2',
        values=dict(
            delta1=0.568, delta2=0.856, delta3=0.956, abs_rel=0.200,
            sq_rel=0.301, rmse=0.816, rmse_log=0.314, rmse_log_si=0.061)),
)

#: Table 3, "Quantitative Evaluation of Semantic Segmentation on 40 Categories
#: of NYUDepth v2": one entry per row of the paper, with its input type.
TABLE3_QUOTED = (
    dict(name='Deng et al. [6]', table='Table 3', input='RGBD',
         values=dict(mIoU=None, mAcc=31.5, aAcc=63.8)),
    dict(name='FCN [17]', table='Table 3', input='RGB',
         values=dict(mIoU=29.2, mAcc=42.2, aAcc=60.0)),
    dict(name='FCN + Depth [17]', table='Table 3', input='RGBD',
         values=dict(mIoU=34.0, mAcc=46.1, aAcc=65.4)),
    dict(name='Eigen and Fergus [7]', table='Table 3', input='RGB',
         values=dict(mIoU=34.1, mAcc=45.1, aAcc=65.6)),
    dict(name='Ours-Unary-Sem', table='Table 3', input='RGB',
         values=dict(mIoU=36.0, mAcc=49.1, aAcc=66.0)),
    dict(name='Ours-Unary-Sem+Depth', table='Table 3', input='RGB',
         values=dict(mIoU=36.5, mAcc=49.2, aAcc=66.6)),
    dict(name='Ours-Sem-CRF', table='Table 3', input='RGB',
         values=dict(mIoU=38.4, mAcc=51.2, aAcc=68.0)),
    dict(name='Ours-Sem-CRF+', table='Table 3', input='RGB',
         values=dict(mIoU=39.2, mAcc=52.3, aAcc=68.6)),
)
