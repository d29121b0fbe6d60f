"""The commands of the docs as a user types them, and the bookkeeping that lets
the doc test run them on tiny data (not a test module: test_doc_commands.py
imports it).

- :func:`extract_commands`: every ```bash block of a markdown file in order,
  one :class:`DocCommand` per command line (continuation lines joined,
  comments dropped), and every ```python block as one command.
- :class:`CheckpointChain`: what the commands run so far have trained (work
  dir -> its config's ``max_iters``). A doc's ``.../iter_N.pth`` and a
  config's ``load_from`` must name the last checkpoint of a run that an
  earlier command trains; the chain maps them onto the short runs'
  checkpoints and refuses anything else, in one line naming the command.
- :func:`train_argv`: a documented ``tools/train.py`` command with options
  appended that make it short, and its config's ``load_from`` mapped.
"""
from __future__ import annotations

import argparse
import os.path as osp
import re
import shlex
from dataclasses import dataclass
from typing import Optional

from mmengine.config import Config, DictAction

#: Languages a fenced block of the checked docs may have; ```bash and
#: ```python blocks are commands, ```text is shown, never run.
FENCE_LANGUAGES = ('bash', 'python', 'text')
FENCE = re.compile(r'^(?P<indent>\s*)```(?P<language>\S*)\s*$')
#: Shell operators: a command holding one is not a plain command line.
SHELL_OPERATORS = set('();<>|&')
SHELL_KEYWORDS = {'for', 'while', 'until', 'if', 'then', 'do', 'done', 'fi',
                  'case', 'esac', 'function'}
#: ``DIR/iter_N.pth``: a checkpoint of an iteration-based run.
CHECKPOINT = re.compile(r'(?P<work_dir>[\w./-]+)/iter_(?P<iters>\d+)\.pth')


@dataclass(frozen=True)
class DocCommand:
    """One command of a doc.

    Attributes:
        doc: the markdown file, relative to the repository.
        line: 1-based line of the command's first line in ``doc``.
        language: 'bash' or 'python'.
        text: bash: the command's words re-quoted (comments dropped,
            continuations joined, spacing normalised); python: the block.
        argv: bash: the command's words as the shell splits them; python:
            None.
    """
    doc: str
    line: int
    language: str
    text: str
    argv: Optional[tuple] = None

    @property
    def where(self) -> str:
        return f'{self.doc}:{self.line}'

    def is_plain(self) -> bool:
        """A bash command with no shell syntax: no operators, no variables,
        no loops or conditions and no ``VAR=value`` prefix."""
        if self.argv is None:
            return False
        words = self.argv
        return not (
            any(set(word) <= SHELL_OPERATORS for word in words)
            or any('$' in word or '`' in word for word in words)
            or words[0] in SHELL_KEYWORDS
            or re.fullmatch(r'[A-Za-z_]\w*=.*', words[0]))

    def is_tool_call(self) -> bool:
        """``python tools/....py ...`` as a plain command line."""
        return (self.is_plain() and len(self.argv) >= 2
                and self.argv[0] == 'python'
                and self.argv[1].startswith('tools/')
                and self.argv[1].endswith('.py'))


def drop_comment(line: str) -> str:
    """``line`` without its comment: from a ``#`` that starts a word (at
    the start or after a blank, outside quotes) to the end, as bash reads
    it (``${x##*:}`` or ``a#b`` hold no comment)."""
    quote, escaped = None, False
    for index, char in enumerate(line):
        if escaped:
            escaped = False
        elif char == '\\' and quote != "'":
            escaped = True
        elif quote:
            quote = None if char == quote else quote
        elif char in '\'"':
            quote = char
        elif char == '#' and (index == 0 or line[index - 1] in ' \t;&|()'):
            return line[:index]
    return line


def split_words(line: str) -> tuple:
    """The words of a command line as bash splits them; a trailing
    ``# comment`` is dropped and shell operators become words of their own."""
    lexer = shlex.shlex(drop_comment(line), posix=True,
                        punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = ''
    return tuple(lexer)


def extract_commands(markdown: str, doc: str) -> list[DocCommand]:
    """The commands of a markdown file, in order.

    Args:
        markdown: the file's text.
        doc: its name, for the commands' ``where``.

    Returns:
        One :class:`DocCommand` per bash command line and per python block.

    Raises:
        ValueError: a fence without a language or with another language
            than :data:`FENCE_LANGUAGES`, an unclosed block or a continuation
            line at the end of a block.
    """
    commands = []
    lines = markdown.splitlines()
    index = 0
    while index < len(lines):
        fence = FENCE.match(lines[index])
        index += 1
        if not fence:
            continue
        start, language = index, fence['language']
        if language not in FENCE_LANGUAGES:
            raise ValueError(
                f'{doc}:{start}: a ``` block must say its language, one of '
                f'{", ".join(FENCE_LANGUAGES)} (bash and python blocks are '
                f'run by tests/docs), got {language!r}')
        indent = len(fence['indent'])
        block = []
        while index < len(lines) and not FENCE.match(lines[index]):
            block.append(lines[index][indent:])
            index += 1
        if index == len(lines):
            raise ValueError(f'{doc}:{start}: the ``` block never closes')
        index += 1
        if language == 'python':
            commands.append(DocCommand(doc, start + 1, 'python',
                                       '\n'.join(block).strip()))
        elif language == 'bash':
            commands.extend(_bash_commands(block, doc, start + 1))
    return commands


def _bash_commands(block: list, doc: str, first_line: int) -> list:
    commands, pending, pending_line = [], '', None
    for number, line in enumerate(block, first_line):
        if pending_line is None:
            pending_line = number
        stripped = line.rstrip()
        if stripped.endswith('\\') and not stripped.lstrip().startswith('#'):
            pending += stripped[:-1] + ' '
            continue
        words = split_words(pending + stripped)
        if words:
            commands.append(DocCommand(doc, pending_line, 'bash',
                                       shlex.join(words), words))
        pending, pending_line = '', None
    if pending:
        raise ValueError(f'{doc}:{pending_line}: a continuation line (ending '
                         f'in \\) ends the block')
    return commands


class CheckpointChain:
    """The runs trained so far and their checkpoints in the short runs.

    Args:
        short_iters: the iterations every training command runs in the test.
    """

    def __init__(self, short_iters: int):
        self.short_iters = short_iters
        self.final_iters = {}  # normalised work dir -> the config's max_iters

    def trained(self, work_dir: str, max_iters: int) -> None:
        self.final_iters[osp.normpath(work_dir)] = max_iters

    def short_checkpoint(self, path: str, where: str) -> str:
        """``path`` (``DIR/iter_N.pth``) in the short run.

        Raises:
            AssertionError: no earlier command trains DIR, or N is not the
                last iteration of that run (what a user's run ends with).
        """
        match = CHECKPOINT.fullmatch(path)
        if match is None:
            raise ValueError(f'{path} is not a DIR/iter_N.pth checkpoint')
        work_dir = osp.normpath(match['work_dir'])
        if work_dir not in self.final_iters:
            trained = ', '.join(sorted(self.final_iters)) or 'nothing'
            raise AssertionError(
                f'{where}: reads {path}, but no earlier command in the docs '
                f'trains {work_dir} (trained so far: {trained}); a user '
                f'following the docs fails here')
        final = self.final_iters[work_dir]
        if int(match['iters']) != final:
            raise AssertionError(
                f'{where}: reads {path}, but that run ends at iteration '
                f'{final}: its last checkpoint is {work_dir}/iter_{final}.pth')
        return f'{match["work_dir"]}/iter_{self.short_iters}.pth'

    def map_words(self, words, where: str) -> list:
        """Every ``DIR/iter_N.pth`` inside ``words`` in the short run."""
        return [CHECKPOINT.sub(
            lambda match: self.short_checkpoint(match[0], where), word)
            for word in words]


@dataclass(frozen=True)
class TrainRun:
    """What a training command trains: its work dir and max_iters."""
    work_dir: str
    max_iters: int
    argv: list


def train_argv(command: DocCommand, chain: CheckpointChain, cwd: str,
               short_options: list) -> TrainRun:
    """A ``python tools/train.py CONFIG ...`` command, shortened.

    The command's own ``--cfg-options`` come first, then ``short_options``,
    then the config's ``load_from`` (after the command's options) mapped by
    ``chain``: it must be the last checkpoint of a run trained earlier.

    Args:
        command: the documented command.
        chain: the runs trained before it.
        cwd: where the command runs (the config path is relative to it).
        short_options: ``key=value`` options that make the run short.
    """
    words = list(command.argv)
    doc_options = []
    if '--cfg-options' in words:
        start = words.index('--cfg-options')
        end = start + 1
        while end < len(words) and not words[end].startswith('--'):
            end += 1
        doc_options = words[start + 1:end]
        del words[start:end]
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument('config')
    parser.add_argument('--work-dir')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        default={})
    known, _ = parser.parse_known_args(
        words[2:] + (['--cfg-options', *doc_options] if doc_options else []))
    cfg = Config.fromfile(osp.join(cwd, known.config))
    cfg.merge_from_dict(known.cfg_options)
    work_dir = (known.work_dir or cfg.get('work_dir')
                or osp.join('work_dirs',
                            osp.splitext(osp.basename(known.config))[0]))
    options = chain.map_words(doc_options, command.where) + list(short_options)
    load_from = cfg.get('load_from')
    if load_from and CHECKPOINT.fullmatch(load_from):
        where = f'{command.where} ({known.config}: load_from)'
        options.append(f'load_from={chain.short_checkpoint(load_from, where)}')
    argv = chain.map_words(words, command.where) + ['--cfg-options', *options]
    return TrainRun(work_dir, cfg.train_cfg.max_iters, argv)
