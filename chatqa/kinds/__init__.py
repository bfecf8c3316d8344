"""Rule kinds: the small, closed set of Python classes that YAML rules are instances of.

A rule file names its kind (``kind: phrase``); the kind is a pydantic model whose fields are
the rule's keys (unknown keys are rejected) and whose `check` method yields findings.
Kinds register under the ``chatqa.kinds`` entry point, so a plug-in adds one the same way.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, NamedTuple

import msgspec
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from ..metrics import Facts, Metrics
from ..model import Channel, Transcript
from ..records import Conversation, Line, in_scope
from ..redact import mask_cards
from ..registry import Registry
from ..results import Finding, Level

if TYPE_CHECKING:
    from ..business_hours import Calendar
    from ..match import PhraseIndex, Scan

_DURATION = re.compile(r"(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+(?:\.\d+)?)m)?\s*(?:(\d+(?:\.\d+)?)s)?")


def parse_duration(value: Any) -> float:
    """Seconds from ``90``, ``"90s"``, ``"2m"``, ``"1h30m"`` or ``"1m 30s"``."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 90s, 2m or 1h30m")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and value.strip():
        text = value.strip().lower()
        match = _DURATION.fullmatch(text)
        if re.fullmatch(r"\d+(\.\d+)?", text):
            seconds = float(text)
        elif match and any(match.groups()):
            h, m, s = (float(g or 0) for g in match.groups())
            seconds = h * 3600 + m * 60 + s
        else:
            raise ValueError(f"expected a duration such as 90s, 2m or 1h30m, got {value!r}")
    else:
        raise ValueError(f"expected a duration such as 90s, 2m or 1h30m, got {value!r}")
    if seconds < 0 or seconds != seconds or seconds == float("inf"):
        raise ValueError(f"a duration must be a non-negative number of seconds, got {value!r}")
    return seconds


Duration = Annotated[float, BeforeValidator(parse_duration)]
Scope = Literal["agent", "customer", "bot", "any"]
Pattern = str | list[dict[str, Any]]


def human_duration(seconds: float) -> str:
    """``41s``, ``2m 05s``, ``1h 02m`` (for finding messages)."""
    s = round(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s"
    return f"{s // 3600}h {s % 3600 // 60:02d}m"


class Examples(BaseModel, frozen=True, extra="forbid"):
    """A rule's documentation examples: what it flags and what it accepts."""

    bad: list[str] = Field(min_length=1)
    good: list[str] = Field(min_length=1)

    @field_validator("bad", "good", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class Context:
    """Per-conversation state shared by all rules: the conversation's light record, metrics,
    replies, scoped messages and (computed on first use) phrase matches. `transcript` is the
    public pydantic model, built only for a rule that asks for it. `business` holds each
    reply's wait in business hours when the run has a `calendar` (None without one)."""

    def __init__(self, conversation: Conversation, metrics: Metrics, index: PhraseIndex | None = None,
                 facts: Facts | None = None, business: list[float | None] | None = None,
                 calendar: Calendar | None = None) -> None:
        self.conversation = conversation
        self.calendar = calendar
        self.lines = conversation.lines
        self.metrics = metrics
        self.index = index
        self.facts = facts or Facts(conversation.lines)
        self.business = business
        self._scan: Scan | None = None
        self._transcript: Transcript | None = None
        self._scoped: dict[tuple[str, bool], list[Line]] = {}

    @property
    def transcript(self) -> Transcript:
        """The conversation as the public `chatqa.Transcript` (built on first use)."""
        if self._transcript is None:
            self._transcript = self.conversation.transcript()
        return self._transcript

    @property
    def replies(self) -> list[tuple[Line, Line, float | None]]:
        """Agent replies paired with the customer messages they answer: (customer, agent, seconds)."""
        return self.facts.replies

    @property
    def channel(self) -> Channel:
        """The conversation's channel (as the run judges it: ``--channel`` applied)."""
        return self.conversation.channel

    def scoped(self, scope: str, include_internal: bool = False) -> list[Line]:
        """The conversation's chat lines by `scope` (see `in_scope`), computed once."""
        if not include_internal:
            return self.facts.lines[scope]
        key = (scope, include_internal)
        if key not in self._scoped:
            self._scoped[key] = [m for m in self.lines if in_scope(m, scope, include_internal)]
        return self._scoped[key]

    @property
    def scan(self) -> Scan:
        """The conversation's phrase matches (one pass over its text, on first use)."""
        if self._scan is None:
            if self.index is None:
                raise LookupError("this context has no phrase index")
            self._scan = self.index.scan(self.lines, self.facts.lines, self.conversation.joined())
        return self._scan

    def candidates(self, key: str, scope: str, include_internal: bool = False) -> list[Line]:
        """The messages of `scope` where phrase key `key` may match, in order (the others need
        not be read)."""
        if self.index is None:
            return []
        return self.scan.candidates(key, scope, include_internal)

    def candidates_among(self, key: str, messages: list[Line]) -> list[Line]:
        """The messages of `messages` (a few) where phrase key `key` may match, in order."""
        if self.index is None:
            return []
        return self.scan.among(key, messages)

    def matches(self, message: Line, key: str) -> list[tuple[int, int]]:
        """Spans of phrase key `key` in `message` that none of its exceptions overlaps."""
        if self.index is None:
            return []
        return self.scan.vetoed(message, key)


class Outcome(NamedTuple):
    """What a run-level rule concludes about one conversation."""

    metrics: dict[str, Any]  # e.g. {"canned_ratio": 0.5}
    applies: bool
    findings: list[Finding]


class Rule(BaseModel):
    """Fields every rule file has; kinds add their own (unknown keys are errors)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(pattern=r"^[A-Z]{1,4}\d{3}$")
    kind: str
    level: Level
    message: str = Field(min_length=1)
    description: str = Field(min_length=1)
    examples: Examples
    critical: bool = False
    channels: list[Channel] | None = None  # the channels it judges (None: all); elsewhere not applicable
    name: str = Field(default="", exclude=True)  # from the file name
    group: str = Field(default="", exclude=True)  # from the folder
    path: str = Field(default="", exclude=True)

    placeholders: ClassVar[frozenset[str]] = frozenset({"quote"})
    described: ClassVar[frozenset[str]] = frozenset()  # fields `describe` shows (explain leaves them out of Settings)
    merged_tables: ClassVar[frozenset[str]] = frozenset()  # table fields a config table updates instead of replacing
    corpus: ClassVar[bool] = False  # needs a pass over the whole run first (observe/finish)
    note_type: ClassVar[Any] = None  # the type of `note` (msgspec-serialisable); None: notes are pickled

    @model_validator(mode="after")
    def _known_placeholders(self) -> Rule:
        fields = {f for _, f, _, _ in string.Formatter().parse(self.message) if f is not None}
        unknown = sorted(f for f in fields if f.split(".")[0].split("[")[0] not in self.placeholders)
        if unknown or "" in fields:
            allowed = ", ".join(sorted(self.placeholders))
            raise ValueError(f"message: unknown placeholder {{{(unknown or [''])[0]}}} (allowed: {allowed})")
        return self

    def prepare(self, index: PhraseIndex, catalogue: dict[str, Rule]) -> None:
        """Register phrase patterns with the shared index (phrase-based kinds)."""

    def applies(self, ctx: Context) -> bool:
        """False when the rule cannot apply to this conversation (reported as not_applicable)."""
        return True

    def judges(self, channel: Channel) -> bool:
        """True when the rule judges conversations of `channel` (SPEC section 5, channels)."""
        return self.channels is None or channel in self.channels

    def describe(self) -> list[str]:
        """Kind-specific lines for ``chatqa explain`` (e.g. thresholds by channel)."""
        return []

    def no_note(self) -> Any:
        """A run-level rule's note for a conversation it does not judge (it counts for nothing)."""
        return None

    def check(self, ctx: Context) -> Iterator[Finding]:
        """Yield the findings for one conversation."""
        raise NotImplementedError

    # Run-level kinds (``corpus = True``) are a map-reduce over the run, in place of `applies`
    # and `check`: `note` takes what the rule needs from each conversation (map); `observe`
    # folds the notes into a run state in run order and `merge` combines the states of parts
    # of a run (reduce); `finish` turns the state into the run-level result, which `conclude`
    # applies to each conversation's note. Notes and states must be picklable (they cross
    # processes with --jobs and Dask); a kind that declares `note_type` has its notes spilled
    # as MessagePack instead of pickles (faster).
    def note(self, ctx: Context) -> Any:
        """This conversation's contribution to the run (map)."""
        return None

    def new_state(self) -> Any:
        """An empty run state."""
        return None

    def observe(self, note: Any, state: Any) -> Any:
        """Fold one conversation's note into the run state (returns the state)."""
        return state

    def merge(self, a: Any, b: Any) -> Any:
        """Combine the states of two parts of a run (`a` before `b`)."""
        return a

    def finish(self, state: Any) -> Any:
        """Turn the run state into what `conclude` needs."""
        return state

    def conclude(self, note: Any, corpus: Any) -> Outcome:
        """Metrics, applicability and findings for one conversation, given the run's result."""
        return Outcome({}, True, [])

    def finding(self, message: Line | None = None, span: tuple[int, int] | None = None,
                level: Level | None = None, conversations: tuple[str, ...] = (), **values: Any) -> Finding:
        """Build a finding with this rule's identity and its message filled in."""
        quote = None
        if message is not None and span is not None:
            quote = mask_cards(message.text[span[0]:span[1]])
        text = self.message.format_map(_Values(quote=quote or "", **values))
        return Finding(
            code=self.code, rule=self.name, level=level or self.level, message=mask_cards(text),
            message_index=message.index if message is not None else None, span=span, quote=quote,
            sent_at=message.sent_at if message is not None else None, conversations=conversations or msgspec.UNSET,
        )


class _Values(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


registry: Registry[type[Rule]] = Registry("chatqa.kinds", "rule kind")
