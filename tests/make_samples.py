"""Writes the webhook and archive samples of sample_transcripts/ (run it after editing them; the
tests check the committed files are what this script writes).

* ``livechat_webhooks.jsonl``: LiveChat v3 webhook bodies as a team archives them, one per line
  (``incoming_chat``, ``incoming_event``, ``event_updated``, ``user_added_to_chat``,
  ``thread_tagged``, ``thread_properties_updated``, ``chat_deactivated``), two chats
  interleaved; shapes from LiveChat's Management API webhooks reference (v3.5) and the
  Agent Chat API event payloads.
* ``support_archive.zip``: what a team zips and sends: a README (skipped), a gzipped JSON Lines
  file of Intercom webhook notifications (``notification_event``, the conversation in
  ``data.item``, each carrying the parts of that moment), and a LiveChat v2 webhook body
  (``{event_type, chat, visitor}``); shapes from Intercom's webhook models and LiveChat's
  legacy v2 webhooks. Fixed dates, so the bytes are reproducible.

Written for chatqa from the documented formats; every name, address and id is made up.
"""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from pathlib import Path

SAMPLES = Path(__file__).resolve().parent.parent / "sample_transcripts"
ORG = "6a2e1c4d-93b7-4f0a-8e25-0c7f4b9d1e36"


def _hook(n: int, action: str, payload: dict) -> dict:
    return {"webhook_id": f"wh_{n:04d}", "secret_key": "whsec_redacted", "action": action, "organization_id": ORG,
            "payload": payload, "additional_data": {"chat_presence_user_ids": []}}


def _event(eid: str, at: str, kind: str = "message", **fields: object) -> dict:
    return {"id": eid, "created_at": f"2026-03-09T{at}Z", "visibility": "all", "type": kind, **fields}


JON = "c3f1a8e2-5b7d-4e90-a1c6-8d2f7e4b9a10"
MAYA = "maya.jensen@northwind.example"
AMIR = "5e9b2d71-0c4a-4f38-b6e1-2a7d9c3f8e45"
LEO = "leo.ortiz@northwind.example"

LIVECHAT_WEBHOOKS = [
    _hook(1, "incoming_chat", {"chat": {
        "id": "RY4TCJ8WOB",
        "users": [{"id": JON, "type": "customer", "name": "Jon Lind", "email": "jon.lind@example.org", "present": True},
                  {"id": MAYA, "type": "agent", "name": "Maya Jensen", "email": MAYA, "present": True,
                   "visibility": "all"}],
        "properties": {"routing": {"start_url": "https://northwind.example/orders/5521"}},
        "thread": {"id": "QV2NHBUY1L", "active": True, "user_ids": [JON, MAYA], "created_at": "2026-03-09T10:14:03.120000Z",
                   "properties": {}, "access": {"group_ids": [0]},
                   "events": [
                       _event("QV2NHBUY1L_1", "10:14:03.120000", text="Hi, I was charged twice for order 5521",
                              author_id=JON),
                       _event("QV2NHBUY1L_2", "10:14:03.480000", author_id=MAYA,
                              text="Welcome to Northwind! An agent will be with you shortly.",
                              properties={"lc2": {"welcome_message": True}})]}}}),
    _hook(2, "incoming_chat", {"chat": {
        "id": "RY4TD2A8PX",
        "users": [{"id": AMIR, "type": "customer", "name": "Amir Haddad", "present": True}],
        "properties": {},
        "thread": {"id": "QV2P0S7XKM", "active": True, "user_ids": [AMIR], "created_at": "2026-03-09T10:15:10.000000Z",
                   "properties": {}, "events": [
                       _event("QV2P0S7XKM_1", "10:15:10.000000", author_id=AMIR,
                              text="The discount code SPRING10 doesn't work at checkout")]}}}),
    _hook(3, "incoming_event", {"chat_id": "RY4TCJ8WOB", "thread_id": "QV2NHBUY1L", "event": _event(
        "QV2NHBUY1L_3", "10:14:20.004000", "system_message", system_message_type="routing.assigned",
        text="Maya Jensen is now assisting")}),
    _hook(4, "incoming_event", {"chat_id": "RY4TCJ8WOB", "thread_id": "QV2NHBUY1L", "event": _event(
        "QV2NHBUY1L_4", "10:14:51.310000", author_id=MAYA, text="Hi Jon, I'm Maya. Let me look at order 5521 for you.")}),
    _hook(5, "user_added_to_chat", {"chat_id": "RY4TD2A8PX", "thread_id": "QV2P0S7XKM", "user_type": "agent",
                                     "reason": "manual", "user": {"id": LEO, "type": "agent", "name": "Leo Ortiz",
                                                                  "email": LEO, "present": True, "visibility": "all"}}),
    _hook(6, "incoming_event", {"chat_id": "RY4TD2A8PX", "thread_id": "QV2P0S7XKM", "event": _event(
        "QV2P0S7XKM_2", "10:15:44.250000", "file", author_id=AMIR, name="checkout-error.png",
        url="https://cdn.livechat-files.example/RY4TD2A8PX/checkout-error.png", content_type="image/png", size=48211)}),
    _hook(7, "incoming_event", {"chat_id": "RY4TCJ8WOB", "thread_id": "QV2NHBUY1L", "event": {
        **_event("QV2NHBUY1L_5", "10:16:02.000000", author_id=MAYA, text="Billing confirms the double charge."),
        "visibility": "agents"}}),
    _hook(8, "incoming_event", {"chat_id": "RY4TD2A8PX", "thread_id": "QV2P0S7XKM", "event": _event(
        "QV2P0S7XKM_3", "10:16:20.900000", author_id=LEO, text="Hi Amir, I'm Leo. Please hold while I check the code.")}),
    _hook(9, "incoming_event", {"chat_id": "RY4TCJ8WOB", "thread_id": "QV2NHBUY1L", "event": _event(
        "QV2NHBUY1L_6", "10:17:30.450000", author_id=MAYA,
        text="You're right, the second charge is a duplicate. I've refunded it; it shows in 3-5 days.")}),
    _hook(10, "event_updated", {"chat_id": "RY4TD2A8PX", "thread_id": "QV2P0S7XKM", "event": _event(
        "QV2P0S7XKM_3", "10:16:20.900000", author_id=LEO, text="Hi Amir, I'm Leo. I'm checking the code now.")}),
    _hook(11, "incoming_event", {"chat_id": "RY4TCJ8WOB", "thread_id": "QV2NHBUY1L", "event": _event(
        "QV2NHBUY1L_7", "10:17:55.020000", author_id=JON, text="Great, thanks!")}),
    _hook(12, "thread_tagged", {"chat_id": "RY4TCJ8WOB", "thread_id": "QV2NHBUY1L", "tag": "billing"}),
    _hook(13, "incoming_event", {"chat_id": "RY4TD2A8PX", "thread_id": "QV2P0S7XKM", "event": _event(
        "QV2P0S7XKM_4", "10:18:02.100000", author_id=LEO,
        text="SPRING10 expired on Sunday, sorry. I've sent you SPRING15 instead, valid this week.")}),
    _hook(14, "thread_properties_updated", {"chat_id": "RY4TCJ8WOB", "thread_id": "QV2NHBUY1L", "properties": {
        "rating": {"score": 1, "comment": "quick and friendly"}}}),
    _hook(15, "chat_deactivated", {"chat_id": "RY4TCJ8WOB", "thread_id": "QV2NHBUY1L", "user_id": MAYA}),
    _hook(16, "thread_tagged", {"chat_id": "RY4TD2A8PX", "thread_id": "QV2P0S7XKM", "tag": "promotions"}),
    _hook(17, "chat_deactivated", {"chat_id": "RY4TD2A8PX", "thread_id": "QV2P0S7XKM"}),
]

PRIYA = {"type": "user", "id": "66a0c2f1d4e5b6a7c8d9e0f1", "name": "Priya Natarajan", "email": "priya.n@example.net"}
OWEN = {"type": "admin", "id": "8124410", "name": "Owen Price", "email": "owen.price@northwind.example"}
OPENING = {"type": "conversation", "id": "3051177710", "delivered_as": "customer_initiated", "subject": "",
           "body": "<p>Hi, the app logs me out every few minutes &mdash; since yesterday&#39;s update</p>",
           "author": PRIYA, "attachments": [], "url": None, "redacted": False}


def _part(pid: str, at: int, kind: str, author: dict, body: str | None) -> dict:
    return {"type": "conversation_part", "id": pid, "part_type": kind, "body": body, "created_at": at,
            "updated_at": at, "notified_at": at, "assigned_to": None, "author": author, "attachments": [],
            "external_id": None, "redacted": False}


def _notification(n: int, topic: str, at: int, parts: list[dict], state: str = "open") -> dict:
    item = {"type": "conversation", "id": "215470001234567", "created_at": 1773052000, "updated_at": at,
            "state": state, "open": state == "open", "read": True, "source": OPENING,
            "tags": {"type": "tag.list", "tags": [{"type": "tag", "id": "9120", "name": "android"}]},
            "conversation_parts": {"type": "conversation_part.list", "conversation_parts": parts,
                                   "total_count": len(parts)}}
    return {"type": "notification_event", "app_id": "q8zk3mxa", "id": f"notif_{n:08d}", "topic": topic,
            "delivery_status": "pending", "delivery_attempts": 1, "delivered_at": 0, "first_sent_at": at,
            "created_at": at, "self": None, "data": {"type": "notification_event_data", "item": item}}


P1 = _part("19001", 1773052051, "comment", OWEN, "<p>Hi Priya, I&#39;m Owen. Sorry about that! Which app version are you on?</p>")
P2 = _part("19002", 1773052090, "comment", PRIYA, "<p>4.12.1 on Android</p>")
P3 = _part("19003", 1773052120, "note", OWEN, "<p>Known bug INC-88, fixed in 4.12.2</p>")
P4 = _part("19004", 1773052163, "comment", OWEN,
           "<p>Thanks! It is fixed in 4.12.2, out today. Please update and let me know.</p>")
P5 = _part("19005", 1773052170, "close", OWEN, None)
INTERCOM_WEBHOOKS = [
    _notification(1, "conversation.user.created", 1773052000, []),
    _notification(2, "conversation.admin.replied", 1773052051, [P1]),
    _notification(3, "conversation.user.replied", 1773052090, [P2]),
    _notification(4, "conversation.admin.noted", 1773052120, [P2, P3]),  # a part sent again: counted once
    _notification(5, "conversation.admin.replied", 1773052163, [P4]),
    _notification(6, "conversation.admin.closed", 1773052170, [P5], state="closed"),
]

LIVECHAT_V2_WEBHOOK = {
    "event_type": "chat_ended", "token": "redacted", "license_id": "1520", "lc_version": "2",
    "chat": {"id": "MH022RD0K5", "started_timestamp": 1773054000, "ended_timestamp": 1773054390,
             "url": "https://northwind.example/checkout", "referer": "",
             "messages": [
                 {"user_type": "visitor", "author_name": "Sara Berg", "agent_id": "", "text":
                  "Can I still change the delivery address for my order?", "timestamp": 1773054000},
                 {"user_type": "agent", "author_name": "Tom Hale", "agent_id": "tom.hale@northwind.example",
                  "text": "Hi Sara, I'm Tom. Yes, until it ships. What is the order number?", "timestamp": 1773054052},
                 {"user_type": "visitor", "author_name": "Sara Berg", "agent_id": "", "text": "It's 60231",
                  "timestamp": 1773054075},
                 {"user_type": "supervisor", "author_name": "Ines Moreau", "agent_id": "ines.moreau@northwind.example",
                  "text": "Offer free express shipping for the trouble", "timestamp": 1773054101},
                 {"user_type": "agent", "author_name": "Tom Hale", "agent_id": "tom.hale@northwind.example",
                  "text": "Done: 60231 goes to the new address, and I've upgraded it to express at no cost.",
                  "timestamp": 1773054190}],
             "attachments": [], "agents": [{"name": "Tom Hale", "login": "tom.hale@northwind.example"}],
             "tags": ["delivery"], "groups": [0]},
    "visitor": {"id": "S1773053950.5c1e0a9b7f", "name": "Sara Berg", "email": "sara.berg@example.com",
                "country": "Sweden", "city": "Malmo"},
    "pre_chat_survey": [{"key": "Name:", "value": "Sara Berg", "id": "2"}],
}

README = b"""Support archive, week 11 (made up for chatqa's samples)

intercom/  Intercom webhook notifications, one per line, gzipped
livechat/  a LiveChat v2 chat_ended webhook body
"""


def livechat_webhooks() -> bytes:
    return "".join(json.dumps(hook, ensure_ascii=False) + "\n" for hook in LIVECHAT_WEBHOOKS).encode()


def support_archive() -> bytes:
    members = {
        "README.md": README,
        "intercom/notifications-2026-03-09.jsonl.gz": gzip.compress(
            "".join(json.dumps(n) + "\n" for n in INTERCOM_WEBHOOKS).encode(), mtime=0),
        "livechat/chat_ended-MH022RD0K5.json": json.dumps(LIVECHAT_V2_WEBHOOK, indent=2).encode(),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=(2026, 3, 10, 9, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


FILES = {"livechat_webhooks.jsonl": livechat_webhooks, "support_archive.zip": support_archive}

if __name__ == "__main__":
    for name, make in FILES.items():
        (SAMPLES / name).write_bytes(make())
        print(f"wrote {SAMPLES / name}")
