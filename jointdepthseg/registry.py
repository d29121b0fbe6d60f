"""The ``jointdepthseg`` scope: configs of other projects inherit ours.

Another project's config can inherit the configs shipped in the installed
package (``jointdepthseg/.mim/configs``, see setup.py) with mmengine's
package-scoped paths, as OpenMMLab projects inherit each other's::

    _base_ = ['jointdepthseg::_base_/models/joint_multiscale.py']

Two things in mmengine 0.10 need us for that:

* ``Config.fromfile`` accepts ``PACKAGE::`` only for the packages listed in
  ``mmengine.config.utils.MODULE2PACKAGE`` (OpenMMLab's own; mmengine issue
  #1410). :func:`register_config_scope` adds ``jointdepthseg``; it runs when
  ``jointdepthseg`` is imported, so ``import jointdepthseg`` must come before
  ``Config.fromfile`` of such a config.
* mmengine marks the inherited dicts ``_scope_='jointdepthseg'``; building
  them imports this module and looks for registries of that scope. The
  registries below are empty children of mmseg's: every name (ours, which
  are registered in mmseg's registries, and mmseg's, mmcv's, mmengine's)
  resolves through the parent, exactly as with ``default_scope='mmseg'``.
"""
from mmengine.config import utils as config_utils
from mmengine.registry import Registry

from mmseg import registry as mmseg

SCOPE = 'jointdepthseg'


def register_config_scope() -> None:
    """Lets ``Config.fromfile`` read ``jointdepthseg::`` paths (idempotent).

    Adds ``jointdepthseg`` (module) -> ``jointdepthseg`` (distribution) to
    mmengine's table of packages whose shipped configs may be inherited.
    """
    config_utils.MODULE2PACKAGE.setdefault(SCOPE, SCOPE)


def _scope_child(parent: Registry) -> Registry:
    # locations: what to import to fill the registry; `import jointdepthseg`
    # registers everything (without it, mmengine would look for a
    # jointdepthseg.utils.register_all_modules, which we do not have).
    return Registry(parent.name, parent=parent, scope=SCOPE,
                    locations=[SCOPE])


RUNNERS = _scope_child(mmseg.RUNNERS)
RUNNER_CONSTRUCTORS = _scope_child(mmseg.RUNNER_CONSTRUCTORS)
LOOPS = _scope_child(mmseg.LOOPS)
HOOKS = _scope_child(mmseg.HOOKS)
DATASETS = _scope_child(mmseg.DATASETS)
DATA_SAMPLERS = _scope_child(mmseg.DATA_SAMPLERS)
TRANSFORMS = _scope_child(mmseg.TRANSFORMS)
MODELS = _scope_child(mmseg.MODELS)
MODEL_WRAPPERS = _scope_child(mmseg.MODEL_WRAPPERS)
WEIGHT_INITIALIZERS = _scope_child(mmseg.WEIGHT_INITIALIZERS)
OPTIMIZERS = _scope_child(mmseg.OPTIMIZERS)
OPTIM_WRAPPERS = _scope_child(mmseg.OPTIM_WRAPPERS)
OPTIM_WRAPPER_CONSTRUCTORS = _scope_child(mmseg.OPTIM_WRAPPER_CONSTRUCTORS)
PARAM_SCHEDULERS = _scope_child(mmseg.PARAM_SCHEDULERS)
METRICS = _scope_child(mmseg.METRICS)
EVALUATOR = _scope_child(mmseg.EVALUATOR)
TASK_UTILS = _scope_child(mmseg.TASK_UTILS)
VISUALIZERS = _scope_child(mmseg.VISUALIZERS)
VISBACKENDS = _scope_child(mmseg.VISBACKENDS)
LOG_PROCESSORS = _scope_child(mmseg.LOG_PROCESSORS)
INFERENCERS = _scope_child(mmseg.INFERENCERS)

register_config_scope()

__all__ = ['SCOPE', 'register_config_scope', 'RUNNERS', 'RUNNER_CONSTRUCTORS',
           'LOOPS', 'HOOKS', 'DATASETS', 'DATA_SAMPLERS', 'TRANSFORMS',
           'MODELS', 'MODEL_WRAPPERS', 'WEIGHT_INITIALIZERS', 'OPTIMIZERS',
           'OPTIM_WRAPPERS', 'OPTIM_WRAPPER_CONSTRUCTORS', 'PARAM_SCHEDULERS',
           'METRICS', 'EVALUATOR', 'TASK_UTILS', 'VISUALIZERS', 'VISBACKENDS',
           'LOG_PROCESSORS', 'INFERENCERS']
