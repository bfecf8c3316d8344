"""LivePerson Messaging Interactions API ``conversationHistoryRecords`` (epoch ms, transfers, bots)."""

from __future__ import annotations

import re
from datetime import datetime
from html import escape
from typing import Any

import orjson
from pydantic import field_validator

from ..model import Channel, Kind, Participant, Rating, Role
from ..normalize import RawMessage
from ..records import Conversation, RawLine
from . import JsonParser, RecordContext, VendorModel
from ._grouping import readable_time

_USER_TYPES = {"bot": Role.BOT, "system": Role.SYSTEM, "human": Role.AGENT}
# ``info.source``, where the conversation was opened (the API's filter lists APP, SHARK (WEB), AGENT,
# SMS, FACEBOOK, Apple Business Chat; its connectors add WhatsApp, Google RCS / My Business, LINE,
# Viber, WeChat, Twitter...), by its words. SHARK is the web widget: live chat. APP is messaging:
# LivePerson's Mobile App Messaging SDK is in-app messaging, an ongoing conversation the consumer
# leaves and comes back to (push notifications bring them back), the asynchronous in-app thread
# SPEC 2 calls messaging. The third-party connectors are asynchronous messaging apps too (Facebook
# is its Messenger connector, Twitter its DMs). Anything else (AGENT, a source not known) stays chat.
_CHAT_SOURCES = frozenset({"shark", "web", "website", "widget"})
_MESSAGING_SOURCES = frozenset({
    "app", "inapp", "sms", "mms", "twilio", "cm", "whatsapp", "facebook", "fb", "messenger",
    "apple", "abc", "amb", "imessage", "google", "gbm", "gmb", "rbm", "rcs", "line", "viber", "wechat",
    "twitter", "instagram", "telegram", "kakao", "kakaotalk"})
_SURVEY_TIMES = ("timeL", "time", "surveyTimeL", "surveyTime", "submittedTimeL", "submittedTime")


def _undefined(value: Any) -> Any:
    """LivePerson writes the string "undefined" for missing values."""
    if value == "undefined":
        return None
    if isinstance(value, dict):
        return {k: _undefined(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_undefined(v) for v in value]
    return value


class _Info(VendorModel):
    conversationId: str
    startTimeL: float | None = None
    endTimeL: float | None = None
    latestSkillName: str | None = None
    closeReason: str | None = None
    status: str | None = None
    csatRate: float | None = None
    isPartial: bool | None = None
    source: str | None = None


class _Message(VendorModel):
    type: str = "TEXT_PLAIN"
    messageData: dict[str, Any] = {}
    seq: float | None = None
    participantId: str | None = None
    sentBy: str = "Consumer"
    time: str | None = None
    timeL: float | None = None


class _Agent(VendorModel):
    agentId: str | None = None
    agentFullName: str | None = None
    agentNickname: str | None = None
    agentLoginName: str | None = None
    userTypeName: str | None = None
    timeL: float | None = None


class _Consumer(VendorModel):
    participantId: str | None = None
    firstName: str | None = None
    lastName: str | None = None
    consumerName: str | None = None


class _Transfer(VendorModel):
    timeL: float | None = None
    reason: str | None = None
    sourceSkillName: str | None = None
    targetSkillName: str | None = None
    sourceAgentFullName: str | None = None
    assignedAgentFullName: str | None = None


class _Record(VendorModel):
    info: _Info
    messageRecords: list[_Message] = []
    agentParticipants: list[_Agent] = []
    consumerParticipant: list[_Consumer] = []
    transfers: list[_Transfer] = []
    conversationSurveys: list[dict[str, Any]] = []

    @field_validator("consumerParticipant", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict) else value


def _is_record(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("info"), dict) and "messageRecords" in value


class LivePersonParser(JsonParser):
    """LivePerson: ``sentBy`` Consumer/Agent; bots and system users via ``agentParticipants``;
    ``info.source`` gives the channel; surveys are system events."""

    name = "liveperson"
    summary = "LivePerson Messaging Interactions API conversationHistoryRecords"
    channels = 'chat; messaging from info.source (in-app, SMS, WhatsApp, Messenger...)'
    example = ('{"conversationHistoryRecords": [{"info": {"conversationId"}, '
               '"messageRecords": [{"sentBy": "Consumer", "messageData"}]}]}')
    priority = 80

    envelope = "conversationHistoryRecords"
    envelope_markers = ("conversationHistoryRecords",)

    def is_record(self, value: Any) -> bool:
        """A conversation record with ``info`` and ``messageRecords``."""
        return _is_record(value)

    def convert(self, record: Any, ctx: RecordContext) -> Conversation:
        """Messages sorted on (timeL, seq), plus join and transfer events."""
        rec = _Record.model_validate(_undefined(record))
        agents: dict[str | None, _Agent] = {a.agentId: a for a in rec.agentParticipants if a.agentId}
        consumers: dict[str | None, _Consumer] = {c.participantId: c for c in rec.consumerParticipant
                                                  if c.participantId}
        messages = [self._message(m, f"messageRecords[{i}]", agents, consumers)
                    for i, m in enumerate(rec.messageRecords)]
        for i, a in enumerate(rec.agentParticipants):
            if a.timeL is not None:
                messages.append(RawMessage(role=Role.SYSTEM, kind=Kind.EVENT, event="agent_joined",
                                           text=f"{_agent_name(a) or 'agent'} joined", time=a.timeL,
                                           author_id=a.agentId, loc=f"agentParticipants[{i}]", seq=-1))
        messages += _surveys(rec.conversationSurveys, messages[:len(rec.messageRecords)])
        for i, t in enumerate(rec.transfers):
            what = f"transferred from {t.sourceSkillName or t.sourceAgentFullName or '?'} to " \
                   f"{t.targetSkillName or t.assignedAgentFullName or '?'}"
            messages.append(RawMessage(role=Role.SYSTEM, kind=Kind.EVENT, event="transfer", time=t.timeL,
                                       text=f"{what} ({t.reason})" if t.reason else what,
                                       loc=f"transfers[{i}]", seq=-1))
        participants = [Participant(id=c.participantId or "", name=_consumer_name(c), role=Role.CUSTOMER)
                        for c in rec.consumerParticipant if c.participantId]
        participants += [Participant(id=a.agentId or "", name=_agent_name(a),
                                     role=_USER_TYPES.get((a.userTypeName or "").lower(), Role.AGENT))
                         for a in rec.agentParticipants if a.agentId]
        info = rec.info
        rating = Rating(value=info.csatRate, scale=5.0) if info.csatRate is not None else None
        end = info.endTimeL if info.endTimeL and info.endTimeL > 0 else None
        return ctx.build(
            id=info.conversationId, messages=messages, participants=participants or None, rating=rating,
            started_at=info.startTimeL, ended_at=end, channel=_channel(info.source),
            metadata={k: v for k, v in {"status": info.status, "close_reason": info.closeReason,
                                        "skill": info.latestSkillName, "partial": info.isPartial,
                                        "channel": info.source}.items() if v is not None},
        )

    @staticmethod
    def _message(m: _Message, loc: str, agents: dict[str | None, _Agent],
                 consumers: dict[str | None, _Consumer]) -> RawLine:
        sent_by = m.sentBy.lower()
        agent = agents.get(m.participantId)
        if sent_by == "consumer":
            role = Role.CUSTOMER
            name = _consumer_name(consumers[m.participantId]) if m.participantId in consumers else None
        else:
            role = _USER_TYPES.get((agent.userTypeName or "").lower(), Role.AGENT) if agent else (
                Role.SYSTEM if sent_by == "system" else Role.AGENT)
            name = _agent_name(agent) if agent else None
        data = m.messageData
        msg = raw if isinstance(raw := data.get("msg"), dict) else {}
        kind, html, text = Kind.MESSAGE, m.type == "TEXT_HTML", str(msg.get("text") or "")
        if isinstance(data.get("file"), dict) or m.type == "HOSTED_FILE":
            file = data["file"] if isinstance(data.get("file"), dict) else {}
            caption = str(file.get("caption") or "").strip()
            # a captioned file is a message: its caption is what the sender wrote (as Intercom's body with attachments)
            kind, text = (Kind.MESSAGE, caption) if caption else (Kind.FILE, str(file.get("relativePath") or text))
        elif not text and isinstance(data.get("richContent"), dict | str):
            text = _rich_text(data["richContent"])
        elif not text and isinstance(data.get("link"), dict):
            text = str(data["link"].get("url") or "")
        if kind is Kind.MESSAGE and isinstance(data.get("quickReplies"), dict | str):
            # quick-reply buttons are part of what the consumer saw, as a card's buttons are
            buttons = _rich_text(data["quickReplies"], raw_fallback=False)
            if buttons:
                if html:
                    buttons = "<br>".join(map(escape, buttons.split("\n")))
                text = f"{text}{'<br>' if html else chr(10)}{buttons}" if text else buttons
        return RawMessage(role=role, text=text, html=html, kind=kind, time=m.timeL if m.timeL else m.time,
                          author_id=m.participantId, author_name=name, loc=loc, seq=m.seq or 0)


def _agent_name(a: _Agent | None) -> str | None:
    return (a.agentFullName or a.agentNickname or a.agentLoginName) if a else None


def _consumer_name(c: _Consumer) -> str | None:
    full = " ".join(p for p in (c.firstName, c.lastName) if p)
    return full or c.consumerName


def _rich_text(content: Any, raw_fallback: bool = True) -> str:
    """Visible text of a structured-content card or a quick-replies set: its ``text`` elements' text
    and its buttons' titles, in reading order. The API gives the card as a JSON string in
    ``richContent.content`` (``quickReplies.content``); one that is not JSON is its own text, unless
    `raw_fallback` is False (then it gives nothing)."""
    if isinstance(content, dict) and isinstance(content.get("content"), str):
        content = content["content"]
    if isinstance(content, str):
        try:
            content = orjson.loads(content)
        except orjson.JSONDecodeError:
            return content if raw_fallback else ""
    found: list[str] = []
    stack = [content]
    while stack and len(found) < 50:
        item = stack.pop()
        if isinstance(item, dict):
            label = item.get("text") or item.get("title")
            if item.get("type") in ("text", "button") and isinstance(label, str):
                found.append(label)
            elif item.get("type") == "image" and isinstance(item.get("caption"), str) and item["caption"].strip():
                found.append(item["caption"])
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))
    return "\n".join(found)


def _channel(source: str | None) -> Channel:
    """The channel of a conversation opened from `source` (``info.source``), by its words."""
    words = set(re.split(r"[^a-z0-9]+", (source or "").lower())) - {""}
    if words & _CHAT_SOURCES:
        return Channel.CHAT
    if words & _MESSAGING_SOURCES or "whatsapp" in (source or "").lower():
        return Channel.MESSAGING
    return Channel.CHAT


def _surveys(surveys: list[dict[str, Any]], said: list[RawLine]) -> list[RawLine]:
    """A system event per survey (``conversationSurveys[]``: type, status, question / answer pairs),
    at its time when it has one, else after the last message (`said`): an event, it answers no one
    and starts no clock."""
    events: list[RawLine] = []
    for i, survey in enumerate(surveys):
        pairs = [p for p in survey.get("surveyData") or [] if isinstance(p, dict)] \
            if isinstance(survey.get("surveyData"), list) else []
        answers = [f"{_words(p.get('question')) or '?'}: {_words(p.get('answer')) or '-'}" for p in pairs
                   if _words(p.get("question")) or _words(p.get("answer"))]
        kind, status = _words(survey.get("surveyType")), _words(survey.get("surveyStatus"))
        if not (answers or kind or status):
            continue
        head = f"{kind or ''} survey".strip() + (f" ({status})" if status else "")
        when = next((survey[k] for k in _SURVEY_TIMES if survey.get(k) not in (None, "", -1)), None)
        events.append(RawMessage(role=Role.SYSTEM, kind=Kind.EVENT, event="survey",
                                 text=f"{head}: {'; '.join(answers)}" if answers else head,
                                 time=when if when is not None else _last_time(said),
                                 loc=f"conversationSurveys[{i}]", seq=float("inf")))
    return events


def _words(value: Any) -> str | None:
    """A survey field as text (None when missing or empty)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    return str(value).strip() or None


def _last_time(lines: list[RawLine]) -> datetime | None:
    """The latest time among `lines` (None when none can be read)."""
    return max(filter(None, (readable_time(line.time) for line in lines)), default=None)
