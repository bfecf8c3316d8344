"""What a check produces: findings, per-conversation results and the run summary."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, PrivateAttr

from .errors import Failure
from .metrics import Metrics
from .model import Transcript, unpack_transcript
from .normalize import iso


class Level(StrEnum):
    """How serious a finding is."""

    SUGGESTION = "suggestion"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        """0 for suggestion, 1 for warning, 2 for error."""
        return _RANKS[self]


_RANKS = {Level.SUGGESTION: 0, Level.WARNING: 1, Level.ERROR: 2}


class Finding(BaseModel, frozen=True):
    """One rule violation, with the evidence a QA lead needs to check it."""

    code: str
    rule: str
    level: Level
    message: str
    message_index: int | None = None  # None: about the whole conversation
    span: tuple[int, int] | None = None  # character offsets in that message's text
    quote: str | None = None  # the matched text, redacted
    sent_at: datetime | None = None
    conversations: tuple[str, ...] = ()  # CQ501: the overlapping conversations' ids

    def record(self) -> dict[str, Any]:
        """The JSON shape of SPEC section 7."""
        out: dict[str, Any] = {
            "code": self.code, "rule": self.rule, "level": self.level.value,
            "message_index": self.message_index, "span": list(self.span) if self.span else None,
            "quote": self.quote, "sent_at": iso(self.sent_at), "message": self.message,
        }
        if self.conversations:
            out["conversations"] = list(self.conversations)
        return out


class Result(BaseModel, frozen=True):
    """Everything chatqa says about one conversation.

    The conversation's identity (`id`, `vendor`, `source`, times, `tags`) is stored on the
    result; the full `transcript` is kept with it, or restored on first access when the
    result went through a run's spill file.
    """

    id: str
    vendor: str
    source: str
    started_at: datetime | None = None
    ended_at: datetime | None = None
    tags: tuple[str, ...] = ()
    agents: tuple[str, ...] = ()
    metrics: Metrics
    findings: tuple[Finding, ...] = ()
    score: float | None = 100.0
    subscores: dict[str, float | None] = Field(default_factory=dict)
    not_applicable: tuple[str, ...] = ()
    words: int = 0  # words in the customer's and agents' visible messages (sampling eligibility)

    _transcript: Transcript | None = PrivateAttr(None)
    _packed: tuple[Any, ...] | None = PrivateAttr(None)

    @classmethod
    def of(cls, transcript: Transcript | None, packed: tuple[Any, ...] | None = None, **fields: Any) -> Result:
        """A result holding its transcript (or the packed form `unpack_transcript` restores)."""
        result = cls(**fields)
        result._transcript = transcript
        result._packed = packed
        return result

    @property
    def transcript(self) -> Transcript:
        """The conversation itself (messages, participants, metadata)."""
        if self._transcript is None:
            if self._packed is None:
                raise LookupError(f"{self.id}: this run did not keep transcripts (keep_transcripts=False)")
            self._transcript = unpack_transcript(self._packed)
            self._packed = None
        return self._transcript

    @property
    def codes(self) -> list[str]:
        """Sorted distinct rule codes of the findings."""
        return sorted({f.code for f in self.findings})

    def record(self) -> dict[str, Any]:
        """The JSONL object of SPEC section 7 (a public contract)."""
        return {
            "id": self.id, "vendor": self.vendor, "source": self.source, "agents": list(self.agents),
            "started_at": iso(self.started_at), "ended_at": iso(self.ended_at),
            "metrics": dict(self.metrics.__dict__), "score": self.score, "subscores": self.subscores,
            "findings": [f.record() for f in self.findings], "not_applicable": list(self.not_applicable),
        }


class Summary(BaseModel):
    """Counts for a whole run: every record read is a conversation or a failure."""

    files: int = 0
    records_in: int = 0
    conversations: int = 0
    failures: list[Failure] = Field(default_factory=list)
    skipped: list[str] = Field(default_factory=list)

    def record(self) -> dict[str, Any]:
        """The JSON summary object."""
        return {
            "files": self.files, "records_in": self.records_in, "conversations": self.conversations,
            "failures": [f.model_dump() for f in self.failures], "skipped": self.skipped,
        }
