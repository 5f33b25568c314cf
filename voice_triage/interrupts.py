"""SIGINT, SIGTERM and SIGHUP end a session the same way: the safety message, the report, an exit status.

Python turns only SIGINT into ``KeyboardInterrupt``; SIGTERM (``kill``, a service manager, a
container stopping) and SIGHUP (the terminal closing) would end the process at once, without the
safety message or the report. :func:`install` makes all three raise :class:`Interrupted`, a
``KeyboardInterrupt``, so every front end handles them in the one place it already handles Ctrl-C.

Only the first signal interrupts: while the session says its safety message and writes its report,
further signals are noted and ignored (SIGKILL still ends the process). :func:`quiet` defers a
signal across a short critical step (a batch collecting its workers) and delivers it afterwards.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from types import FrameType
from typing import Final

#: The signals that end a session with its safety message.
SIGNALS: Final = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

_state: dict[str, int] = {"raised": 0, "pending": 0, "quiet": 0}


class Interrupted(KeyboardInterrupt):
    """A signal asked the program to stop; ``status`` is the conventional exit status 128 + signal."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        self.signum = signum
        self.status = 128 + signum
        super().__init__(signal.Signals(signum).name)


def status_of(exc: BaseException) -> int:
    """The exit status for an interruption (130 for a plain Ctrl-C ``KeyboardInterrupt``)."""
    return exc.status if isinstance(exc, Interrupted) else 128 + signal.SIGINT


def _handler(signum: int, _frame: FrameType | None) -> None:
    if _state["raised"]:
        return  # already ending: let the safety message and the report finish
    if _state["quiet"]:
        _state["pending"] = _state["pending"] or signum
        return
    _state["raised"] = signum
    raise Interrupted(signum)


def reset_in_worker() -> None:
    """In a worker process of a batch: the main process decides; SIGTERM ends the worker at once."""
    _state.update(raised=0, pending=0, quiet=0)
    with contextlib.suppress(OSError, ValueError):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def install() -> None:
    """Route SIGINT, SIGTERM and SIGHUP to :class:`Interrupted` (main thread only)."""
    _state.update(raised=0, pending=0, quiet=0)
    for sig in SIGNALS:
        if sig == signal.SIGHUP and signal.getsignal(sig) is signal.SIG_IGN:
            continue  # started with nohup: keep ignoring the terminal closing
        with contextlib.suppress(OSError, ValueError):
            signal.signal(sig, _handler)


def interrupted() -> int:
    """The signal that interrupted the program, 0 if none (also counts a deferred one)."""
    return _state["raised"] or _state["pending"]


@contextlib.contextmanager
def quiet(deliver: bool = True) -> Iterator[None]:
    """Defer a signal until the block has finished, then raise it (``deliver``) or keep it for
    :func:`check` (a session's setup: the signal is delivered once the session can hang up)."""
    _state["quiet"] += 1
    try:
        yield
    finally:
        _state["quiet"] -= 1
        if deliver:
            check()


def check() -> None:
    """Raise a deferred signal now, if there is one (outside any :func:`quiet` block)."""
    pending = _state["pending"]
    if not _state["quiet"] and pending and not _state["raised"]:
        _state["pending"] = 0
        _state["raised"] = pending
        raise Interrupted(pending)
