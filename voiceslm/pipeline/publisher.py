"""Everything a session tells the world: its events on one bus, and the figures `status` reports from them."""

from __future__ import annotations

import logging

from voiceslm.pipeline.channels import EventBus, Subscription
from voiceslm.pipeline.events import DeviceFault, Event, UtteranceStats
from voiceslm.pipeline.requests import TurnTimes

log = logging.getLogger(__name__)


class Publisher:
    """Publishes every event of a session; counts device faults and keeps the last turn's timings."""

    def __init__(self) -> None:
        self._bus = EventBus()
        self.device_faults = 0
        self.last_stats: UtteranceStats | None = None

    def publish(self, event: Event) -> None:
        if isinstance(event, DeviceFault):
            self.device_faults += 1
        self._bus.publish(event)

    def finish_turn(self, utterance_id: int, times: TurnTimes) -> None:
        """A turn is over: its timings become `last_stats` and an event."""
        stats = times.stats(utterance_id)
        self.last_stats = stats
        log.debug("utterance %d timings: %s", utterance_id, stats.as_dict())
        self.publish(stats)

    def subscribe(self, maxsize: int) -> Subscription:
        return self._bus.subscribe(maxsize)

    def close_all(self) -> None:
        """End every subscription (the session has stopped)."""
        self._bus.close_all()
