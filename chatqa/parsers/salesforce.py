"""Salesforce Service Cloud: ConversationEntry rows (Chat / Messaging), legacy LiveChatTranscript
records (``Body`` HTML with ``( 1m 5s ) Name:`` offsets), LiveChatTranscriptEvent and EmailMessage rows,
as REST query results (``records[]``), connector rows, Connect API ``conversationEntries`` or Data
Loader CSV exports (headers in any case)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, ClassVar

import orjson

from ..duplicates import Duplicate
from ..errors import Failure, ParseError, quoted
from ..model import Channel, Kind, Participant, Role
from ..normalize import RawMessage, html_to_text, parse_time
from ..read import UNDECODABLE, InputFile, Syntax, csv_rows
from ..read.groups import Grouped, Repeat
from ..records import Conversation, RawLine
from . import ParseOptions, RecordContext, VendorModel, not_a_record
from ._grouping import Group, GroupingParser, file_key, first, get, key_of, require_messages, text, validate

_ACTORS = {"enduser": Role.CUSTOMER, "agent": Role.AGENT, "supervisor": Role.AGENT, "bot": Role.BOT,
           "chatbot": Role.BOT, "system": Role.SYSTEM}
# Key prefixes of the record a conversation belongs to: legacy chat, messaging session, voice call.
_PREFIXES = {"570": Channel.CHAT, "0Mw": Channel.MESSAGING, "0LQ": Channel.VOICE}
_TYPES = frozenset({"ConversationEntry", "LiveChatTranscript", "LiveChatTranscriptEvent", "EmailMessage",
                    "MessagingSession"})
_FIELDS = ("Id ConversationId ActorId ActorName ActorType EntryType EntryTime EntryTimeMilliSecs Message Seq "
           "HasAttachments MessageStatus Name ChatKey Body StartTime EndTime OwnerId IsChatbotSession Status "
           "LiveChatTranscriptId Type Time Detail AgentId ParentId Subject TextBody HtmlBody Incoming FromAddress "
           "FromName MessageDate CreatedDate ChannelType CaseId LiveChatVisitorId").split()
_CANONICAL = {f.lower(): f for f in _FIELDS}
_STARTED = re.compile(r"Chat Started:\s*(?:\w+,\s*)?(\w+ \d{1,2}, \d{4}),?\s+(\d{1,2}:\d{2}:\d{2})\s*"
                      r"(?:(AM|PM)\s*)?(?:\(\s*(?:GMT|UTC)?\s*([+-]\d{2}:?\d{2})\s*\))?", re.I)
_LINE = re.compile(r"^\(\s*(?:(\d+)h\s*)?(?:(\d+)m\s*)?(?:(\d+)s\s*)?\)\s*([^:]{1,120}?):\s?(.*)$")
_AGENT = re.compile(r"^Agent\s+(.{1,120})$")
_BOT_NAMES = re.compile(r"\b(bot|chatbot|einstein|assistant|virtual agent)\b", re.I)
_EVENTS = {"chatrequest", "enqueue", "pushassignment", "accept", "transfer", "transferrequest", "transfercancelled",
           "leaveagent", "leavevisitor", "endagent", "endvisitor", "cancelnoagent", "chatbotendchat", "other"}


class _Entry(VendorModel):
    Id: str | None = None
    ActorId: str | None = None
    ActorName: str | None = None
    ActorType: str | None = None
    EntryType: str | None = "Text"
    EntryTime: str | float | None = None
    EntryTimeMilliSecs: float | None = None
    Message: str | None = None
    Seq: float | None = None
    HasAttachments: bool | None = None


class _Transcript(VendorModel):
    Id: str | None = None
    Name: str | None = None
    ChatKey: str | None = None
    Body: str | None = None
    StartTime: str | float | None = None
    EndTime: str | float | None = None
    OwnerId: str | None = None
    IsChatbotSession: bool | None = None
    Status: str | None = None
    CaseId: str | None = None


class _Email(VendorModel):
    Id: str | None = None
    Subject: str | None = None
    TextBody: str | None = None
    HtmlBody: str | None = None
    Incoming: bool | None = None
    FromAddress: str | None = None
    FromName: str | None = None
    MessageDate: str | float | None = None
    CreatedDate: str | float | None = None
    Status: str | None = None


def _kind(row: Any) -> str | None:
    """The SObject type of a row: from ``attributes.type``, else from its fields."""
    if not isinstance(row, dict):
        return None
    named = get(row, "attributes", "type")
    if isinstance(named, str) and named in _TYPES:
        return str(named)
    if "ConversationId" in row and ("ActorType" in row or "EntryTime" in row):
        return "ConversationEntry"
    if "Body" in row and ("ChatKey" in row or "LiveChatVisitorId" in row):
        return "LiveChatTranscript"
    if "LiveChatTranscriptId" in row and "Type" in row:
        return "LiveChatTranscriptEvent"
    if "ParentId" in row and "Incoming" in row and ("TextBody" in row or "HtmlBody" in row):
        return "EmailMessage"
    if isinstance(row.get("sender"), dict) and ("messageText" in row or "entryPayload" in row):
        return "connect"
    return None


def _key(row: dict[str, Any], kind: str) -> str | None:
    field = {"ConversationEntry": "ConversationId", "LiveChatTranscriptEvent": "LiveChatTranscriptId",
             "EmailMessage": "ParentId"}.get(kind, "Id")
    return key_of(row.get(field))


class SalesforceParser(GroupingParser):
    """Salesforce: ``ActorType`` EndUser / Agent / Supervisor (whispers, internal) / Bot / System
    (automated responses are bots, other system entries events); LiveChatTranscript speakers from the
    ``Agent <name>`` header lines; EmailMessage ``Incoming`` = customer."""

    name = "salesforce"
    summary = "Salesforce ConversationEntry, LiveChatTranscript, EmailMessage (REST records[] or Data Loader CSV)"
    channels = 'chat, messaging, email, voice (by object and key prefix)'
    example = ('{"records": [{"attributes": {"type": "ConversationEntry"}, "ConversationId", "ActorType", '
               '"EntryTime", "Message"}]}, or the Data Loader CSV')
    priority = 77
    syntaxes: ClassVar[frozenset[Syntax]] = frozenset({"json", "jsonl", "csv"})
    envelopes = ("records", "conversationEntries")

    def looks_like(self, value: Any) -> bool:
        """A query result of supported objects, Connect API entries, or one record."""
        if not isinstance(value, dict):
            return False
        if isinstance(value.get("records"), list):
            head = value["records"][0] if value["records"] else None
            return _kind(head) is not None if head is not None else "totalSize" in value and "done" in value
        if isinstance(value.get("conversationEntries"), list):
            return True
        return _kind(value) is not None

    def split(self, value: Any, state: dict[str, Any]) -> Iterator[tuple[str, str | None, Any]]:
        """Every record is a row keyed by its conversation (a transcript by its own Id)."""
        if isinstance(value.get("conversationEntries"), list):
            key = key_of(value.get("conversationId")) or key_of(value.get("conversationIdentifier")) or "\0file"
            for i, entry in enumerate(value["conversationEntries"]):
                yield f"conversationEntries[{i}]", key, entry
            return
        rows = [(f"records[{i}]", r) for i, r in enumerate(value["records"])] \
            if isinstance(value.get("records"), list) else [("", value)]
        for loc, row in rows:
            kind = _kind(row)
            yield loc, (_key(row, kind) if kind else None) or "\0file", row

    # -- CSV (Data Loader) -------------------------------------------------------------------

    def sniff(self, source: InputFile, options: ParseOptions) -> bool:
        """JSON as the other formats; a CSV by its (case-insensitive) Salesforce field headers."""
        if source.syntax != "csv":
            return super().sniff(source, options)
        fields = {h.strip().lower() for h in csv_rows(source)[0]}
        return ({"conversationid", "actortype"} <= fields or {"chatkey", "body"} <= fields
                or ({"parentid", "incoming"} <= fields and bool(fields & {"textbody", "htmlbody"})))

    def parse(self, source: InputFile, options: ParseOptions) -> Iterator[Conversation | Failure | Duplicate]:
        """JSON through GroupingParser; CSV rows grouped by conversation like query records (a row
        repeated cell for cell is a duplicate)."""
        if source.syntax != "csv":
            yield from super().parse(source, options)
            return
        header, reader = csv_rows(source)
        names = [_CANONICAL.get(h.strip().lower()) for h in header]
        state: dict[str, Any] = {"source": source.name}
        grouped = Grouped()
        try:
            for line, cells in reader:
                where = f"line {line}"
                if cells is None:
                    yield Failure(source=source.name, locator=where, reason=UNDECODABLE)
                    continue
                if len(cells) != len(header):
                    yield Failure(source=source.name, locator=where,
                                  reason=f"expected {len(header)} fields, found {len(cells)}")
                    continue
                row = {n: (c if c.strip() else None) for n, c in zip(names, cells, strict=True) if n}
                kind = _kind(row)
                key = (_key(row, kind) if kind else None) or "\0file"
                if not grouped.add(key, where, row, tuple(cells)):
                    yield Duplicate(source.name, where)
        except ParseError as exc:
            yield exc.failure(source.name)
        for found in grouped:
            if isinstance(found, Repeat):
                yield Duplicate(source.name, found.where)
            else:
                yield self._convert_group(Group(found.key, found.items, state), found.items[0][0], source, options)

    # -- conversion -----------------------------------------------------------------------------

    def convert_group(self, group: Group, ctx: RecordContext) -> Conversation:
        """Entries, transcript lines, events and emails of one conversation, in time order."""
        messages: list[RawLine] = []
        channel: Channel | None = None
        meta: dict[str, Any] = {}
        for where, row in group.items:
            kind = _kind(row)
            if kind == "ConversationEntry":
                messages.extend(_entry(validate(_Entry, row, where), where))
            elif kind == "connect":
                messages.append(_connect(row, where))
                channel = channel or Channel.MESSAGING
            elif kind == "LiveChatTranscript":
                lct = validate(_Transcript, row, where)
                messages.extend(_body(lct, where))
                channel = Channel.CHAT
                meta.update({k: v for k, v in {"chat_key": lct.ChatKey, "name": lct.Name, "status": lct.Status,
                                               "case_id": lct.CaseId}.items() if v})
            elif kind == "LiveChatTranscriptEvent":
                label = first(text(row.get("Detail")), text(row.get("Type"))) or "event"
                messages.append(RawMessage(role=Role.SYSTEM, kind=Kind.EVENT, event=text(row.get("Type")), text=label,
                                           time=row.get("Time"), author_id=text(row.get("AgentId")), loc=where))
            elif kind == "EmailMessage":
                email = _email(validate(_Email, row, where), where)
                messages.extend(email)
                channel = Channel.EMAIL
            elif kind == "MessagingSession":
                channel = Channel.VOICE if "voice" in str(row.get("ChannelType") or "").lower() else Channel.MESSAGING
                meta["channel_type"] = text(row.get("ChannelType"))
            else:
                raise ParseError(not_a_record(self), where)
        require_messages(messages, group.items[0][0] or "records")
        cid = group.key if group.key and group.key != "\0file" else file_key(ctx.source.name)
        channel = channel or _PREFIXES.get(cid[:3]) or Channel.CHAT
        participants = {m.author_id: Participant(id=m.author_id, name=m.author_name, role=m.role)
                        for m in messages if m.author_id and m.role is not Role.SYSTEM}
        meta["id_from"] = "file name" if group.key in (None, "\0file") else None
        return ctx.build(id=cid, messages=messages, participants=list(participants.values()), channel=channel,
                         metadata={k: v for k, v in meta.items() if v})


def _entry(e: _Entry, where: str) -> list[RawLine]:
    actor = (e.ActorType or "").replace(" ", "").lower()
    role = _ACTORS.get(actor, Role.CUSTOMER if actor in ("customer", "visitor", "enduser") else Role.AGENT)
    entry_type = (e.EntryType or "Text").strip()
    text_entry = entry_type.lower() in ("text", "message", "")
    if role is Role.SYSTEM and text_entry and (e.Message or "").strip():
        role = Role.BOT  # automated responses (initial / engaged / end messages)
    when = _entry_time(e.EntryTime, e.EntryTimeMilliSecs, where)
    common: dict[str, Any] = {"time": when, "author_id": e.ActorId or e.ActorName, "author_name": e.ActorName,
                              "loc": where, "seq": e.Seq or 0.0}
    if not text_entry or role is Role.SYSTEM:
        return [RawMessage(role=Role.SYSTEM, kind=Kind.EVENT, event=entry_type, text=e.Message or entry_type,
                           **common)]
    internal = actor == "supervisor"  # supervisors whisper to agents
    out = [RawMessage(role=role, text=e.Message or "", internal=internal,
                      kind=Kind.NOTE if internal else Kind.MESSAGE, **common)]
    if e.HasAttachments:
        out.append(RawMessage(role=role, kind=Kind.FILE, text="attachment", internal=internal, **common))
    return [m for m in out if m.kind is Kind.FILE or m.text.strip() or not e.HasAttachments]


def _entry_time(value: Any, millis: float | None, where: str) -> Any:
    """EntryTime (second precision) with EntryTimeMilliSecs, its last three digits."""
    if value is None or millis is None:
        return value
    try:
        when = parse_time(value)
    except ValueError:
        raise ParseError(f"bad time: unrecognised time {quoted(value, 60)}", f"{where}.EntryTime") from None
    if when is None or when.microsecond or not 0 <= millis < 1000:
        return when
    return when + timedelta(milliseconds=millis)


def _connect(row: dict[str, Any], where: str) -> RawLine:
    sender = row["sender"]
    role = _ACTORS.get(str(sender.get("role") or "").replace(" ", "").lower(), Role.AGENT)
    message = first(text(row.get("messageText")))
    payload = row.get("entryPayload")
    if message is None and isinstance(payload, str):
        try:
            payload = orjson.loads(payload)
        except orjson.JSONDecodeError:
            payload = None
    message = message or first(text(get(payload, "abstractMessage", "staticContent", "text")))
    if role is Role.SYSTEM and message:
        role = Role.BOT
    kind = str(row.get("entryType") or "MESSAGE").upper()
    common: dict[str, Any] = {"time": row.get("clientTimestamp") or row.get("serverReceivedTimestamp"),
                              "author_id": text(sender.get("subject")), "loc": where}
    if role is Role.SYSTEM or kind not in ("MESSAGE", "NOTE"):
        return RawMessage(role=Role.SYSTEM, kind=Kind.EVENT, event=kind.lower(), text=message or kind, **common)
    internal = kind == "NOTE"
    return RawMessage(role=role, text=message or "", internal=internal, kind=Kind.NOTE if internal else Kind.MESSAGE,
                      **common)


def _email(e: _Email, where: str) -> list[RawLine]:
    if (e.Status or "") == "5":
        return []  # a draft
    body, html = (e.TextBody, False) if (e.TextBody or "").strip() else (e.HtmlBody or "", True)
    return [RawMessage(role=Role.CUSTOMER if e.Incoming else Role.AGENT, text=body or "", html=html,
                       time=e.MessageDate or e.CreatedDate, author_id=e.FromAddress, author_name=e.FromName,
                       loc=where)]


def _body(t: _Transcript, where: str) -> list[RawLine]:
    """The lines of a LiveChatTranscript Body: ``( 1m 19s ) Name: text`` after a header."""
    lines = html_to_text(t.Body or "").split("\n")
    start: datetime | None = None
    agents: set[str] = set()
    messages: list[RawLine] = []
    for n, line in enumerate(lines):
        loc = f"{where}.Body".lstrip(".") + f", line {n + 1}"
        started = _STARTED.search(line)
        if started and not messages:
            start = _started(started) or start
            continue
        agent = _AGENT.match(line)
        if agent and not _LINE.match(line):
            agents.add(agent.group(1).strip())
            if messages:
                messages.append(RawMessage(role=Role.SYSTEM, kind=Kind.EVENT, event="agent_joined",
                                           text=f"{agent.group(1).strip()} joined", time=messages[-1].time, loc=loc))
            continue
        said = _LINE.match(line)
        if said and any(said.group(i) for i in (1, 2, 3)):
            h, m, s, name, words = said.groups()
            offset = timedelta(hours=int(h or 0), minutes=int(m or 0), seconds=int(s or 0))
            base = start or _start_field(t, where)
            name = name.strip()
            role = Role.AGENT if name in agents else Role.BOT if t.IsChatbotSession and _BOT_NAMES.search(name) \
                else Role.CUSTOMER
            messages.append(RawMessage(role=role, text=words, time=base + offset if base else None,
                                       author_id=name, author_name=name, loc=loc))
        elif messages and messages[-1].kind is Kind.MESSAGE and line.strip():
            messages[-1].text += "\n" + line  # a message over several lines
        elif line.strip() and not messages:
            continue  # other header lines ("Chat Origin: ...")
    if not messages:
        raise ParseError("no ( offset ) Name: lines in Body", f"{where}.Body".lstrip("."))
    return messages


def _started(found: re.Match[str]) -> datetime | None:
    date, clock, half, offset = found.groups()
    fmt = "%B %d, %Y %I:%M:%S %p" if half else "%B %d, %Y %H:%M:%S"
    try:
        when = datetime.strptime(f"{date} {clock}" + (f" {half.upper()}" if half else ""), fmt)
    except ValueError:
        return None
    if offset:
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        when = when.replace(tzinfo=timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))))
    else:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def _start_field(t: _Transcript, where: str) -> datetime | None:
    try:
        return parse_time(t.StartTime)
    except ValueError:
        raise ParseError(f"bad time: unrecognised time {quoted(t.StartTime, 60)}", f"{where}.StartTime") from None
