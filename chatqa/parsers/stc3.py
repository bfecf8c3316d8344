"""NTCIR-14 STC-3 customer-helpdesk dialogues: turns of utterances, no timestamps."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ..errors import ParseError
from ..model import Channel, Role
from ..normalize import RawMessage
from ..records import Conversation
from . import JsonParser, RecordContext, VendorModel

_ROLES = {"customer": Role.CUSTOMER, "helpdesk": Role.AGENT}


class _Turn(VendorModel):
    sender: str
    utterances: list[str | None] = Field(default_factory=list)


class _Dialogue(VendorModel):
    id: str
    turns: list[_Turn]


class Stc3Parser(JsonParser):
    """STC-3: each utterance is one message; ``helpdesk`` is the agent; export order is kept."""

    channel = Channel.SOCIAL
    name = "stc3"
    summary = "NTCIR-14 STC-3 customer-helpdesk dialogues JSON (no timestamps)"
    channels = 'social'
    example = '[{"id", "turns": [{"sender": "customer", "utterances": ["..."]}]}]'
    priority = 80

    def is_record(self, value: Any) -> bool:
        """An object with ``id`` and ``turns`` of ``{sender, utterances}``."""
        if not isinstance(value, dict) or not isinstance(value.get("turns"), list) or "id" not in value:
            return False
        turns = value["turns"]
        return not turns or (isinstance(turns[0], dict) and "sender" in turns[0] and "utterances" in turns[0])

    def convert(self, record: Any, ctx: RecordContext) -> Conversation:
        """One message per utterance, author ``customer`` or ``helpdesk``."""
        dialogue = _Dialogue.model_validate(record)
        messages = []
        for i, turn in enumerate(dialogue.turns):
            sender = turn.sender.strip().lower()
            if sender not in _ROLES:
                raise ParseError(f"unknown sender {turn.sender!r} (expected customer or helpdesk)",
                                 f"turns[{i}].sender")
            for j, text in enumerate(turn.utterances):
                messages.append(RawMessage(role=_ROLES[sender], text=text or "", author_id=sender,
                                           author_name=sender, loc=f"turns[{i}].utterances[{j}]"))
        return ctx.build(id=dialogue.id, messages=messages)
