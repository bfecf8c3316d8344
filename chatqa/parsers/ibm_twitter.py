"""IBM Twitter customer-care conversations (dialogHeader / dialogContent / agentURL)."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from ..errors import ParseError
from ..model import Channel, Role
from ..normalize import RawMessage, parse_time
from ..records import Conversation
from . import JsonParser, RecordContext, VendorModel
from .twcs import agent_id

# The export writes `duration` as "D-HH:MM:SS.f" with its first two characters cut off (a fixed
# 10-character field): "0-01:26:55.0" became "01:26:55.0" (0 to 9 days: the day count is lost),
# "13-12:14:20.0" became "-12:14:20." (10 to 99 days), "146-01:08:11.0" became "6-01:08:11" (100 days
# or more). A duration of another width is written whole ("13-12:14:20.0", "2 days, 01:00:00").
_DURATION = re.compile(r"-?(?:(\d+)(?:-| days?,? ))?(\d{1,2}):(\d{2}):(\d{2})(\.\d*)?")
_CUT_WIDTH = 10
_DAY = timedelta(days=1)
_NEAR = timedelta(hours=6)  # a tweet id's time confirms a day count when this close (clocks, edits)
# Tweet ids are Twitter "snowflakes" since 2010-11-04: the top bits are milliseconds since this epoch.
_SNOWFLAKE_EPOCH_MS = 1288834974657
_FIRST_SNOWFLAKE = 1 << 40  # smaller ids are the old sequential ones, which carry no time


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


def _tweet_time(tweet_id: str | None) -> datetime | None:
    """The time a tweet id encodes (None for ids that are not snowflakes)."""
    if not tweet_id or not tweet_id.strip().isdigit() or int(tweet_id) < _FIRST_SNOWFLAKE:
        return None
    return datetime.fromtimestamp(((int(tweet_id) >> 22) + _SNOWFLAKE_EPOCH_MS) / 1000, UTC)


def _time_or_none(turn: Any) -> datetime | None:
    """A turn's time, None when it has none or a bad one (the normaliser reports that, in place)."""
    try:
        return parse_time(turn.time)
    except ValueError:
        return None


def _final_time(start: datetime, duration: str | None, after: datetime | None,
                tweeted: datetime | None) -> datetime | None:
    """When the final agent turn was sent: start + `duration` (SPEC section 3).

    When the export cut the day count off (see `_DURATION`), the day count is the one that puts
    the turn nearest `tweeted` (the time its tweet id holds) if that is within `_NEAR` and
    allowed by what is left of the field; else, for 0-9 days, the fewest days that put the turn at
    or after `after` (the last timed turn before it); else (ten days or more) unknown: None.
    """
    text = (duration or "").strip()
    match = _DURATION.fullmatch(text)
    if match is None:
        return None
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups()[:4])
    when = start + timedelta(hours=hours, minutes=minutes, seconds=seconds)
    if len(text) != _CUT_WIDTH:
        return when + days * _DAY  # written whole
    if text.startswith("-"):
        allowed = range(10, 100)
    elif match.group(1) is not None:
        allowed = range(100 + days, 100_000, 10)
    else:
        allowed = range(10)
    if tweeted is not None:
        near = round((tweeted - when) / _DAY)
        if near in allowed and abs(tweeted - (when + near * _DAY)) <= _NEAR:
            return when + near * _DAY
    if allowed.start == 0:
        fewest = max(0, -(-(after - when) // _DAY)) if after is not None else 0
        return when + fewest * _DAY if fewest in allowed else None
    return None


class IbmTwitterParser(JsonParser):
    """IBM Twitter CDP: the role is the key (``client``/``client1``/``agent``); the final agent
    turn (``agentURL``) is timed at start + duration, with the day count the export cut off
    restored from its tweet id (a snowflake holds the time it was sent) or the turn order where
    they allow it (see `_final_time`), else untimed. Agent ids are ``Company/INITIALS`` when a
    tweet is signed, and entities are decoded, as for TWCS. A second customer handle
    (``client1``) joining the thread is a bystander (SPEC section 2)."""

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
            when = self._final(head, conv.agentURL, messages)
            text, company = html.unescape(conv.agentURL.url_utterance), head.company or ""
            messages.append(RawMessage(role=Role.AGENT, text=text, time=when, author_id=agent_id(company, text),
                                       author_name=company, loc="agentURL"))
        return ctx.build(
            id=head.sessionID, messages=messages, started_at=head.conversationDateTime,
            metadata={k: v for k, v in {"company": head.company,
                                        "agent_url": conv.agentURL.url if conv.agentURL else None,
                                        "doc_id": conv.agentURL.doc_id if conv.agentURL else None}.items() if v},
        )

    @staticmethod
    def _final(head: _Header, url: _AgentUrl, turns: list[Any]) -> datetime | None:
        """The final agent turn's time (see `_final_time`)."""
        try:
            start = parse_time(head.conversationDateTime)
        except ValueError as exc:
            raise ParseError(f"bad time: {exc}", "dialogHeader.conversationDateTime") from None
        if start is None:
            return None
        after = max((t for t in map(_time_or_none, turns) if t is not None), default=start)
        return _final_time(start, head.duration, after, _tweet_time(url.tweet_ID))
