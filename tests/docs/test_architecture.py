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


def test_docs_name_only_files_that_exist():
    """Every repository path to a source file that README.md and docs/*.md
    name (``jointdepthseg/``, ``tools/``, ``tests/``, ``configs/``,
    ``benchmarks/``) exists: a renamed module or test fails here, not in a
    reader's shell."""
    pattern = re.compile(r'(?<![\w/.])((?:jointdepthseg|tools|tests|configs|'
                         r'benchmarks)/[\w/.-]+\.(?:py|sh|md))')
    docs = [osp.join(REPO, 'README.md')] + sorted(
        osp.join(REPO, 'docs', name)
        for name in os.listdir(osp.join(REPO, 'docs')) if name.endswith('.md'))
    missing, named = [], 0
    for doc in docs:
        with open(doc) as file:
            for path in pattern.findall(file.read()):
                named += 1
                if not osp.exists(osp.join(REPO, path)):
                    missing.append(f'{osp.relpath(doc, REPO)}: {path}')
    assert named > 50, named  # the pattern finds the docs' paths
    assert not missing, 'docs name files that do not exist: ' + '; '.join(
        missing)
