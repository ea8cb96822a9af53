"""The session's control path: commands from any thread, the control task, and how a run ends.

Controller calls (`stop_speaking`, `ptt_start`, `mute`, `stop`, a mode change)
and a barge-in become typed commands on a bounded channel of their own, so they
never wait behind audio or text. The control task hands each to the stages
(`Stages.apply`); a `Cancel` there cuts the reply through `Reply.cut()`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

from voiceslm.errors import UserError
from voiceslm.pipeline.channels import DropOldestQueue, LoopHop, Ready
from voiceslm.pipeline.events import Cancel, CancelReason, Command, PushToTalk, SetMuted, Stop
from voiceslm.pipeline.stages import Stages

CONTROL_BACKLOG = 64
"""Commands waiting for the control task; it handles each in microseconds, so this is never reached."""


class Stopped(Exception):
    """Raised inside the task group to end the pipeline cleanly."""


class ControlChannel:
    """Posts commands from the loop's thread or any other; before `run()`, they wait in the channel."""

    def __init__(self, hop: LoopHop) -> None:
        self._hop = hop
        self._queue: DropOldestQueue[Command] = DropOldestQueue(CONTROL_BACKLOG)
        self.muted = False
        """What the last SetMuted the control task handled said."""

    def post(self, command: Command) -> None:
        self._hop.call(self._queue.put_nowait, command)

    def stop(self) -> None:
        self.post(Cancel("shutdown", time.monotonic()))
        self.post(Stop())

    def set_muted(self, muted: bool) -> None:
        self.post(SetMuted(muted))

    def ptt_start(self) -> None:
        now = time.monotonic()
        self.post(Cancel("ptt", now))
        self.post(PushToTalk(True, now))

    def ptt_stop(self) -> None:
        self.post(PushToTalk(False, time.monotonic()))

    def cancel(self, reason: CancelReason) -> None:
        self.post(Cancel(reason, time.monotonic()))

    async def run(self, stages: Stages) -> None:
        """The control task: hands every command to the stages until a Stop ends the task group."""
        while True:
            command = await self._queue.get()
            if isinstance(command, Stop):
                raise Stopped
            if isinstance(command, SetMuted):
                self.muted = command.muted
            stages.apply(command)


@contextlib.contextmanager
def ending(ready: Ready) -> Iterator[None]:
    """How a run's task group ends: a Stop returns, a UserError is raised alone, anything else as it is.

    `ready` is resolved in every case, so nothing waits for a start that never comes.
    """
    try:
        yield
    except BaseExceptionGroup as group:
        if is_stopped(group):
            ready.resolve(RuntimeError("the live pipeline stopped before it was ready"))
            return
        error = _first_user_error(group)
        ready.resolve(error or RuntimeError("the live pipeline stopped"))
        if error is not None:
            raise error from None
        raise
    except BaseException as exc:
        ready.resolve(exc if isinstance(exc, Exception) else RuntimeError("the live pipeline was cancelled"))
        raise


def _first_user_error(group: BaseExceptionGroup) -> UserError | None:
    for exc in group.exceptions:
        if isinstance(exc, UserError):
            return exc
        if isinstance(exc, BaseExceptionGroup):
            found = _first_user_error(exc)
            if found is not None:
                return found
    return None


def is_stopped(group: BaseExceptionGroup) -> bool:
    return all(
        isinstance(e, Stopped) or (isinstance(e, BaseExceptionGroup) and is_stopped(e)) for e in group.exceptions
    )
