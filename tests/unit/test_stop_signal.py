"""A stop signal is acted on even when Python drops the exception its handler raised.

Python runs a signal handler between any two bytecodes of the main thread, a finalizer's
too; an exception raised there is printed ("Exception ignored in ...") and dropped, and
the step would follow its job to the end instead of stopping it. The handler therefore
also records the signal, and the follow loop raises it at its next look (every
``STOP_CHECK_SECONDS``, while the watch waits on its own thread: test_watch_background)."""

from __future__ import annotations

import gc
import signal
import sys
from typing import Any

import pytest

from ack_components import run


class Finalized:
    def __del__(self) -> None:
        run._raise_interrupted(signal.SIGTERM, None)  # as if the signal came in here


def test_a_signal_whose_exception_a_finalizer_dropped_still_stops_the_step(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dropped: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", dropped.append)  # where Python reports it
    run._received.clear()
    Finalized()  # dropped at once: the handler's exception is only reported
    gc.collect()
    assert [type(d.exc_value) for d in dropped] == [run.Interrupted]
    with pytest.raises(run.Interrupted) as raised:
        run._stop_if_received()
    assert raised.value.signum == signal.SIGTERM
    run._received.clear()
    run._stop_if_received()  # nothing received: nothing raised
