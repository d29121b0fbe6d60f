"""docs/architecture.md lists every module of the package and of tools/."""
import os
import os.path as osp
import re

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def package_modules():
    """Every .py file under jointdepthseg/ and tools/, relative to the
    repository ('/'-separated)."""
    modules = []
    for top in ('jointdepthseg', 'tools'):
        for folder, subfolders, files in os.walk(osp.join(REPO, top)):
            subfolders[:] = [name for name in subfolders
                             if name != '__pycache__']
            modules += [osp.relpath(osp.join(folder, name), REPO)
                        .replace(os.sep, '/')
                        for name in files if name.endswith('.py')]
    return sorted(modules)


def test_architecture_names_every_module():
    modules = package_modules()
    assert len(modules) > 50, modules  # the listing itself worked
    with open(osp.join(REPO, 'docs', 'architecture.md')) as file:
        text = file.read()
    missing = [path for path in modules if f'`{path}`' not in text
               and not (path.endswith('__init__.py')
                        and path != 'jointdepthseg/__init__.py')]
    assert not missing, ('docs/architecture.md does not list: '
                         + ', '.join(missing))


def test_architecture_lists_no_module_that_is_gone():
    with open(osp.join(REPO, 'docs', 'architecture.md')) as file:
        named = re.findall(r'`((?:jointdepthseg|tools)/[\w/]+\.py)`',
                           file.read())
    gone = [path for path in named if not osp.exists(osp.join(REPO, path))]
    assert not gone, f'docs/architecture.md names missing files: {gone}'
