"""SIGTERM as an exception (jug.execution.interrupts), also when Python swallows it."""

from __future__ import annotations

import os
import signal
import sys

import pytest

from jug.execution.interrupts import Terminated, deferred, sigterm_raises


class _KillsOnCollection:
    """Sends SIGTERM from __del__: the handler's exception is raised where Python
    swallows exceptions (as in importlib's internal callbacks)."""

    def __del__(self) -> None:
        os.kill(os.getpid(), signal.SIGTERM)


def test_a_swallowed_terminated_is_raised_again_when_the_block_ends(capsys):
    reached_the_end = False
    hook = sys.unraisablehook
    with pytest.raises(Terminated):
        with sigterm_raises():
            obj = _KillsOnCollection()
            del obj  # Terminated is raised in __del__ and swallowed there
            reached_the_end = True
    assert reached_the_end
    assert "Terminated" not in capsys.readouterr().err  # no "Exception ignored" report
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    assert sys.unraisablehook is hook


def test_a_swallowed_terminated_is_raised_at_the_next_safe_point():
    steps = []
    with pytest.raises(Terminated):
        with sigterm_raises():
            obj = _KillsOnCollection()
            del obj
            steps.append("after the swallowed one")
            with deferred() as deferral:
                steps.append("locking")
                deferral.end()  # the next task's safe point: raises here
            steps.append("never")
    assert steps == ["after the swallowed one", "locking"]


def test_a_deferred_sigterm_is_raised_when_the_deferral_ends():
    with pytest.raises(Terminated):
        with sigterm_raises():
            with deferred() as deferral:
                os.kill(os.getpid(), signal.SIGTERM)
                held_back = True
                deferral.end()
    assert held_back
