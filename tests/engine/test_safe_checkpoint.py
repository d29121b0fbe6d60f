"""Plain checkpoints in-process: the message hub round trip, the scoped safe
globals, the hook and the runner that installs it (tests/tools run the same
through tools/train.py, in subprocesses)."""
import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.model import BaseModel
from torch import nn

from jointdepthseg.engine import (PlainCheckpointHook, SafeResumeRunner,
                                  checkpoint_safe_globals, decode_message_hub,
                                  encode_message_hub)
from jointdepthseg.engine.safe_resume_runner import _is_plain_checkpoint_hook


class _TinyModel(BaseModel):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, inputs=None, data_samples=None, mode='tensor'):
        return self.linear(inputs)


def logged_hub(name):
    """A message hub with two scalars of different lengths and counts."""
    hub = MessageHub.get_instance(name)
    for step, value in enumerate([0.5, 0.25, 0.125]):
        hub.update_scalar('train/loss', value, count=step + 1)
    hub.update_scalar('train/lr', 0.01)
    hub.update_info('iter', 3)
    return hub


def assert_same_buffer(got, expected):
    assert isinstance(got, HistoryBuffer)
    for a, b in zip(got.data, expected.data):
        np.testing.assert_array_equal(a, b)
    assert got.max_length == expected.max_length
    assert got.mean(2) == expected.mean(2)
    assert got.current() == expected.current()


def test_message_hub_round_trips_through_plain_data(tmp_path):
    hub = logged_hub('round_trip')
    checkpoint = dict(meta=dict(iter=3), message_hub=hub.state_dict())
    encode_message_hub(checkpoint)
    encoded = checkpoint['message_hub']['log_scalars']['train/loss']
    assert encoded == {'__history_buffer__': True,
                       'log_history': [0.5, 0.25, 0.125],
                       'count_history': [1.0, 2.0, 3.0],
                       'max_length': hub.get_scalar('train/loss').max_length}
    assert all(type(v) is float for v in encoded['log_history'])
    # plain data: the safe loader needs nothing allowed
    torch.save(checkpoint, tmp_path / 'plain.pth')
    loaded = torch.load(tmp_path / 'plain.pth', weights_only=True)
    decode_message_hub(loaded)
    restored = MessageHub.get_instance('restored')
    restored.load_state_dict(loaded['message_hub'])
    for key in ('train/loss', 'train/lr'):
        assert_same_buffer(restored.get_scalar(key), hub.get_scalar(key))
    assert restored.get_info('iter') == 3


def test_other_entries_pass_through_unchanged():
    checkpoint = dict(message_hub=dict(log_scalars=dict(
        done={'already': 'plain'}, number=1.5)))
    encode_message_hub(checkpoint)
    decode_message_hub(checkpoint)
    assert checkpoint['message_hub']['log_scalars'] == dict(
        done={'already': 'plain'}, number=1.5)
    empty = dict(meta={})
    encode_message_hub(empty)
    decode_message_hub(empty)
    assert empty == dict(meta={})


def test_numpy_data_loads_only_inside_the_scope(tmp_path):
    path = tmp_path / 'numpy.pth'
    arrays = dict(a=np.arange(3, dtype=np.int64), b=np.float32(2.5),
                  c=np.zeros((2, 2), dtype=np.uint8), d=np.bool_(True))
    torch.save(arrays, path)
    with pytest.raises(Exception, match='weights_only'):
        torch.load(path, weights_only=True)
    with checkpoint_safe_globals():
        loaded = torch.load(path, weights_only=True)
    np.testing.assert_array_equal(loaded['a'], arrays['a'])
    assert loaded['b'] == np.float32(2.5) and loaded['d']
    with pytest.raises(Exception, match='weights_only'):
        torch.load(path, weights_only=True)


def test_hook_encodes_on_save_and_decodes_on_load():
    hub = logged_hub('hook')
    checkpoint = dict(message_hub=hub.state_dict())
    hook = PlainCheckpointHook()
    hook.before_save_checkpoint(None, checkpoint)
    assert isinstance(checkpoint['message_hub']['log_scalars']['train/lr'],
                      dict)
    hook.after_load_checkpoint(None, checkpoint)
    assert_same_buffer(checkpoint['message_hub']['log_scalars']['train/lr'],
                       hub.get_scalar('train/lr'))


@pytest.mark.parametrize('hooks,expected', [
    (None, 1), ([], 1), ([dict(type='PlainCheckpointHook')], 1),
    ([dict(type=PlainCheckpointHook)], 1), ([PlainCheckpointHook()], 1),
    ([dict(type='EmptyCacheHook')], 1)])
def test_runner_installs_the_hook_once(tmp_path, hooks, expected):
    runner = SafeResumeRunner(model=_TinyModel(), work_dir=str(tmp_path),
                              custom_hooks=hooks, default_scope='mmseg',
                              experiment_name=f'hooks_{tmp_path.name}')
    count = sum(isinstance(h, PlainCheckpointHook) for h in runner.hooks)
    assert count == expected


def test_plain_hook_recognised_in_every_form():
    assert _is_plain_checkpoint_hook(dict(type='PlainCheckpointHook'))
    assert _is_plain_checkpoint_hook(dict(type=PlainCheckpointHook))
    assert _is_plain_checkpoint_hook(PlainCheckpointHook())
    assert not _is_plain_checkpoint_hook(dict(type='CheckpointHook'))
    assert not _is_plain_checkpoint_hook(dict())


def test_runner_loads_a_plain_checkpoint_with_numpy_and_history(tmp_path):
    runner = SafeResumeRunner(model=_TinyModel(), work_dir=str(tmp_path),
                              default_scope='mmseg',
                              experiment_name=f'load_{tmp_path.name}')
    hub = logged_hub('load')
    state = {'linear.weight': torch.tensor([[1.5, -2.0]]),
             'linear.bias': torch.tensor([0.25])}
    checkpoint = dict(meta=dict(iter=3, seed=np.int64(0)), state_dict=state,
                      message_hub=hub.state_dict())
    encode_message_hub(checkpoint)
    path = tmp_path / 'iter_3.pth'
    torch.save(checkpoint, path)
    loaded = runner.load_checkpoint(str(path))
    torch.testing.assert_close(runner.model.linear.weight,
                               state['linear.weight'])
    assert loaded['meta']['seed'] == 0
    assert_same_buffer(loaded['message_hub']['log_scalars']['train/loss'],
                       hub.get_scalar('train/loss'))


# ----------------------------------------------------------------------
# A message-hub buffer with a non-default max_length keeps it through the
# plain-data checkpoint round trip (encode_message_hub / decode_message_hub).
# ----------------------------------------------------------------------

def test_max_length_survives_the_round_trip():
    buffer = HistoryBuffer(max_length=2)
    for value in (1.0, 2.0, 3.0):
        buffer.update(value)
    checkpoint = dict(message_hub=dict(log_scalars={'train/loss': buffer}))
    encode_message_hub(checkpoint)
    decode_message_hub(checkpoint)
    restored = checkpoint['message_hub']['log_scalars']['train/loss']
    assert restored.max_length == 2
    assert restored.data[0].tolist() == [2.0, 3.0]
    restored.update(4.0)  # the window still holds two values
    assert restored.data[0].tolist() == [3.0, 4.0]
