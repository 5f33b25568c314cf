"""Run a batch's tasks on a Dask ``distributed`` cluster (``replay DIR --scheduler tcp://HOST:8786``).

The scheduler and workers are the user's, started with Dask's own ``dask scheduler`` and
``dask worker`` (docs/replay.md). This module is only the glue: connect, submit one task per
manifest, hand each result back as it finishes, and on a stop cancel what is still outstanding.
What a task does (replaying a manifest sent with it as bytes) lives in ``batch``.

``distributed`` is an optional extra (``pip install 'voice-triage[cluster]'``); it is imported here,
inside functions, and nowhere else, so the rest of the program never needs it.

A worker lost while running a task: the scheduler runs the task again on another worker once
(``MAX_ATTEMPTS``); lost a second time, the task's result is the error ``WorkerLost``.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable, Sequence
from typing import Any, Final

from .. import interrupts
from ..errors import EXIT_UNAVAILABLE, TriageError

#: Runs of one task before a lost worker counts against it: the first, and one retry elsewhere.
MAX_ATTEMPTS: Final = 2
#: Seconds to wait for the scheduler to answer before giving up with one line.
CONNECT_TIMEOUT_S: Final = 20.0
#: What to install when ``distributed`` is missing.
INSTALL_HINT: Final = "pip install 'voice-triage[cluster]'"

#: A task's outcome: ``(value, None)`` or ``(None, error)``.
Done = Callable[[int, Any, BaseException | None], None]


class ClusterError(TriageError):
    """The cluster cannot be used: ``distributed`` is not installed, or the scheduler is unreachable."""

    exit_status = EXIT_UNAVAILABLE


class WorkerLost(Exception):
    """The workers running a task were lost ``MAX_ATTEMPTS`` times."""


def check_available() -> None:
    """Fail now, with one line, when ``distributed`` cannot be imported."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise ClusterError(f"--scheduler needs Dask distributed, which is not installed: {INSTALL_HINT}") from None


def _client(address: str) -> Any:
    check_available()
    from distributed import Client

    try:
        return Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError, ValueError) as exc:
        why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ClusterError(f"--scheduler {address}: cannot reach the Dask scheduler: {why}") from None


def _allowed_failures(client: Any, value: int | None) -> int | None:
    """Set the scheduler's allowed failures per task (restored after the run); returns the old value.

    The function is nested so that it travels by value: the scheduler need not have voice_triage."""

    def swap(dask_scheduler: Any, new: int | None) -> int:
        old = int(dask_scheduler.allowed_failures)
        if new is not None:
            dask_scheduler.allowed_failures = new
        return old

    try:
        return int(client.run_on_scheduler(swap, new=value))
    except Exception:  # a scheduler that refuses code from clients keeps its own setting
        return None


def run_tasks(address: str, tasks: Sequence[tuple[Callable[..., Any], tuple[Any, ...]]], done: Done,
              started: Callable[[int], None] | None = None) -> None:
    """Submit ``tasks`` (function, arguments) to the scheduler at ``address``; ``done(index, value,
    error)`` is called in the client as each finishes, in the order they finish.

    ``started(threads)`` is told the number of worker threads once connected. A signal
    (``KeyboardInterrupt``) cancels every outstanding task before it propagates."""
    client = _client(address)
    from distributed import as_completed
    from distributed.scheduler import KilledWorker

    previous: int | None = None
    try:
        previous = _allowed_failures(client, MAX_ATTEMPTS - 1)
        if started is not None:
            started(sum(client.nthreads().values()))
        run = secrets.token_hex(4)
        futures: dict[Any, int] = {}
        try:
            for index, (function, args) in enumerate(tasks):
                future = client.submit(function, *args, key=f"voice-triage-replay-{run}-{index}", pure=False)
                futures[future] = index
            for future in as_completed(list(futures), loop=client.loop):  # type: ignore[no-untyped-call]
                index = futures[future]
                error: BaseException | None
                try:
                    value, error = future.result(), None
                except KilledWorker as exc:
                    value, error = None, WorkerLost(f"the worker running it was lost {MAX_ATTEMPTS} times ({exc})")
                except Exception as exc:  # the task raised, or could not be sent or received
                    value, error = None, exc
                done(index, value, error)
        except BaseException:
            with interrupts.quiet(deliver=False), contextlib.suppress(Exception):
                client.cancel(list(futures), force=True)
            raise
    finally:
        with interrupts.quiet(deliver=False), contextlib.suppress(Exception):
            if previous is not None:
                _allowed_failures(client, previous)
            client.close(timeout=10)
