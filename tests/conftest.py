"""Shared test setup: small thread counts keep the suite fast on 2 cores."""
import os
import sys

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

torch.set_num_threads(2)

# Build registered names in mmseg's scope, as configs do with
# default_scope='mmseg'.
from mmengine.registry import init_default_scope  # noqa: E402

init_default_scope('mmseg')
