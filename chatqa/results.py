"""What a check produces: findings, per-conversation results and the run summary.

`Result` is the one serialisation of a conversation's result: its JSON encoding is the JSONL
contract of SPEC section 7 (`Result.json`), its MessagePack encoding is what a run's spill
file holds, and the tables (CSV, parquet, DataFrames) are built from it (`chatqa.frames`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import msgspec
from pydantic import BaseModel, Field

from .errors import Failure
from .metrics import Metrics
from .model import Transcript
from .records import Conversation


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


class Finding(msgspec.Struct, frozen=True):
    """One rule violation, with the evidence a QA lead needs to check it."""

    code: str
    rule: str
    level: Level
    message_index: int | None = None  # None: about the whole conversation
    span: tuple[int, int] | None = None  # character offsets in that message's text
    quote: str | None = None  # the matched text, redacted
    sent_at: datetime | None = None
    message: str = ""
    # CQ501: the overlapping conversations' ids (UNSET, which is false, for other rules: left out of the JSON)
    conversations: tuple[str, ...] | msgspec.UnsetType = msgspec.UNSET

    def record(self) -> dict[str, Any]:
        """The JSON shape of SPEC section 7."""
        return msgspec.json.decode(_JSON(self))


class Result(msgspec.Struct, omit_defaults=True, dict=True):
    """Everything chatqa says about one conversation.

    The fields up to `not_applicable` are the JSONL contract; `tags`, `words` (words in the
    customer's and agents' visible messages, for sampling) and `channel` (the one the rules
    judged it as) are for the tables. The conversation itself is kept with the result when the
    run was asked to (`transcript`).
    """

    id: str
    vendor: str
    source: str
    agents: tuple[str, ...]
    started_at: datetime | None
    ended_at: datetime | None
    metrics: Metrics
    score: float | None
    subscores: dict[str, float | None]
    findings: tuple[Finding, ...]
    not_applicable: tuple[str, ...]
    tags: tuple[str, ...] = ()
    words: int = 0
    channel: str = ""  # the channel the conversation was judged as

    @property
    def kept(self) -> bool:
        """True when the run kept the conversation itself (`transcript` can be read)."""
        return self.__dict__.get("conversation") is not None

    @property
    def transcript(self) -> Transcript:
        """The conversation itself (messages, participants, metadata), as a public Transcript."""
        conversation: Conversation | Transcript | None = self.__dict__.get("conversation")
        if conversation is None:
            raise LookupError(f"{self.id}: this run did not keep transcripts (keep_transcripts=False)")
        return conversation if isinstance(conversation, Transcript) else conversation.transcript()

    @property
    def codes(self) -> list[str]:
        """Sorted distinct rule codes of the findings."""
        return sorted({f.code for f in self.findings})

    def record(self) -> dict[str, Any]:
        """The JSONL object of SPEC section 7 (a public contract)."""
        return msgspec.json.decode(self.json())

    def json(self) -> bytes:
        """The JSONL line of SPEC section 7 (without the newline)."""
        return _JSON(msgspec.structs.replace(self, tags=(), words=0, channel=""))


_JSON = msgspec.json.Encoder().encode


class Summary(BaseModel):
    """Counts for a whole run: every record read is a conversation, a failure or a duplicate
    (``records_in == conversations + failure_count + duplicates``)."""

    files: int = 0
    records_in: int = 0
    conversations: int = 0
    duplicates: int = 0
    """Records that repeat a conversation (or a CSV row) read before in the run: counted once."""
    failures: list[Failure] = Field(default_factory=list)
    """The first 10,000 failures (every one is printed and written to ``--errors`` as it is met)."""
    failure_count: int = 0
    """Every failure of the run."""
    skipped: list[str] = Field(default_factory=list)

    def record(self) -> dict[str, Any]:
        """The JSON summary object."""
        return {
            "files": self.files, "records_in": self.records_in, "conversations": self.conversations,
            "duplicates": self.duplicates, "failures": [f.model_dump() for f in self.failures],
            "failure_count": self.failure_count, "skipped": self.skipped,
        }
