"""Documents for the commands and the live assistant: one file, or the documents folder.

`answer_file` and `summarize_file` serve `ask --doc` and `summarize`;
`answer_from_folder` serves `ask` and assist mode when `assistant.documents`
is set; `voice_answer` is what the live assist path calls for an utterance such
as "what does the report say about the pump": it returns the spoken answer's
pieces, or None when the utterance is not about documents.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from voiceslm.assistant import docindex
from voiceslm.assistant.docqa import NOT_FOUND, DocAnswer, answer_question
from voiceslm.assistant.readers import Document, read_document
from voiceslm.config import Config
from voiceslm.errors import UserError

log = logging.getLogger(__name__)

SEARCHED = 8
"""Chunks fetched from the index for one question (the best few are given to the model)."""

_DOCUMENT_NOUNS = (
    r"(?:report|document|documents|file|files|minutes|contract|manual|letter|memo|pdf|paper|papers|agreement|"
    r"policy|plan|proposal|invoice|docs)s?"
)
# "what does the report say about X", "what do my documents say about X",
# "according to the minutes, X", "search my documents for X", "in the contract, X".
_VOICE_PATTERNS = (
    re.compile(
        rf"^what (?:does|do|did) (?:the|my|our|this|that) (?:\w+ )?{_DOCUMENT_NOUNS} (?:say|tell|state|mention)s?"
        r"(?: (?:me|us))? (?:about|on|regarding|of) (?P<topic>.+)$"
    ),
    re.compile(rf"^(?:according to|in) (?:the|my|our) (?:\w+ )?{_DOCUMENT_NOUNS},? (?P<topic>.+)$"),
    re.compile(rf"^(?:search|look in|check) (?:the|my|our) (?:\w+ )?{_DOCUMENT_NOUNS} (?:for|about) (?P<topic>.+)$"),
)


def limits(config: Config) -> tuple[int, int]:
    """(bytes, characters) a document may have."""
    return int(config.assistant.max_document_mb * 1_000_000), config.assistant.max_document_chars


def read(config: Config, path: str | Path) -> Document:
    return read_document(path, *limits(config))


def answer_file(model: Any, document: Document, question: str, language: str) -> DocAnswer:
    """Answer from one document, indexed in memory only."""
    connection = docindex.memory_index(document)
    try:
        passages = docindex.search(connection, question, SEARCHED)
    finally:
        connection.close()
    return answer_question(model, question, passages, language)


def open_folder_index(config: Config) -> tuple[sqlite3.Connection, docindex.SyncReport]:
    """The assistant database, with the documents folder's index brought up to date, and what changed."""
    from voiceslm.assistant.db import database_path, open_database
    from voiceslm.service.privacy import default_data_dir

    folder = config.assistant.documents
    if not folder:
        raise UserError("No documents folder is set; set assistant.documents to a folder of documents.")
    connection = open_database(database_path(config.assistant.database, default_data_dir()))
    try:
        report = docindex.sync_folder(connection, Path(folder), *limits(config))
    except BaseException:
        connection.close()
        raise
    return connection, report


def answer_from_folder(
    model: Any, config: Config, question: str, language: str, cancel: threading.Event | None = None
) -> DocAnswer:
    connection, _ = open_folder_index(config)
    try:
        passages = docindex.search(connection, question, SEARCHED)
        many = len({p.file for p in passages}) > 1 or len(docindex.indexed_files(connection)) > 1
    finally:
        connection.close()
    return answer_question(model, question, passages, language, many_files=many, cancel=cancel)


def document_topic(utterance: str) -> str | None:
    """What a spoken request asks of the documents ("the pump" of "what does the report say about the pump?")."""
    text = " ".join(utterance.lower().replace("’", "'").split()).strip(" .?!")
    text = re.sub(r"^(?:hey |ok |okay |so |and |please |can you tell me )+", "", text)
    for pattern in _VOICE_PATTERNS:
        match = pattern.match(text)
        if match:
            return match.group("topic").strip(" ,.?!") or None
    return None


def voice_answer(
    config: Config, engines: Any, utterance: str, cancel: threading.Event | None = None
) -> Iterator[str] | None:
    """The live assist path's hook: the pieces of a document answer, or None if the utterance is not about documents.

    Runs in the language-model worker thread (it reads the index and runs the model).
    """
    if document_topic(utterance) is None:
        return None
    if not config.assistant.documents:
        return iter(["No documents folder is set; set assistant.documents to a folder of documents."])
    language = "en"
    try:
        answer = answer_from_folder(engines.lm("assist"), config, utterance, language, cancel)
    except UserError as exc:
        return iter([str(exc)])
    log.info("document answer (%s): %s", answer.how, answer.text)
    return iter([answer.text if answer.found else NOT_FOUND[language]])
