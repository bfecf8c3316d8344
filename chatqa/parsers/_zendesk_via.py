"""Zendesk Support ``via`` objects: the channel a comment or ticket came in by, and whether it was
written by automation (triggers, automations, Answer Bot and the Zendesk AI agents)."""

from __future__ import annotations

from typing import Any

from ..model import Channel
from ._grouping import channel_by_words, get

# Automation and AI: triggers/automations ("rule"), Answer Bot and the Zendesk AI agents.
_BOT_VIA = ("rule", "answer_bot", "automatic_solution_suggestions", "ai_agent", "autoreply", "auto_reply")
# Via ids of the Via types reference that name a channel (strings are preferred by Zendesk).
_VIA_IDS = {0: "web_form", 4: "mail", 5: "web_service", 8: "rule", 17: "dropbox", 23: "twitter_favorite",
            26: "twitter_dm", 29: "chat", 30: "twitter", 33: "voicemail", 34: "phone_call_inbound",
            35: "phone_call_outbound", 38: "facebook_post", 41: "facebook_message", 48: "mobile_sdk", 56: "mobile",
            57: "sms"}
_NOT_CHANNELS = ("rule", "web_service", "api", "any_channel", "merge", "batch", "closed_ticket", "linked_problem",
                 "ticket_sharing", "sample_ticket", "answer_bot", "automatic_solution_suggestions")


def via_name(via: Any) -> str:
    """The ``via.channel`` name (lower case; an integer via id by its name), "" when none."""
    channel = get(via, "channel") if isinstance(via, dict) else via
    if isinstance(channel, int) and not isinstance(channel, bool):
        return _VIA_IDS.get(channel, str(channel))
    return channel.strip().lower() if isinstance(channel, str) else ""


def channel_of(via: Any) -> Channel | None:
    """Zendesk ``via.channel`` -> chatqa channel (None for automation and API, which name none)."""
    name = via_name(via)
    if not name or name in _NOT_CHANNELS or name.startswith("answer_bot"):
        return None
    if name in ("native_messaging", "chat", "chat_transcript", "web_widget", "mobile_sdk", "sunshine_conversations"):
        return Channel.CHAT
    if name == "mobile":
        return Channel.EMAIL
    return channel_by_words(name)


def automated(via: Any) -> bool:
    """Written by a trigger, an automation or an AI agent (``via.channel: rule``, ``source.rel``)."""
    name = via_name(via)
    rel = get(via, "source", "rel")
    return name.startswith(_BOT_VIA) or rel in ("trigger", "automation")
