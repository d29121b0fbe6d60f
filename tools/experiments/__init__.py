"""Experiments as data, run in one process (the demo and its ablation).

- :mod:`.stages`: the demo's stages (name, config, parent, report row) and
  the claims its seed ablation tests; everything else derives from them.
- :mod:`.schedule`: ``--iters-scale`` applied to a whole schedule.
- :mod:`.stage_runner`: one stage trained and tested by mmengine's Runner in
  this process, finished work reused, failures as one line.
- :mod:`.demo_options` / :mod:`.demo_pipeline`: ``tools/demo.py``.
- :mod:`.summary` / :mod:`.ablation`: ``summary.json`` of one seed and
  ``ablation.{json,md}`` over seeds (``tools/ablation.py``).

The library (``jointdepthseg``) knows none of these run names.
"""
