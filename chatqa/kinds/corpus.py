"""Run-level kinds: ``canned`` (repeated agent text) and ``concurrency`` (overlapping chats),
plus ``detector`` (payment card numbers)."""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar, Literal

import yaml
from pydantic import Field

from ..errors import ConfigError
from ..metrics import active_window, agents, is_chat
from ..model import Role, Transcript
from ..redact import find_cards
from ..results import Finding
from . import Context, Rule, Scope, in_scope

_URL = re.compile(r"https?://\S+|www\.\S+")
_EMAIL = re.compile(r"\S+@\S+\.\w+")
_HANDLE = re.compile(r"@\w+")
_NUMBER = re.compile(r"\d[\d,.:/\-]*")
_SIGN_OFF = re.compile(r"\s[\^*~\-–—]\s?[a-z][a-z.]{0,19}\s*$")
_NON_WORD = re.compile(r"[^\w<>]+")


def _names(transcript: Transcript) -> set[str]:
    found = set()
    for name in [p.name for p in transcript.participants] + [m.author_name for m in transcript.messages]:
        for part in re.split(r"[\s._@\-]+", (name or "").lower()):
            if len(part) >= 2 and part.isalpha():
                found.add(part)
    return found


_PLACEHOLDER = re.compile(r"\{\{?\s*([\w .\-]+?)\s*\}?\}|\[\s*([\w .\-]+?)\s*\]|%([\w.\-]+)%|<([\w.\-]+)>")


def _placeholder(match: re.Match[str]) -> str:
    """A macro placeholder (``{name}``, ``{{order_id}}``, ``[email]``, ``%url%``) as chatqa's token."""
    word = next(g for g in match.groups() if g).lower()
    for hint, token in (("mail", " <email> "), ("url", " <url> "), ("link", " <url> "), ("name", " <name> "),
                        ("agent", " <name> "), ("customer", " <name> ")):
        if hint in word:
            return token
    return " <num> "


def canned_key(text: str, names: set[str], min_words: int, *, template: bool = False) -> int | None:
    """A stable 64-bit key of a message with names, numbers, emails and URLs normalised away.

    With `template`, macro placeholders such as ``{customer_name}`` or ``{{order_id}}`` are
    read as the values they stand for. None for messages shorter than `min_words`
    (acknowledgements are never canned).
    """
    if template:
        text = _PLACEHOLDER.sub(_placeholder, text)
    text = _URL.sub(" <url> ", text.lower())
    text = _EMAIL.sub(" <email> ", text)
    text = _HANDLE.sub(" <handle> ", text)
    text = _NUMBER.sub(" <num> ", text)
    text = _SIGN_OFF.sub("", text)
    words = [("<name>" if w in names else w) for w in _NON_WORD.sub(" ", text).split()]
    if sum(1 for w in words if not w.startswith("<")) < min_words:
        return None
    return int.from_bytes(hashlib.blake2b(" ".join(words).encode(), digest_size=8).digest(), "big")


class CannedRule(Rule):
    """Flags conversations where most agent messages are canned: equal (after normalising names,
    numbers, emails and URLs) to an entry of the canned-response `library` or to agent text
    repeated in at least `min_conversations` conversations of the run."""

    kind: Literal["canned"] = "canned"
    min_agent_messages: int = Field(default=3, ge=1)
    max_ratio: float = Field(default=0.6, ge=0, le=1)
    min_conversations: int = Field(default=5, ge=2)
    min_words: int = Field(default=3, ge=1)
    library: str | None = None
    capacity: int = Field(default=200_000, ge=1000)

    placeholders: ClassVar[frozenset[str]] = frozenset({"canned", "total", "ratio", "max_ratio"})
    corpus: ClassVar[bool] = True

    @cached_property
    def library_keys(self) -> frozenset[int]:
        """Keys of the canned-response library (a YAML list, or one reply per line)."""
        if not self.library:
            return frozenset()
        path = Path(self.library)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: error: cannot read the canned-response library ({exc})") from None
        if path.suffix.lower() in (".yaml", ".yml"):
            try:
                data = yaml.safe_load(text)
            except yaml.YAMLError as exc:
                raise ConfigError(f"{path}: error: invalid YAML ({exc})") from None
            if isinstance(data, dict):
                data = data.get("responses", data.get("canned", []))
            if not isinstance(data, list) or not all(isinstance(x, str) for x in data):
                raise ConfigError(f"{path}: error: expected a list of replies")
            replies = data
        else:
            replies = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
        keys = (canned_key(r, set(), self.min_words, template=True) for r in replies)
        return frozenset(k for k in keys if k is not None)

    def _keys(self, transcript: Transcript) -> list[int | None]:
        names = _names(transcript)
        return [canned_key(m.text, names, self.min_words) for m in transcript.messages if is_chat(m, Role.AGENT)]

    def new_state(self) -> dict[int, int]:
        """Agent-text key -> number of conversations it appears in."""
        return {}

    def observe(self, transcript: Transcript, state: dict[int, int]) -> dict[int, int]:
        """Count each distinct agent text once per conversation; prune when over capacity."""
        for key in {k for k in self._keys(transcript) if k is not None}:
            state[key] = state.get(key, 0) + 1
        if len(state) > self.capacity:
            _prune(state, self.capacity)
        return state

    def merge(self, a: dict[int, int], b: dict[int, int]) -> dict[int, int]:
        """Add two partial counts."""
        for key, count in b.items():
            a[key] = a.get(key, 0) + count
        if len(a) > self.capacity:
            _prune(a, self.capacity)
        return a

    def finish(self, state: dict[int, int]) -> frozenset[int]:
        """The run's templates: texts seen in at least `min_conversations` conversations."""
        return frozenset(k for k, n in state.items() if n >= self.min_conversations)

    def applies(self, ctx: Context) -> bool:
        """Needs `min_agent_messages` agent messages."""
        return ctx.metrics.agent_messages >= self.min_agent_messages

    def add_metrics(self, ctx: Context) -> dict[str, Any]:
        """``canned_ratio``: the share of agent messages that are canned (None without any)."""
        keys = self._keys(ctx.transcript)
        if not keys:
            return {"canned_ratio": None}
        templates = ctx.corpus.get(self.code, frozenset())
        library = self.library_keys
        canned = sum(1 for k in keys if k is not None and (k in templates or k in library))
        return {"canned_ratio": round(canned / len(keys), 6)}

    def check(self, ctx: Context) -> Iterator[Finding]:
        """One whole-conversation finding when the canned share is above `max_ratio`."""
        ratio = ctx.extra_metrics["canned_ratio"]
        total = ctx.metrics.agent_messages
        if ratio is not None and total >= self.min_agent_messages and ratio > self.max_ratio:
            yield self.finding(canned=round(ratio * total), total=total, ratio=ratio, max_ratio=self.max_ratio)


def _prune(counts: dict[int, int], capacity: int) -> None:
    """Drop the rarest keys until at most half the capacity remain (lossy counting)."""
    floor = 1
    while len(counts) > capacity // 2:
        for key in [k for k, n in counts.items() if n <= floor]:
            del counts[key]
        floor += 1


class DetectorRule(Rule):
    """Flags payment card numbers (Luhn-valid, 13-19 digits, spaces or dashes allowed) in any
    message, internal notes and form answers included; the quote is masked."""

    kind: Literal["detector"] = "detector"
    detect: Literal["card_number"] = "card_number"
    scope: Scope = "any"

    placeholders: ClassVar[frozenset[str]] = frozenset({"quote", "role"})

    def check(self, ctx: Context) -> Iterator[Finding]:
        """One finding per message holding a card number."""
        for m in ctx.transcript.messages:
            if self.scope != "any" and not in_scope(m, self.scope, include_internal=True):
                continue
            for start, end, _ in find_cards(m.text):
                yield self.finding(m, (start, end), role=m.role.value)
                break


class ConcurrencyRule(Rule):
    """Flags a conversation during which its agent had more than `max_others` other
    conversations open at once (a conversation is open from its first to its last message)."""

    kind: Literal["concurrency"] = "concurrency"
    max_others: int = Field(default=2, ge=0)

    placeholders: ClassVar[frozenset[str]] = frozenset({"agent", "others", "max_others"})
    corpus: ClassVar[bool] = True

    def new_state(self) -> dict[str, list[tuple[float, float, str, str]]]:
        """Agent -> open intervals (start, end, source, id)."""
        return {}

    def observe(self, transcript: Transcript, state: dict[str, Any]) -> dict[str, Any]:
        """Record this conversation's open interval for each of its agents."""
        window = active_window(transcript)
        if window is not None:
            item = (window[0].timestamp(), window[1].timestamp(), transcript.source, transcript.id)
            for agent in agents(transcript):
                state.setdefault(agent, []).append(item)
        return state

    def merge(self, a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
        """Concatenate interval lists."""
        for agent, items in b.items():
            a.setdefault(agent, []).extend(items)
        return a

    def finish(self, state: dict[str, Any]) -> dict[str, Any]:
        """Sort each agent's intervals by start (for bisecting)."""
        return {agent: sorted(items) for agent, items in state.items()}

    def add_metrics(self, ctx: Context) -> dict[str, Any]:
        """``max_concurrency``: conversations the agent had open at once during this one."""
        peak = self.peak(ctx.transcript, ctx.corpus.get(self.code, {}))
        ctx.notes[self.code] = peak
        return {"max_concurrency": peak[0] if peak else None}

    def applies(self, ctx: Context) -> bool:
        """Needs times and a human agent."""
        return ctx.notes.get(self.code) is not None

    def peak(self, transcript: Transcript, intervals: dict[str, Any]) -> tuple[int, str, tuple[str, ...]] | None:
        """(conversations open at once including this one, agent, the other ids at that moment)."""
        window = active_window(transcript)
        names = agents(transcript)
        if window is None or not names:
            return None
        start, end = window[0].timestamp(), window[1].timestamp()
        best = (1, names[0], ())
        for agent in names:
            items = intervals.get(agent, [])
            upto = bisect.bisect_right(items, (end, float("inf"), "", ""))
            others = [it for it in items[:upto] if it[1] >= start and it[2] != transcript.source]
            events = sorted([(max(s, start), 0, i) for i, (s, _, _, _) in enumerate(others)]
                            + [(min(e, end), 1, i) for i, (_, e, _, _) in enumerate(others)])
            open_now: set[int] = set()
            for _, kind, i in events:
                if kind == 0:
                    open_now.add(i)
                    if len(open_now) + 1 > best[0]:
                        best = (len(open_now) + 1, agent, tuple(sorted(others[j][3] for j in open_now)))
                else:
                    open_now.discard(i)
        return best

    def check(self, ctx: Context) -> Iterator[Finding]:
        """One whole-conversation finding naming the overlapping conversations."""
        peak = ctx.notes.get(self.code)
        if peak and peak[0] - 1 > self.max_others:
            yield self.finding(agent=peak[1], others=peak[0] - 1, max_others=self.max_others,
                               conversations=peak[2])
