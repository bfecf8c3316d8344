"""LivePerson Messaging Interactions API ``conversationHistoryRecords`` (epoch ms, transfers, bots)."""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import field_validator

from ..model import Kind, Participant, Rating, Role
from ..normalize import RawMessage
from ..records import Conversation, RawLine
from . import JsonParser, RecordContext, VendorModel

_USER_TYPES = {"bot": Role.BOT, "system": Role.SYSTEM, "human": Role.AGENT}


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
    """LivePerson: ``sentBy`` Consumer/Agent; bots and system users via ``agentParticipants``."""

    name = "liveperson"
    summary = "LivePerson Messaging Interactions API conversationHistoryRecords"
    channels = 'chat'
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
            started_at=info.startTimeL, ended_at=end,
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
        return RawMessage(role=role, text=text, html=html, kind=kind, time=m.timeL if m.timeL else m.time,
                          author_id=m.participantId, author_name=name, loc=loc, seq=m.seq or 0)


def _agent_name(a: _Agent | None) -> str | None:
    return (a.agentFullName or a.agentNickname or a.agentLoginName) if a else None


def _consumer_name(c: _Consumer) -> str | None:
    full = " ".join(p for p in (c.firstName, c.lastName) if p)
    return full or c.consumerName


def _rich_text(content: Any) -> str:
    """Visible text of a structured-content card: its ``text`` elements' text and its buttons' titles,
    in reading order. The API gives the card as a JSON string in ``richContent.content``."""
    if isinstance(content, dict) and isinstance(content.get("content"), str):
        content = content["content"]
    if isinstance(content, str):
        try:
            content = orjson.loads(content)
        except orjson.JSONDecodeError:
            return content
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
