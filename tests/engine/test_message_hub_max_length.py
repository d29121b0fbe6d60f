"""A message-hub buffer with a non-default max_length keeps it through the
plain-data checkpoint round trip (encode_message_hub / decode_message_hub)."""
from mmengine.logging import HistoryBuffer

from jointdepthseg.engine.safe_checkpoint import (decode_message_hub,
                                                  encode_message_hub)


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
