"""tests/docs/doc_commands.py: commands read from markdown as bash reads them,
and the checkpoint bookkeeping of the doc test, on small hand-written docs."""
import textwrap

import pytest

from tests.docs.doc_commands import (CheckpointChain, DocCommand,
                                     drop_comment, extract_commands,
                                     train_argv)


def commands_of(markdown: str) -> list:
    return extract_commands(textwrap.dedent(markdown), 'doc.md')


def test_bash_lines_become_commands_continuations_joined_comments_dropped():
    commands = commands_of('''\
        Text with `python tools/not_a_block.py`.

        ```bash
        # a comment line
        python tools/a.py --x 1 \\
            --y 'two words' \\
            --z 3   # a trailing comment
        make demo VARIANT=depth-cue

        echo ${run##*:} a#b "c # d"
        ```
        ''')
    assert [(c.line, c.argv) for c in commands] == [
        (5, ('python', 'tools/a.py', '--x', '1', '--y', 'two words', '--z',
             '3')),
        (8, ('make', 'demo', 'VARIANT=depth-cue')),
        (10, ('echo', '${run##*:}', 'a#b', 'c # d')),
    ]
    assert commands[0].text == "python tools/a.py --x 1 --y 'two words' --z 3"
    assert commands[0].where == 'doc.md:5'


def test_python_block_is_one_command_also_when_indented_in_a_list():
    commands = commands_of('''\
        - a list item:

            ```python
            import os
            print(os.sep)
            ```

        ```text
        python tools/shown_not_run.py
        ```
        ''')
    assert len(commands) == 1
    assert commands[0].language == 'python'
    assert commands[0].text == 'import os\nprint(os.sep)'
    assert commands[0].line == 4 and commands[0].argv is None


@pytest.mark.parametrize('markdown, message', [
    ('```\nls\n```\n', "doc.md:1: a ``` block must say its language"),
    ('```sh\nls\n```\n', "got 'sh'"),
    ('```bash\nls\n', 'doc.md:1: the ``` block never closes'),
    ('```bash\nls \\\n```\n', 'doc.md:2: a continuation line'),
])
def test_blocks_the_test_would_miss_are_errors(markdown, message):
    with pytest.raises(ValueError) as error:
        extract_commands(markdown, 'doc.md')
    assert message in str(error.value)


@pytest.mark.parametrize('line, expected', [
    ('make setup  # the venv', 'make setup  '),
    ('# whole line', ''),
    ("echo '# quoted' \"# too\" # gone", "echo '# quoted' \"# too\" "),
    ('echo a#b ${x##*:} \\# kept', 'echo a#b ${x##*:} \\# kept'),
    ('a;# after an operator', 'a;'),
])
def test_comments_start_at_a_word_outside_quotes(line, expected):
    assert drop_comment(line) == expected


@pytest.mark.parametrize('line, plain, tool_call', [
    ('python tools/train.py configs/a.py', True, True),
    ('python tools/model_converters/x.py a b', True, True),
    ('python -m pytest tests', True, False),
    ('bash tools/dist_train.sh configs/a.py 4', True, False),
    ('python tools/test.py a b | tee log', False, False),
    ('python tools/test.py a b > log', False, False),
    ('python tools/test.py configs/$name.py b', False, False),
    ('NNODES=2 python tools/train.py configs/a.py', False, False),
    ('for run in a b; do', False, False),
    ('done', False, False),
])
def test_plain_commands_and_tool_calls(line, plain, tool_call):
    command = commands_of(f'```bash\n{line}\n```\n')[0]
    assert command.is_plain() == plain
    assert command.is_tool_call() == tool_call


def test_chain_maps_the_last_checkpoint_of_a_trained_run():
    chain = CheckpointChain(short_iters=2)
    chain.trained('./work_dirs/nyu/stage1', 160000)
    assert chain.short_checkpoint('work_dirs/nyu/stage1/iter_160000.pth',
                                  'x') == 'work_dirs/nyu/stage1/iter_2.pth'
    assert chain.map_words(
        ['tools/test.py', 'load_from=work_dirs/nyu/stage1/iter_160000.pth'],
        'x') == ['tools/test.py', 'load_from=work_dirs/nyu/stage1/iter_2.pth']


def test_chain_refuses_checkpoints_no_earlier_command_makes():
    chain = CheckpointChain(short_iters=2)
    chain.trained('work_dirs/nyu/stage1', 160000)
    with pytest.raises(AssertionError, match=(
            r'^doc.md:3: reads work_dirs/nyu/stage2/iter_10.pth, but no '
            r'earlier command in the docs trains work_dirs/nyu/stage2 '
            r'\(trained so far: work_dirs/nyu/stage1\)')):
        chain.map_words(['work_dirs/nyu/stage2/iter_10.pth'], 'doc.md:3')
    with pytest.raises(AssertionError, match=(
            r'that run ends at iteration 160000: its last checkpoint is '
            r'work_dirs/nyu/stage1/iter_160000.pth')):
        chain.short_checkpoint('work_dirs/nyu/stage1/iter_10000.pth', 'x')


def write_config(folder, load_from):
    (folder / 'configs').mkdir()
    (folder / 'configs' / 'stage2.py').write_text(textwrap.dedent(f'''\
        train_cfg = dict(max_iters=10000)
        load_from = {load_from!r}
        work_dir = 'work_dirs/stage2'
        '''))


def train_command(line):
    return commands_of(f'```bash\n{line}\n```\n')[0]


def test_train_argv_appends_short_options_and_maps_load_from(tmp_path):
    write_config(tmp_path, 'work_dirs/stage1/iter_160000.pth')
    chain = CheckpointChain(short_iters=1)
    chain.trained('work_dirs/stage1', 160000)
    run = train_argv(train_command('python tools/train.py configs/stage2.py'),
                     chain, str(tmp_path), ['train_cfg.max_iters=1'])
    assert run.work_dir == 'work_dirs/stage2' and run.max_iters == 10000
    assert run.argv == [
        'python', 'tools/train.py', 'configs/stage2.py', '--cfg-options',
        'train_cfg.max_iters=1', 'load_from=work_dirs/stage1/iter_1.pth']


def test_train_argv_keeps_the_commands_own_options_first(tmp_path):
    write_config(tmp_path, 'work_dirs/stage1/iter_160000.pth')
    chain = CheckpointChain(short_iters=1)
    chain.trained('work_dirs/scratch', 160000)
    command = train_command(
        'python tools/train.py configs/stage2.py --cfg-options '
        'load_from=work_dirs/scratch/iter_160000.pth train_cfg.max_iters=20 '
        '--work-dir work_dirs/other')
    run = train_argv(command, chain, str(tmp_path), ['train_cfg.max_iters=1'])
    assert run.work_dir == 'work_dirs/other' and run.max_iters == 20
    assert run.argv == [
        'python', 'tools/train.py', 'configs/stage2.py', '--work-dir',
        'work_dirs/other', '--cfg-options',
        'load_from=work_dirs/scratch/iter_1.pth', 'train_cfg.max_iters=20',
        'train_cfg.max_iters=1', 'load_from=work_dirs/scratch/iter_1.pth']


def test_train_argv_refuses_a_parent_the_docs_never_train(tmp_path):
    write_config(tmp_path, 'work_dirs/stage1/iter_160000.pth')
    with pytest.raises(AssertionError, match=(
            r'doc.md:2 \(configs/stage2.py: load_from\): reads '
            r'work_dirs/stage1/iter_160000.pth, but no earlier command')):
        train_argv(train_command('python tools/train.py configs/stage2.py'),
                   CheckpointChain(short_iters=1), str(tmp_path), [])


def test_doc_command_where():
    assert DocCommand('a.md', 7, 'bash', 'ls', ('ls',)).where == 'a.md:7'
