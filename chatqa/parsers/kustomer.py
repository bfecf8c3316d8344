"""Kustomer (JSON:API): messages and notes as ``data[]`` resources with ``attributes`` and
``relationships``, single resources, and connector rows (a resource per line), grouped by the
conversation in ``relationships.conversation``; conversation resources add the channel and tags."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..errors import ParseError
from ..model import Channel, Kind, Participant, Role
from ..normalize import RawMessage
from ..records import Conversation, RawLine
from . import RecordContext, VendorModel, not_a_record
from ._grouping import (
    Group,
    GroupingParser,
    channel_by_words,
    dicts,
    file_key,
    first,
    get,
    key_of,
    require_messages,
    text,
    validate,
    with_files,
)

_TYPES = frozenset({"message", "note", "conversation"})
_CHANNELS = {"facebook": Channel.MESSAGING, "instagram": Channel.MESSAGING, "twitter-dm": Channel.MESSAGING,
             "twitter-tweet": Channel.SOCIAL, "instagram-comment": Channel.SOCIAL, "form": Channel.EMAIL,
             "chat": Channel.CHAT, "email": Channel.EMAIL, "sms": Channel.MESSAGING, "whatsapp": Channel.MESSAGING,
             "voice": Channel.VOICE}
_BOT_USERS = frozenset({"bot", "machine", "automation", "system"})
# message statuses of a send that failed (Kustomer records the failure in ``status``, ``error`` and
# ``errorAt``; a message that reached its recipient has ``sentAt``)
_FAILED = frozenset({"error", "failed"})
_FILE_KEY = "\0file"


class _Resource(VendorModel):
    type: str
    id: str | None = None
    attributes: dict[str, Any] = {}
    relationships: dict[str, Any] = {}


def _is_resource(v: Any) -> bool:
    if not isinstance(v, dict) or not isinstance(v.get("type"), str) or v["type"] not in _TYPES:
        return False
    return isinstance(v.get("attributes"), dict) and ("relationships" in v or any(
        k in v["attributes"] for k in ("direction", "preview", "body", "channel", "createdAt")))


def _related(resource: Any, name: str) -> str | None:
    """The id in ``relationships.<name>.data`` of a raw or validated resource."""
    relationships = resource.relationships if isinstance(resource, _Resource) else get(resource, "relationships")
    return key_of(get(relationships, name, "data", "id"))


class KustomerParser(GroupingParser):
    """Kustomer: ``direction`` in = customer, out = agent (``auto: true`` = automation, a bot); notes
    are internal; text from ``preview`` (notes: ``body``); ``attributes.channel`` gives the channel;
    messages whose send failed and that were never sent are dropped."""

    name = "kustomer"
    summary = "Kustomer messages and notes (JSON:API data[] with attributes)"
    channels = 'chat, email, messaging, social, voice from channel'
    example = ('{"data": [{"type": "message", "attributes": {"direction": "in", "channel", "preview", '
               '"sentAt"}}], "included": [...]}')
    priority = 85
    envelopes = ("data",)

    def looks_like(self, value: Any) -> bool:
        """A JSON:API document of messages / notes / conversations, or one such resource."""
        if not isinstance(value, dict):
            return False
        data = value.get("data")
        if isinstance(data, list):
            if not data:
                return "/v1/" in str(get(value, "links", "self") or "")
            return _is_resource(data[0])
        if isinstance(data, dict):
            return _is_resource(data)
        return _is_resource(value)

    def split(self, value: Any, state: dict[str, Any]) -> Iterator[tuple[str, str | None, Any]]:
        """Every resource is a row keyed by its conversation (a conversation resource by its own id)."""
        included = state.setdefault("included", {})
        for item in dicts(value.get("included")):
            if isinstance(item.get("type"), str) and key_of(item.get("id")):
                included.setdefault((item["type"], key_of(item["id"])), item)
        data = value.get("data")
        rows = [(f"data[{i}]", v) for i, v in enumerate(data)] if isinstance(data, list) else \
            [("data", data)] if isinstance(data, dict) else [("", value)]
        for loc, row in rows:
            own = key_of(get(row, "id")) if get(row, "type") == "conversation" else None
            yield loc, own or _related(row, "conversation") or _FILE_KEY, row

    def convert_group(self, group: Group, ctx: RecordContext) -> Conversation:
        """Messages and notes of one conversation in time order; failed, unsent messages skipped."""
        included = group.state.get("included", {})
        messages: list[RawLine] = []
        conversation: _Resource | None = None
        channels: list[str | None] = []
        for where, row in group.items:
            if not _is_resource(row):
                raise ParseError(not_a_record(self), where)
            res = validate(_Resource, row, where)
            if res.type == "conversation":
                conversation = res
                continue
            if res.type == "message":
                channels.append(text(res.attributes.get("channel")))
                if _undelivered(res.attributes):
                    continue  # never delivered: it answers no one and starts no clock (as Gorgias's failed sends)
            messages.extend(_note(res, where, included) if res.type == "note" else _message(res, where, included))
        require_messages(messages, group.items[0][0] or "data")
        attrs = conversation.attributes if conversation else {}
        channels = [*(text(c) for c in attrs.get("channels") or [] if text(c)), *channels] \
            if isinstance(attrs.get("channels"), list) else channels
        cid = group.key if group.key != _FILE_KEY else file_key(ctx.source.name)
        customer = _related(conversation, "customer") if conversation else None
        tags = [t for t in attrs.get("tags") or [] if isinstance(t, str)] if isinstance(attrs.get("tags"), list) else []
        return ctx.build(
            id=cid, messages=messages, tags=tags,
            participants=[Participant(id=customer, role=Role.CUSTOMER)] if customer else None,
            channel=next((c for c in map(_channel, channels) if c), Channel.EMAIL),
            started_at=None,
            metadata={k: v for k, v in {"name": text(attrs.get("name")), "status": text(attrs.get("status")),
                                        "id_from": "file name" if group.key == _FILE_KEY else None}.items() if v},
        )


def _channel(name: str | None) -> Channel | None:
    if not name:
        return None
    return _CHANNELS.get(name.lower()) or channel_by_words(name)


def _undelivered(a: dict[str, Any]) -> bool:
    """A message whose send failed and that was never sent: a failure recorded (an error
    ``status``, ``errorAt`` or ``error``) and no ``sentAt``. As for Gorgias (``failed_datetime``
    without ``sent_datetime``), one sent after a failed try was delivered and is kept."""
    failed = str(a.get("status") or "").lower() in _FAILED or bool(a.get("errorAt") or a.get("error"))
    return failed and not a.get("sentAt")


def _user(included: dict[Any, Any], user_id: str | None) -> tuple[str | None, bool]:
    """A user's display name and whether it is a bot (from ``included[]`` users, when sideloaded)."""
    attrs = get(included.get(("user", user_id)), "attributes") or {}
    kind = str(attrs.get("userType") or attrs.get("type") or "").lower()
    return first(text(attrs.get("displayName")), text(attrs.get("name")), text(attrs.get("email"))), \
        kind in _BOT_USERS or attrs.get("isBot") is True


def _files(res: _Resource, included: dict[Any, Any]) -> list[str]:
    names = []
    for item in dicts(get(res.relationships, "attachments", "data")):
        attrs = get(included.get(("attachment", key_of(item.get("id")))), "attributes") or {}
        names.append(first(text(attrs.get("name")), text(attrs.get("contentType"))) or "attachment")
    return names


def _message(res: _Resource, where: str, included: dict[Any, Any]) -> list[RawLine]:
    a = res.attributes
    direction = str(a.get("direction") or a.get("directionType") or "").lower()
    inbound = direction == "in" or direction.endswith("-in")
    if inbound:
        author = _related(res, "customer") or _related(res, "createdBy")
        name, bot = text(get(a, "meta", "from")), False
    else:
        author = _related(res, "sentBy") or _related(res, "createdBy")
        name, bot = _user(included, author)
    role = Role.CUSTOMER if inbound else Role.BOT if a.get("auto") is True or bot else Role.AGENT
    body = first(text(a.get("preview")), text(a.get("body")), text(a.get("subject"))) or ""
    message = RawMessage(role=role, text=body, time=a.get("sentAt") or a.get("createdAt"), author_id=author,
                         author_name=name, loc=where)
    return with_files(message, _files(res, included))


def _note(res: _Resource, where: str, included: dict[Any, Any]) -> list[RawLine]:
    a = res.attributes
    author = _related(res, "createdBy")
    name, bot = _user(included, author)
    note = RawMessage(role=Role.BOT if bot else Role.AGENT, text=text(a.get("body")) or "", html=True,
                      time=a.get("createdAt"), author_id=author, author_name=name, internal=True, kind=Kind.NOTE,
                      loc=where)
    return with_files(note, _files(res, included))
