"""summary.json files of the demo with known numbers, for ablation tests."""

ROWS = {'stage1_sem': 'Unary-Sem',
        'stage2_sem_control': 'Unary-Sem (same iterations, no depth)',
        'stage2_joint': 'Unary-Sem+Depth', 'stage3_crf_nodepth': 'Sem-CRF',
        'stage3_crf': 'Sem-CRF+'}
PAIRS = [['pillow', 'sofa'], ['books', 'bookshelf']]
CLASSES = ['pillow', 'sofa', 'books', 'bookshelf']

# Per seed 0, 1, 2 (percent).
MIOU = {'stage1_sem': (38.5, 38.9, 38.2),
        'stage2_sem_control': (41.0, 43.0, 42.0),
        'stage2_joint': (42.0, 43.0, 44.0),        # - control: 1, 0, 2
        'stage3_crf_nodepth': (50.0, 50.5, 51.0),
        'stage3_crf': (52.0, 53.0, 54.5)}          # - nodepth: 2, 2.5, 3.5
UNARY = {'stage3_crf_nodepth': (44.0, 44.0, 44.0),
         'stage3_crf': (44.0, 45.0, 46.0)}
# pillow IoU per seed; Sem-CRF+ - Sem-CRF: 10, 12, 14 on pillow.
PILLOW = {'stage3_crf_nodepth': (20.0, 21.0, 22.0),
          'stage3_crf': (30.0, 33.0, 36.0)}


def fake_summary(seed, variant='depth-cue'):
    """The summary.json tools/demo.py would write for seed 0, 1 or 2."""
    def classes(run, unary=False):
        pillow = PILLOW.get(run, (5.0, 5.0, 5.0))[seed]
        return {'pillow': pillow - (1.0 if unary else 0.0), 'sofa': 60.0,
                'books': None, 'bookshelf': 40.0 + seed}
    return dict(
        variant=variant, seed=seed, rows=dict(ROWS),
        miou={run: values[seed] for run, values in MIOU.items()},
        unary_miou={run: values[seed] for run, values in UNARY.items()},
        depth_only_pairs=PAIRS,
        class_iou={run: classes(run) for run in MIOU},
        unary_class_iou={run: classes(run, True) for run in UNARY})
