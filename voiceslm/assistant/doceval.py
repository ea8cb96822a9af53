"""Scoring summaries and document answers: `voiceslm eval --documents DIR`.

A set is `NAME.md` (any readable document), `NAME.questions.tsv` (question,
answers separated by `|` or `NOT IN DOCUMENT`, and the start of the section
that holds the answer) and `NAME.facts.txt` (the key facts a summary should
keep, one a line). Reported per document: key facts kept by the summary,
questions answered right, the part named right, and the time each took.
"""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voiceslm.assistant import evidence
from voiceslm.errors import UserError

ABSENT = "NOT IN DOCUMENT"


@dataclass(frozen=True)
class QuestionResult:
    question: str
    expected: tuple[str, ...]
    answer: str
    right: bool
    part_right: bool | None
    """Whether the named part is the expected section; None for a question the document cannot answer."""
    seconds: float


@dataclass
class DocumentScore:
    name: str
    summary: str = ""
    facts: list[str] = field(default_factory=list)
    facts_kept: list[str] = field(default_factory=list)
    summary_seconds: float = 0.0
    questions: list[QuestionResult] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        answered = [q for q in self.questions if q.part_right is not None]
        return {
            "document": self.name,
            "summary": self.summary,
            "facts": len(self.facts),
            "facts_kept": len(self.facts_kept),
            "facts_missed": [f for f in self.facts if f not in self.facts_kept],
            "summary_s": round(self.summary_seconds, 2),
            "questions": len(self.questions),
            "right": sum(q.right for q in self.questions),
            "part_right": sum(bool(q.part_right) for q in answered),
            "answerable": len(answered),
            "answer_s_mean": round(sum(q.seconds for q in self.questions) / max(1, len(self.questions)), 2),
            "answers": [
                {"question": q.question, "answer": q.answer, "right": q.right, "part_right": q.part_right}
                for q in self.questions
            ],
        }


def document_sets(folder: Path) -> list[Path]:
    """The documents of an evaluation folder that have a questions file beside them."""
    if not folder.is_dir():
        raise UserError(
            f"{folder} is not a folder of document sets; give a folder such as voiceslm/evalsets/documents."
        )
    found = sorted(p for p in folder.iterdir() if p.suffix != ".tsv" and _sibling(p, "questions.tsv").is_file())
    if not found:
        raise UserError(f"{folder} has no NAME.md with a NAME.questions.tsv beside it; see its README.")
    return found


def score_document(model: Any, path: Path, config: Any) -> DocumentScore:
    from voiceslm.assistant import documents
    from voiceslm.assistant.summarize import summarize

    document = documents.read(config, path)
    score = DocumentScore(path.name)
    started = time.perf_counter()
    summary = summarize(model, document)
    score.summary_seconds = time.perf_counter() - started
    score.summary = summary.text
    facts_file = _sibling(path, "facts.txt")
    if facts_file.is_file():
        lines = facts_file.read_text(encoding="utf-8").splitlines()
        score.facts = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
        score.facts_kept = evidence.kept_facts(score.facts, summary.text)
    for question, answers, part in _questions(_sibling(path, "questions.tsv")):
        started = time.perf_counter()
        answer = documents.answer_file(model, document, question, "en")
        seconds = time.perf_counter() - started
        if answers == (ABSENT,):
            right, part_right = not answer.found, None
        else:
            right = answer.found and bool(evidence.kept_facts(answers, answer.answer))
            part_right = answer.source is not None and answer.source.section.startswith(part)
        score.questions.append(QuestionResult(question, answers, answer.text, right, part_right, seconds))
    return score


def _sibling(path: Path, suffix: str) -> Path:
    return path.with_name(f"{path.stem}.{suffix}")


def _questions(path: Path) -> list[tuple[str, tuple[str, ...], str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    if not rows or not {"question", "answers"} <= set(rows[0]):
        raise UserError(f"{path} needs the columns question, answers and part; see the README beside it.")
    return [
        (r["question"], tuple(a.strip() for a in r["answers"].split("|")), (r.get("part") or "").strip()) for r in rows
    ]
