"""Run-level kinds: ``canned`` (repeated agent text) and ``concurrency`` (overlapping chats),
plus ``detector`` (payment card numbers)."""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field, field_validator

from ..errors import ConfigError
from ..records import Conversation, in_scope
from ..redact import find_cards, find_marked_cards, may_hold_card
from ..results import Finding
from ..saferegex import compile_regex
from ..settings_files import parse_yaml, read_text
from . import Context, Outcome, Pattern, Rule, Scope
from .cards import Issuer, issued, labelled
from .intervals import Interval, Intervals, Peaks
from .phrase import validate_patterns

if TYPE_CHECKING:
    from ..match import PhraseIndex

_URL = re.compile(r"https?://\S+|www\.\S+")
_EMAIL = compile_regex(r"\S+@\S+\.\w+")  # RE2: `re` takes cubic time on "a@a@a@..."
_HANDLE = re.compile(r"@\w+")
LIBRARY_BYTES = 64 << 20  # a canned-response library larger than this is refused (thousands of macros are < 1 MiB)
_SIGN_OFF_MARK = re.compile(r"[\^*~\-–—]")
# ASCII text -> words: letters, "_", "<" and ">" kept (lowercased), digits "#", the rest a space.
_KEY_TABLE = bytes(
    35 if 48 <= c <= 57 else (c + 32 if 65 <= c <= 90 else c) if c >= 128 or chr(c).isalnum() or chr(c) in "_<>"
    else 32 for c in range(256)
)
_DIGITS = re.compile(r"\d+")
_NAME_SPLIT = re.compile(r"[\s._@\-]+")


def _names(conversation: Conversation) -> frozenset[bytes]:
    """Name parts of everyone in the conversation (lowercase), to be normalised away."""
    found = set()
    for name in {p.name for p in conversation.participants} | {m.author_name for m in conversation.lines}:
        for part in _NAME_SPLIT.split((name or "").lower()):
            if len(part) >= 2 and part.isalpha():
                found.add(part.encode())
    return frozenset(found)


_PLACEHOLDER = compile_regex(  # RE2: the lazy groups backtrack quadratically in `re` ("{{" + spaces)
    r"\{\{?\s*([\w .\-]+?)\s*\}?\}|\[\s*([\w .\-]+?)\s*\]|%([\w.\-]+)%|<([\w.\-]+)>")


def _placeholder(match: Any) -> str:
    """A macro placeholder (``{name}``, ``{{order_id}}``, ``[email]``, ``%url%``) as chatqa's token."""
    word = next(g for g in match.groups() if g).lower()
    for hint, token in (("mail", " <email> "), ("url", " <url> "), ("link", " <url> "), ("name", " <name> "),
                        ("agent", " <name> "), ("customer", " <name> ")):
        if hint in word:
            return token
    return " 0 "  # a number


def canned_key(text: str, names: frozenset[bytes], min_words: int, *, template: bool = False) -> int | None:
    """The key of one message (see `canned_keys`)."""
    return canned_keys([text], names, min_words, template=template)[0]


_SEP = "\x1e"  # between messages: a control character (never in cleaned text), whitespace to `\S`
_SIGN_OFF = re.compile(r"\s[\^*~\-–—]\s?[a-z][a-z.]{0,19}\s*$")
_NON_WORDS = re.compile(r"[^\w<>\x1e]+")
# ASCII text -> words: letters, "_", "<" and ">" kept (lowercased), digits "#", the message
# separator kept, the rest a space.
_WORDS_TABLE = bytes(c if c == 0x1E else b for c, b in enumerate(_KEY_TABLE))


def canned_keys(texts: list[str], names: frozenset[bytes], min_words: int, *, template: bool = False
                ) -> list[int | None]:
    """Stable 64-bit keys of messages with names, numbers, emails and URLs normalised away.

    Words are lowercased and punctuation dropped; every run of digits reads the same; a
    trailing sign-off ("-Becky", "^JK") is dropped. With `template`, macro placeholders such
    as ``{customer_name}`` or ``{{order_id}}`` are read as the values they stand for. None for
    messages shorter than `min_words` (acknowledgements are never canned). The messages are
    normalised together: a message gets its own look only where it needs one (links, a mark
    of a sign-off near its end).
    """
    if template:
        texts = [_PLACEHOLDER.sub(_placeholder, t) for t in texts]
    low = _SEP.join(texts).lower()
    if low.count(_SEP) != len(texts) - 1:  # a message holds the separator: read it as the space it is
        low = _SEP.join([t.replace(_SEP, " ") for t in texts]).lower()
    lines = low.split(_SEP)
    if "@" in low or "http" in low or "www." in low:
        lines = [_HANDLE.sub(" <handle> ", _EMAIL.sub(" <email> ", _URL.sub(" <url> ", x)))
                 if "@" in x or "http" in x or "www." in x else x for x in lines]
    if _SIGN_OFF_MARK.search(_SEP.join([x[-24:] for x in lines])):  # a sign-off is at most 22 characters long
        lines = [_unsigned(x) for x in lines]
    low = _SEP.join(lines)
    if low.isascii():
        data = low.encode().translate(_WORDS_TABLE)
    else:
        data = _DIGITS.sub("#", _NON_WORDS.sub(" ", low)).encode()
    while b"##" in data:
        data = data.replace(b"##", b"#")
    if names and any(name in data for name in names):
        padded = b" " + data.replace(b"\x1e", b" \x1e ") + b" "
        for name in names:
            word = b" " + name + b" "
            while word in padded:
                padded = padded.replace(word, b" <name> ")
        data = padded
    # Each message as its words joined by one space (the separator is no space to bytes.split).
    data = b" ".join(data.split()).replace(b" \x1e", b"\x1e").replace(b"\x1e ", b"\x1e")
    crc32, adler32 = zlib.crc32, zlib.adler32
    return [crc32(x) << 32 | adler32(x) if x.count(b" ") + 1 - x.count(b"<") - x.count(b"#") >= min_words
            else _short(x, min_words) for x in data.split(b"\x1e")]


def _short(joined: bytes, min_words: int) -> int | None:
    """The key of a message that may be too short to be canned (placeholders and numbers are not
    words), or None."""
    if sum(1 for w in joined.split() if b"<" not in w and b"#" not in w) < min_words:
        return None
    return zlib.crc32(joined) << 32 | zlib.adler32(joined)


def _unsigned(text: str) -> str:
    """`text` without a trailing sign-off."""
    tail = max(0, len(text) - 24)
    if _SIGN_OFF_MARK.search(text, tail) and (sign_off := _SIGN_OFF.search(text, tail)):
        return text[:sign_off.start()]
    return text


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
    note_type: ClassVar[Any] = tuple[int | None, ...]

    @cached_property
    def library_keys(self) -> frozenset[int]:
        """Keys of the canned-response library (a YAML list, or one reply per line)."""
        if not self.library:
            return frozenset()
        path = Path(self.library)
        text = read_text(path, "canned-response library", limit=LIBRARY_BYTES)
        if path.suffix.lower() in (".yaml", ".yml"):
            data = parse_yaml(text, path)
            if isinstance(data, dict):
                data = data.get("responses", data.get("canned", []))
            if not isinstance(data, list) or not all(isinstance(x, str) for x in data):
                raise ConfigError(f"{path}: error: expected a list of replies")
            replies = data
        else:
            replies = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
        keys = canned_keys(replies, frozenset(), self.min_words, template=True) if replies else []
        return frozenset(k for k in keys if k is not None)

    def note(self, ctx: Context) -> tuple[int | None, ...]:
        """The key of each visible agent chat line (None for short ones)."""
        agents = ctx.scoped("agent")
        if not agents:
            return ()
        return tuple(canned_keys([m.text for m in agents], _names(ctx.conversation), self.min_words))

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

    def no_note(self) -> tuple[int | None, ...]:
        """No agent lines: counts for no template, not applicable."""
        return ()

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
    message, internal notes and form answers included; the quote is masked. A number no network
    in `issuers` issues, or that the conversation labels as something else (`labels`, unless a
    `card_words` phrase is closer; or the customer's reply to an agent asking for a labelled
    number), is no finding (see `chatqa.kinds.cards`); masking still hides it."""

    kind: Literal["detector"] = "detector"
    detect: Literal["card_number"] = "card_number"
    scope: Scope = "any"
    issuers: dict[str, Issuer] = {}
    labels: list[Pattern] = []
    card_words: list[Pattern] = []
    label_before: int = Field(default=40, ge=0)  # characters between a label and the number it names
    label_after: int = Field(default=25, ge=0)

    placeholders: ClassVar[frozenset[str]] = frozenset({"quote", "role"})

    _check_patterns = field_validator("labels", "card_words")(validate_patterns)

    def prepare(self, index: PhraseIndex, catalogue: dict[str, Rule]) -> None:
        """Register the labels and the card words."""
        if self.labels:
            index.add(self.code + "#", self.labels)
        if self.card_words:
            index.add(self.code + "#$", self.card_words)

    def check(self, ctx: Context) -> Iterator[Finding]:
        """One finding per message holding a card number (or one `chatqa export` masked and
        marked: checking an export flags what checking the original did)."""
        joined = ctx.conversation.joined()
        marked = "[card " in joined
        if not marked and not may_hold_card(joined):  # one look at the whole conversation first
            return
        for m in ctx.lines:
            if self.scope != "any" and not in_scope(m, self.scope, include_internal=True):
                continue
            cards = [(start, end, digits) for start, end, digits in find_cards(m.text) if issued(self.issuers, digits)]
            if marked:  # (an export's mark: the number was a card of an issuer when it was masked)
                cards = sorted([*cards, *((start, end, "") for start, end in find_marked_cards(m.text))])
            for start, end, _ in cards:
                if self.labels and labelled(ctx, m, (start, end), self.code + "#", self.label_before,
                                            self.label_after):
                    continue
                yield self.finding(m, (start, end), role=m.role.value)
                break


class ConcurrencyRule(Rule):
    """Flags a conversation during which its agent had more than `max_others` other
    conversations open at once (a conversation is open from its first to its last message)."""

    kind: Literal["concurrency"] = "concurrency"
    max_others: int = Field(default=2, ge=0)

    placeholders: ClassVar[frozenset[str]] = frozenset({"agent", "others", "max_others"})
    corpus: ClassVar[bool] = True
    note_type: ClassVar[Any] = Interval | None

    def note(self, ctx: Context) -> Interval | None:
        """This conversation's open interval and agents (None without times or agents)."""
        window, names = ctx.facts.window, ctx.facts.agents
        if window is None or not names:
            return None
        t = ctx.conversation
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
