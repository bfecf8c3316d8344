"""The light records a run works on: a `Conversation` of `Line` s.

Parsers and the normaliser produce these, rules read them, and the public pydantic
`Transcript` (chatqa.model) is built from one only when someone asks for it
(`chatqa.load`, `Result.transcript`, a plug-in rule reading ``ctx.transcript``). They are
msgspec structs: cheap to create (in C, straight from JSON for the neutral format) and to
serialise.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import msgspec

from .model import Channel, Kind, Message, Participant, Rating, Role, Transcript


class Line(msgspec.Struct, gc=False):
    """One message of a conversation, with the attributes of `chatqa.Message`.

    A parser hands the normaliser lines holding raw values (`sent_at` as the export wrote the
    time); once normalised, `sent_at` is an aware UTC datetime or None, `text` is plain, and
    `index` is the position after sorting by time.
    """

    role: Role
    text: str = ""
    sent_at: datetime | None = None
    author_id: str | None = None
    author_name: str | None = None
    kind: Kind = Kind.MESSAGE
    internal: bool = False
    event: str | None = None
    index: int = 0
    bystander: bool = False  # a customer line by someone other than the conversation's customer

    @property
    def visible(self) -> bool:
        """True when the customer could see this entry."""
        return not self.internal


class RawLine(Line, gc=False):
    """A line as vendor parsers give it: `html` marks an HTML body, `seq` breaks time ties
    before export order does (e.g. LivePerson's ``seq``), `loc` is the place in the file."""

    html: bool = False
    seq: float = 0.0
    loc: str = ""

    @property
    def time(self) -> Any:
        """The raw time value, as `RawMessage` was given it (the `sent_at` field until normalised)."""
        return self.sent_at

    @time.setter
    def time(self, value: Any) -> None:
        self.sent_at = value


def RawMessage(role: Role, text: str = "", time: Any = None, author_id: str | None = None,
               author_name: str | None = None, kind: Kind = Kind.MESSAGE, internal: bool = False,
               event: str | None = None, html: bool = False, loc: str = "", seq: float = 0.0) -> RawLine:
    """A parser's view of one message before normalisation: `time` is the raw export value
    (string, epoch number, datetime or None); see `RawLine`."""
    return RawLine(role=role, text=text, sent_at=time, author_id=author_id, author_name=author_name, kind=kind,
                   internal=internal, event=event, html=html, seq=seq, loc=loc)


class Conversation(msgspec.Struct):
    """One normalised conversation. `participants` are those the export lists; everyone who
    wrote is added by `people` (as the public Transcript lists them)."""

    id: str
    vendor: str
    source: str
    lines: list[Line]
    channel: Channel = Channel.CHAT
    started_at: datetime | None = None
    ended_at: datetime | None = None
    tags: tuple[str, ...] = ()
    rating: Rating | None = None
    participants: list[Participant] = []
    metadata: dict[str, Any] = {}
    text: str | None = None  # every line's text, one per line (see `joined`)

    def joined(self) -> str:
        """Every line's text joined by newlines (computed once; the normaliser sets it)."""
        if self.text is None:
            self.text = "\n".join([line.text for line in self.lines])
        return self.text

    def people(self) -> list[Participant]:
        """The listed participants, then every other author once (system events have none).
        An id seen both as a bot and as a human agent is listed as the agent (an admin whose
        automated message was sent on their behalf)."""
        people: dict[str, dict[str, Any]] = {}
        bystanders = {line.author_id or line.author_name for line in self.lines if line.bystander}
        for p in self.participants:
            people.setdefault(p.id, {"id": p.id, "name": p.name, "role": p.role,
                                     "bystander": p.role is Role.CUSTOMER and p.id in bystanders})
        for line in self.lines:
            key = line.author_id or line.author_name
            if key and line.role is not Role.SYSTEM:
                known = people.get(key)
                if known is None:
                    people[key] = {"id": key, "name": line.author_name, "role": line.role,
                                   "bystander": line.bystander}
                elif line.role is Role.AGENT and known["role"] is Role.BOT:
                    known["role"] = Role.AGENT
        return [Participant.model_validate(p) for p in people.values()]

    def transcript(self) -> Transcript:
        """The public pydantic model of this conversation."""
        return Transcript.model_validate({
            "id": self.id, "vendor": self.vendor, "source": self.source, "channel": self.channel,
            "participants": self.people(),
            "messages": [{"index": m.index, "role": m.role, "author_id": m.author_id, "author_name": m.author_name,
                          "sent_at": m.sent_at, "text": m.text, "kind": m.kind, "internal": m.internal,
                          "event": m.event, "bystander": m.bystander} for m in self.lines],
            "started_at": self.started_at, "ended_at": self.ended_at, "tags": self.tags, "rating": self.rating,
            "metadata": self.metadata,
        })

    @classmethod
    def of(cls, transcript: Transcript) -> Conversation:
        """The light form of a public Transcript (as given: a Transcript is already normalised)."""
        t = transcript
        return cls(
            id=t.id, vendor=t.vendor, source=t.source, channel=t.channel, started_at=t.started_at,
            ended_at=t.ended_at, tags=t.tags, rating=t.rating, participants=list(t.participants),
            metadata=t.metadata,
            lines=[Line(role=m.role, text=m.text, sent_at=m.sent_at, author_id=m.author_id,
                        author_name=m.author_name, kind=m.kind, internal=m.internal, event=m.event, index=m.index,
                        bystander=m.bystander)
                   for m in t.messages],
        )


def mark_bystanders(lines: list[Line], channel: Channel) -> None:
    """On the social channel, mark the customer lines written by anyone but the conversation's
    customer as bystanders (SPEC section 2). Elsewhere nobody is a bystander."""
    customer = _customer(lines) if channel is Channel.SOCIAL else ""
    for line in lines:
        line.bystander = bool(customer) and line.role is Role.CUSTOMER and (
            line.author_id or line.author_name or customer) != customer


def _customer(lines: list[Line]) -> str:
    """Who opened a public thread with the team: the author of its first visible customer
    message or file, unless that first post was not addressed to the team (it names no agent's
    handle and the team never answers its author: a marketing post, a question to friends)
    while the team does answer someone else (an agent or bot message starts by naming them, as a
    reply on Twitter or Weibo does). Then the customer is the author of the first post that names
    the team or whose author the team answers. "" when the first post names no author."""
    said = [line for line in lines if line.role is Role.CUSTOMER and line.kind in _SAYS and not line.internal]
    if not said:
        return ""
    first = said[0].author_id or said[0].author_name or ""
    if not first or all((line.author_id or line.author_name or first) == first for line in said):
        return first
    team: set[str] = set()
    answered: dict[str, int] = {}  # a handle -> the position of the last team message that starts by naming it
    for i, line in enumerate(lines):
        if line.role in _TEAM and not line.internal:
            team.update(h.casefold() for h in (line.author_name, line.author_id) if h)
            lead = lead_mention(line.text)
            if lead:
                answered[lead] = i
    if not answered:
        return first
    position = {id(line): i for i, line in enumerate(lines)}

    def addressed(line: Line) -> bool:
        names = [h.casefold() for h in (line.author_id, line.author_name) if h]
        return any(answered.get(name, -1) > position[id(line)] for name in names) or any(
            m.casefold() in team for m in _MENTION.findall(line.text))

    if addressed(said[0]) or not any(addressed(line) for line in said[1:]):
        return first
    return next(line.author_id or line.author_name or "" for line in said if addressed(line))


def lead_mention(text: str) -> str | None:
    """The handle a public reply starts by naming (casefolded), as Twitter and Weibo write a
    reply: "@ann @bob thanks" replies to ann."""
    lead = _LEADING_MENTION.match(text)
    return lead.group(1).casefold() if lead else None


_TEAM = (Role.AGENT, Role.BOT)
_MENTION = re.compile(r"@(\w{1,50})")
_LEADING_MENTION = re.compile(r"\s*\.?@(\w{1,50})")
_SAYS = (Kind.MESSAGE, Kind.FILE)


def is_chat(line: Line | Message, role: Role) -> bool:
    """A visible chat line (kind message) written by `role` (a bystander's is not the customer's)."""
    return line.role is role and line.kind is Kind.MESSAGE and not line.internal and not line.bystander


def in_scope(message: Line | Message, scope: str, include_internal: bool = False) -> bool:
    """A chat line by the scope's role (customer, agent, bot, or "any" of them): visible lines
    only, unless internal ones (notes included) are asked for. Bystanders are not the customer."""
    if message.kind is Kind.MESSAGE:
        if message.internal and not include_internal:
            return False
    elif message.kind is not Kind.NOTE or not include_internal:
        return False
    if message.role is Role.SYSTEM:
        return False
    if scope == "any":
        return True
    return message.role.value == scope and not message.bystander
