"""IBM Twitter customer-care conversations (dialogHeader / dialogContent / agentURL)."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

from ..errors import ParseError
from ..model import Channel, Role
from ..normalize import RawMessage, parse_time
from ..records import Conversation
from . import JsonParser, RecordContext, VendorModel
from .twcs import agent_id

# "HH:MM:SS.f" or "D-HH:MM:SS"; a leading "-" means the day count was cut off (unknown).
_DURATION = re.compile(r"(?:(\d+)-)?(\d{1,2}):(\d{2}):(\d{2})(?:\.\d*)?")


class _Header(VendorModel):
    sessionID: str
    company: str | None = None
    conversationDateTime: str | None = None
    duration: str | None = None
    messageCount: str | None = None


class _AgentUrl(VendorModel):
    url_utterance: str | None = None
    url: str | None = None
    doc_id: str | None = None
    tweet_ID: str | None = None


class _Conversation(VendorModel):
    dialogHeader: _Header
    dialogContent: list[dict[str, Any]] = []
    agentURL: _AgentUrl | None = None


def _duration(text: str | None) -> timedelta | None:
    match = _DURATION.fullmatch((text or "").strip())
    if not match:
        return None
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


class IbmTwitterParser(JsonParser):
    """IBM Twitter CDP: the role is the key (``client``/``client1``/``agent``); the final agent
    turn (``agentURL``) is timed at start + duration, or untimed when the duration was cut off.
    Agent ids are ``Company/INITIALS`` when a tweet is signed, and entities are decoded, as
    for TWCS."""

    channel = Channel.SOCIAL
    name = "ibm-twitter"
    summary = "IBM Twitter customer-care conversations JSON (dialogHeader/dialogContent)"
    channels = 'social'
    example = '[{"dialogHeader": {...}, "dialogContent": [{"client": "...", "agent": "..."}]}]'
    priority = 80

    def is_record(self, value: Any) -> bool:
        """An object with ``dialogHeader`` and ``dialogContent``."""
        return isinstance(value, dict) and "dialogHeader" in value and "dialogContent" in value

    def convert(self, record: Any, ctx: RecordContext) -> Conversation:
        """Turns in order, then the agent's URL tweet."""
        conv = _Conversation.model_validate(record)
        head = conv.dialogHeader
        messages = []
        for i, turn in enumerate(conv.dialogContent):
            loc = f"dialogContent[{i}]"
            if not isinstance(turn, dict):
                raise ParseError("turn is not an object", loc)
            key = next((k for k in turn if k == "agent" or k.startswith("client")), None)
            if key is None:
                raise ParseError("turn has no 'client' or 'agent' key", loc)
            role = Role.AGENT if key == "agent" else Role.CUSTOMER
            text, handle = html.unescape(str(turn.get("message") or "")), str(turn[key])
            messages.append(RawMessage(role=role, text=text, time=turn.get("datetime"), author_name=handle,
                                       author_id=agent_id(handle, text) if role is Role.AGENT else handle, loc=loc))
        if conv.agentURL and conv.agentURL.url_utterance is not None:
            when = None
            delta = _duration(head.duration)
            if delta is not None and head.conversationDateTime:
                try:
                    start = parse_time(head.conversationDateTime)
                except ValueError as exc:
                    raise ParseError(f"bad time: {exc}", "dialogHeader.conversationDateTime") from None
                when = start + delta if start else None
            text, company = html.unescape(conv.agentURL.url_utterance), head.company or ""
            messages.append(RawMessage(role=Role.AGENT, text=text, time=when, author_id=agent_id(company, text),
                                       author_name=company, loc="agentURL"))
        return ctx.build(
            id=head.sessionID, messages=messages, started_at=head.conversationDateTime,
            metadata={k: v for k, v in {"company": head.company,
                                        "agent_url": conv.agentURL.url if conv.agentURL else None,
                                        "doc_id": conv.agentURL.doc_id if conv.agentURL else None}.items() if v},
        )
