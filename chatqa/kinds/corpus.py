"""Run-level kinds: ``canned`` (repeated agent text) and ``concurrency`` (overlapping chats),
plus ``detector`` (payment card numbers)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import ClassVar, Literal

import yaml
from pydantic import Field

from ..errors import ConfigError
from ..model import Transcript
from ..redact import find_cards
from ..results import Finding
from . import Context, Outcome, Rule, Scope, in_scope
from .intervals import Interval, Intervals, Peaks

_URL = re.compile(r"https?://\S+|www\.\S+")
_EMAIL = re.compile(r"\S+@\S+\.\w+")
_HANDLE = re.compile(r"@\w+")
_SIGN_OFF = re.compile(r"\s[\^*~\-–—]\s?[a-z][a-z.]{0,19}\s*$")
_NON_WORD = re.compile(r"[^\w<>]+")
_SIGN_OFF_MARK = re.compile(r"[\^*~\-–—]")
# ASCII text -> words: letters, "_", "<" and ">" kept (lowercased), digits "#", the rest a space.
_KEY_TABLE = bytes(
    35 if 48 <= c <= 57 else (c + 32 if 65 <= c <= 90 else c) if c >= 128 or chr(c).isalnum() or chr(c) in "_<>"
    else 32 for c in range(256)
)
_DIGITS = re.compile(r"\d+")
_NAME_SPLIT = re.compile(r"[\s._@\-]+")


def _names(transcript: Transcript) -> frozenset[bytes]:
    """Name parts of everyone in the conversation (lowercase), to be normalised away."""
    found = set()
    for name in {p.name for p in transcript.participants} | {m.author_name for m in transcript.messages}:
        for part in _NAME_SPLIT.split((name or "").lower()):
            if len(part) >= 2 and part.isalpha():
                found.add(part.encode())
    return frozenset(found)


_PLACEHOLDER = re.compile(r"\{\{?\s*([\w .\-]+?)\s*\}?\}|\[\s*([\w .\-]+?)\s*\]|%([\w.\-]+)%|<([\w.\-]+)>")


def _placeholder(match: re.Match[str]) -> str:
    """A macro placeholder (``{name}``, ``{{order_id}}``, ``[email]``, ``%url%``) as chatqa's token."""
    word = next(g for g in match.groups() if g).lower()
    for hint, token in (("mail", " <email> "), ("url", " <url> "), ("link", " <url> "), ("name", " <name> "),
                        ("agent", " <name> "), ("customer", " <name> ")):
        if hint in word:
            return token
    return " 0 "  # a number


def canned_key(text: str, names: frozenset[bytes], min_words: int, *, template: bool = False) -> int | None:
    """A stable 64-bit key of a message with names, numbers, emails and URLs normalised away.

    Words are lowercased and punctuation dropped; every run of digits reads the same; a
    trailing sign-off ("-Becky", "^JK") is dropped. With `template`, macro placeholders such
    as ``{customer_name}`` or ``{{order_id}}`` are read as the values they stand for. None for
    messages shorter than `min_words` (acknowledgements are never canned).
    """
    data = _normalised(_PLACEHOLDER.sub(_placeholder, text) if template else text)
    if names and any(name in data for name in names):
        data = b" " + data + b" "
        for name in names:
            word = b" " + name + b" "
            while word in data:
                data = data.replace(word, b" <name> ")
        return _key(data, min_words)
    found = _KEYS.get((data, min_words))
    if found is None:
        if len(_KEYS) >= _REMEMBERED:
            _KEYS.clear()
        found = _KEYS[data, min_words] = (_key(data, min_words),)
    return found[0]


_REMEMBERED = 20_000  # texts and keys remembered (agent lines repeat: macros, greetings), then forgotten
_KEYS: dict[tuple[bytes, int], tuple[int | None]] = {}
_NORMALISED: dict[str, bytes] = {}


def _normalised(text: str) -> bytes:
    """`text` lowercased, links, emails and handles as placeholders, without its sign-off,
    punctuation as spaces, digit runs as "#" (remembered per text)."""
    found = _NORMALISED.get(text)
    if found is not None:
        return found
    low = text.lower()
    if "@" in low or "http" in low or "www." in low:
        low = _HANDLE.sub(" <handle> ", _EMAIL.sub(" <email> ", _URL.sub(" <url> ", low)))
    tail = max(0, len(low) - 24)  # a sign-off is at most 22 characters long
    if _SIGN_OFF_MARK.search(low, tail) and (sign_off := _SIGN_OFF.search(low, tail)):
        low = low[:sign_off.start()]
    if low.isascii():
        data = low.encode().translate(_KEY_TABLE)
    else:
        data = _DIGITS.sub("#", _NON_WORD.sub(" ", low)).encode()
    while b"##" in data:
        data = data.replace(b"##", b"#")
    if len(_NORMALISED) >= _REMEMBERED:
        _NORMALISED.clear()
    _NORMALISED[text] = data
    return data


def _key(data: bytes, min_words: int) -> int | None:
    words = data.split()
    joined = b" ".join(words)
    # Placeholders and numbers are not words: count them only when they could matter.
    if len(words) - joined.count(b"<") - joined.count(b"#") < min_words:
        if sum(1 for w in words if b"<" not in w and b"#" not in w) < min_words:
            return None
    return int.from_bytes(hashlib.blake2b(joined, digest_size=8).digest(), "big")


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
        keys = (canned_key(r, frozenset(), self.min_words, template=True) for r in replies)
        return frozenset(k for k in keys if k is not None)

    def note(self, ctx: Context) -> tuple[int | None, ...]:
        """The key of each visible agent chat line (None for short ones)."""
        names = _names(ctx.transcript)
        return tuple(canned_key(m.text, names, self.min_words) for m in ctx.scoped("agent"))

    def new_state(self) -> dict[int, int]:
        """Agent-text key -> number of conversations it appears in."""
        return {}

    def observe(self, note: tuple[int | None, ...], state: dict[int, int]) -> dict[int, int]:
        """Count each distinct agent text once per conversation; prune when over capacity."""
        for key in set(note):
            if key is not None:
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

    def conclude(self, note: tuple[int | None, ...], corpus: frozenset[int]) -> Outcome:
        """``canned_ratio`` (the share of agent lines that are canned); a finding when it is above
        `max_ratio`. Needs `min_agent_messages` agent lines."""
        if not note:
            return Outcome({"canned_ratio": None}, False, [])
        library = self.library_keys
        canned = sum(1 for k in note if k is not None and (k in corpus or k in library))
        ratio = round(canned / len(note), 6)
        total = len(note)
        applies = total >= self.min_agent_messages
        findings = []
        if applies and ratio > self.max_ratio:
            findings.append(self.finding(canned=canned, total=total, ratio=ratio, max_ratio=self.max_ratio))
        return Outcome({"canned_ratio": ratio}, applies, findings)


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

    def note(self, ctx: Context) -> Interval | None:
        """This conversation's open interval and agents (None without times or agents)."""
        window, names = ctx.facts.window, ctx.facts.agents
        if window is None or not names:
            return None
        t = ctx.transcript
        return Interval(window[0].timestamp(), window[1].timestamp(), t.source, t.id, tuple(names))

    def new_state(self) -> Intervals:
        """Every agent's open intervals."""
        return Intervals()

    def observe(self, note: Interval | None, state: Intervals) -> Intervals:
        """Record this conversation's open interval for each of its agents."""
        if note is not None:
            state.add(note)
        return state

    def merge(self, a: Intervals, b: Intervals) -> Intervals:
        """Both parts' intervals."""
        a.extend(b)
        return a

    def finish(self, state: Intervals) -> Peaks:
        """Sweep each agent's intervals in time order: the peak of every conversation."""
        return state.peaks()

    def conclude(self, note: Interval | None, corpus: Peaks) -> Outcome:
        """``max_concurrency`` (conversations the agent had open at once during this one); a
        finding naming the overlapping conversations above `max_others`. Needs times and a
        human agent."""
        if note is None:
            return Outcome({"max_concurrency": None}, False, [])
        count, agent, others = corpus.peak(note)
        findings = []
        if count - 1 > self.max_others:
            findings.append(self.finding(agent=agent, others=count - 1, max_others=self.max_others,
                                         conversations=others))
        return Outcome({"max_concurrency": count}, True, findings)
