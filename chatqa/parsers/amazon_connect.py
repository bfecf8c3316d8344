"""Amazon Connect chat transcripts as Connect writes them to S3 (one contact per file), and
GetTranscript responses (``Transcript[]`` of Items: ParticipantRole, AbsoluteTime, Content, Type)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import orjson

from ..errors import ParseError
from ..model import Channel, Kind, Participant, Role
from ..normalize import RawMessage
from ..records import Conversation, RawLine
from . import RecordContext, VendorModel, not_a_record
from ._grouping import Group, GroupingParser, channel_by_words, dicts, first, get, require_messages, text, validate

_ROLES = {"CUSTOMER": Role.CUSTOMER, "AGENT": Role.AGENT, "SUPERVISOR": Role.AGENT, "CUSTOM_BOT": Role.BOT,
          "SYSTEM": Role.BOT}
# Typing indicators, delivery and read receipts, message metadata (receipts) and connection
# acknowledgements: signals about messages, none a message or an event of the conversation. Items
# carry them as their Type or as an EVENT whose ContentType names them (Connect's chat SDKs).
_DROPPED = {"TYPING", "MESSAGE_DELIVERED", "MESSAGE_READ", "CONNECTION_ACK", "MESSAGEMETADATA", "MESSAGE_METADATA"}
_DROPPED_EVENTS = {"typing", "message.delivered", "message.read", "message.metadata", "connection.acknowledged"}
_EVENT_TYPES = {"EVENT", "PARTICIPANT_JOINED", "PARTICIPANT_LEFT", "CHAT_ENDED", "TRANSFER_SUCCEEDED",
                "TRANSFER_FAILED", "PARTICIPANT_IDLE", "PARTICIPANT_RETURNED", "PARTICIPANT_INVITED",
                "AUTO_DISCONNECTION"}
_EVENT_PREFIX = "application/vnd.amazonaws.connect.event."
_MARKDOWN = [(re.compile(r"\[([^\]\n]{1,200})\]\((https?://[^)\s]{1,500})\)"), r"\1 (\2)"),
             (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"), (re.compile(r"(?m)^#{1,6}\s+"), ""),
             (re.compile(r"`([^`\n]{1,500})`"), r"\1")]


class _Attachment(VendorModel):
    AttachmentName: str | None = None
    AttachmentId: str | None = None


class _Item(VendorModel):
    Id: str | None = None
    Type: str = "MESSAGE"
    ParticipantRole: str | None = None
    ParticipantId: str | None = None
    DisplayName: str | None = None
    AbsoluteTime: str | float | None = None
    Content: str | None = None
    ContentType: str | None = None
    ContactId: str | None = None
    Attachments: list[_Attachment] | None = None


class _Contact(VendorModel):
    InitialContactId: str | None = None
    ContactId: str | None = None
    InstanceId: str | None = None
    Version: str | None = None


def _is_transcript(value: Any) -> bool:
    if not isinstance(value, dict) or not isinstance(value.get("Transcript"), list):
        return False
    if any(k in value for k in ("InitialContactId", "ContactId", "Participants", "AWSAccountId", "Version")):
        return True
    head = value["Transcript"][0] if value["Transcript"] else None
    return isinstance(head, dict) and "AbsoluteTime" in head and ("ParticipantRole" in head or "Type" in head)


class AmazonConnectParser(GroupingParser):
    """Amazon Connect: CUSTOMER = customer, AGENT/SUPERVISOR = agent, CUSTOM_BOT and SYSTEM messages
    (flow prompts, Lex) = bot; EVENT items are system events; ATTACHMENT items are files."""

    name = "amazon-connect"
    summary = "Amazon Connect chat transcripts (S3 files, GetTranscript Transcript[])"
    channels = 'chat; messaging for SMS contacts'
    example = ('{"ContactId", "Participants": [...], "Transcript": [{"ParticipantRole": "CUSTOMER", '
               '"AbsoluteTime", "Content", "Type": "MESSAGE"}]}')
    priority = 78

    def looks_like(self, value: Any) -> bool:
        """An object with ``Transcript[]`` and Connect's contact keys."""
        return _is_transcript(value)

    def split(self, value: Any, state: dict[str, Any]) -> Iterator[tuple[str, str | None, Any]]:
        """One transcript per top-level value."""
        yield "", None, value

    def convert_group(self, group: Group, ctx: RecordContext) -> Conversation:
        """Items in time order (files may hold them newest first); typing and receipts dropped."""
        where, record = group.items[0]
        if not _is_transcript(record):
            raise ParseError(not_a_record(self), where)
        contact = validate(_Contact, record, where)
        cid = contact.InitialContactId or contact.ContactId
        if not cid:
            raise ParseError("transcript has no InitialContactId or ContactId", "InitialContactId")
        messages = []
        for i, raw in enumerate(record["Transcript"]):
            loc = f"Transcript[{i}]"
            item = validate(_Item, raw, loc)
            message = self._item(item, loc)
            if message is not None:
                messages.append(message)
        require_messages(messages, "Transcript")
        participants = {m.author_id: Participant(id=m.author_id, name=m.author_name, role=m.role)
                        for m in messages if m.author_id and m.role is not Role.SYSTEM}
        subtype = text(get(record, "SegmentAttributes", "connect:Subtype", "ValueString"))
        channel = channel_by_words((subtype or "").removeprefix("connect:"), Channel.CHAT) or Channel.CHAT
        return ctx.build(
            id=cid, messages=messages, participants=list(participants.values()), channel=channel,
            metadata={k: v for k, v in {"contact_id": contact.ContactId, "instance_id": contact.InstanceId,
                                        "version": contact.Version, "subtype": subtype,
                                        "participants": len(dicts(record.get("Participants"))) or None}.items()
                      if v},
        )

    @staticmethod
    def _item(item: _Item, loc: str) -> RawLine | None:
        kind = item.Type.upper()
        content_type = (item.ContentType or "").lower()
        if kind in _DROPPED or (content_type.startswith(_EVENT_PREFIX)
                                and content_type.removeprefix(_EVENT_PREFIX) in _DROPPED_EVENTS):
            return None
        role = _ROLES.get((item.ParticipantRole or "").upper(), Role.CUSTOMER if item.ParticipantRole else Role.SYSTEM)
        common: dict[str, Any] = {"time": item.AbsoluteTime, "author_id": item.ParticipantId,
                                  "author_name": item.DisplayName, "loc": loc}
        if kind in _EVENT_TYPES or content_type.startswith(_EVENT_PREFIX):
            event = content_type.removeprefix(_EVENT_PREFIX) if content_type.startswith(_EVENT_PREFIX) \
                else kind.lower()
            who = item.DisplayName or (item.ParticipantRole or "").lower()
            label = event.replace("participant.", "").replace(".", " ").replace("_", " ")
            return RawMessage(role=Role.SYSTEM, kind=Kind.EVENT, event=event,
                              text=f"{who} {label}".strip() if who else label, **common)
        if (kind == "ATTACHMENT" or item.Attachments) and not (
                item.Content and item.Content.strip() and content_type.startswith("text/")):  # text sent with files
            names = ", ".join(a.AttachmentName or a.AttachmentId or "attachment" for a in item.Attachments or [])
            return RawMessage(role=role, kind=Kind.FILE, text=names or item.Content or "attachment", **common)
        return RawMessage(role=role, text=_content(item.Content or "", content_type), **common)


def _content(content: str, content_type: str) -> str:
    """Plain text of a message: interactive messages are JSON (their titles are what the customer
    saw); Markdown is stripped lightly."""
    if "json" in content_type or "interactive" in content_type:
        try:
            decoded = orjson.loads(content)
        except orjson.JSONDecodeError:
            return content
        return "\n".join(_titles(decoded)) or content
    if "markdown" in content_type:
        for pattern, repl in _MARKDOWN:
            content = pattern.sub(repl, content)
    return content


def _titles(value: Any) -> list[str]:
    """``title`` / ``subtitle`` / ``text`` strings of an interactive template, in order."""
    found: list[str] = []
    stack = [value]
    while stack and len(found) < 50:
        item = stack.pop()
        if isinstance(item, dict):
            for key in ("title", "subtitle", "text"):
                got = first(item.get(key))
                if got:
                    found.append(got)
            stack.extend(reversed([v for v in item.values() if isinstance(v, dict | list)]))
        elif isinstance(item, list):
            stack.extend(reversed(item))
    return found
