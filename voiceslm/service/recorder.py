"""What the daemon keeps on disk, only when the user turned it on: transcripts and utterance audio.

A task subscribed to the pipeline's events writes each transcript and reply to
the transcript log and each utterance to the audio archive, in worker threads;
retention is applied as things are written and on a timer while nothing is.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from voiceslm.config import Config
from voiceslm.errors import UserError
from voiceslm.pipeline.channels import Subscription
from voiceslm.pipeline.events import ReplyText, TranscriptReady, Utterance
from voiceslm.service.controller import Controller
from voiceslm.service.privacy import AudioArchive, TranscriptLog

log = logging.getLogger(__name__)

PRUNE_INTERVAL_SECONDS = 3600.0
"""How often the transcript log and saved audio are pruned even when nothing new is kept."""


def start_recorder(controller: Controller, config: Config) -> asyncio.Task[None] | None:
    """The recording task for `config.privacy`, or None when nothing is to be kept."""
    privacy = config.privacy
    if not (privacy.transcript_log or privacy.save_audio):
        return None
    from voiceslm.service.privacy import default_data_dir, retention_of

    retention = retention_of(privacy.retention_days, privacy.retention_mb)
    data_dir = default_data_dir()
    transcripts = None
    if privacy.transcript_log:
        path = Path(privacy.transcript_path).expanduser() if privacy.transcript_path else None
        transcripts = TranscriptLog(path or data_dir / "transcripts.jsonl", retention)
        log.info("transcript log on: %s", transcripts.path)
    archive = None
    if privacy.save_audio:
        directory = Path(privacy.audio_dir).expanduser() if privacy.audio_dir else data_dir / "audio"
        archive = AudioArchive(directory, retention)
        log.info("saving utterance audio to %s", directory)
    return asyncio.create_task(record(controller.subscribe(), transcripts, archive), name="recorder")


async def record(subscription: Subscription, transcripts: TranscriptLog | None, archive: AudioArchive | None) -> None:
    """Write transcripts and audio as the pipeline publishes them; errors are logged, not fatal."""
    # Retention also applies while nothing is said: prune on a timer too.
    pruner = asyncio.create_task(_prune_periodically(transcripts, archive))
    try:
        async for event in subscription:
            try:
                if transcripts is not None and isinstance(event, TranscriptReady) and event.text:
                    entry = {"utterance": event.utterance_id, "heard": event.text, "language": event.language}
                    await asyncio.to_thread(transcripts.append, entry)
                elif transcripts is not None and isinstance(event, ReplyText) and event.final and event.text:
                    entry = {"utterance": event.utterance_id, "reply": event.text, "language": event.language}
                    await asyncio.to_thread(transcripts.append, entry)
                elif archive is not None and isinstance(event, Utterance):
                    await asyncio.to_thread(archive.save, event.audio, event.sample_rate, event.id)
            except (OSError, UserError) as exc:
                log.error("could not keep utterance data on disk: %s", exc)
    finally:
        pruner.cancel()
        subscription.close()


async def _prune_periodically(transcripts: TranscriptLog | None, archive: AudioArchive | None) -> None:
    while True:
        await asyncio.sleep(PRUNE_INTERVAL_SECONDS)
        for store in (transcripts, archive):
            if store is None:
                continue
            try:
                await asyncio.to_thread(store.prune)
            except OSError as exc:
                log.error("could not apply the retention limit: %s", exc)
