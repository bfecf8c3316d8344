"""Write a synthetic corpus of support chats in chatqa's neutral JSONL, for benchmarks.

Conversations have 10-40 messages with realistic wording and a large vocabulary (product
names, order numbers, made-up words), so tokenizers see many distinct strings. Agent text is
composed from sentence fragments (a minority are true macros), replies are usually quick,
and a few percent of agent messages trigger rules (hold requests, multichat disclosure,
card numbers, slow replies, missing introductions); agents work several chats at once.

    python benchmarks/generate.py 20000 -o /tmp/chats.jsonl [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import random
import string
from datetime import UTC, datetime, timedelta
from pathlib import Path

CUSTOMER = [
    "Hi, my order {order} hasn't arrived yet and the tracking page says {word} {word2}",
    "I was charged twice for my {product} subscription this month",
    "hello? is anyone there",
    "The {product} I bought stopped working after the {word} update",
    "Can I change the delivery address for order {order}?",
    "I need a refund for the {product}, it arrived damaged",
    "ok thanks, and how long will the {word} take?",
    "my account {email} is locked and the reset link does not work",
    "the app keeps crashing when I open {word2} on my {device}",
    "why is my bill {amount} higher than last month??",
    "it says error {version} when I try to pay with {word}",
    "I already tried {word} and {word2}, nothing changed",
    "can you send it to {street} instead",
    "the {product} makes a {word} noise when it starts",
    "yes that's the one, ordered on {day}",
    "no I didn't get any email from {word}",
    "ok", "thanks", "sure", "one moment, let me look",
    "thanks, bye",
    "that worked, thank you so much!",
]
URGENT = "I'm in a hurry, I have to leave in 5 minutes"
CUSTOMER_CARD = "my card is 4111 1111 1111 1111, can you just charge it?"
GREETINGS = [
    "Hi {name}, I'm {agent}. Let me check that for you.",
    "Hello {name}, this is {agent} from the support team. How can I help?",
    "Hi there, my name is {agent}. I'll look into this for you.",
    "Good morning {name}! {agent} here, happy to help with the {product}.",
]
NO_INTRO = ["Hello! How can I help you today?", "Hi {name}, thanks for reaching out."]
# Agent replies are written from an opening, a body and sometimes a follow-up, so few repeat.
OPENINGS = ["", "", "", "Thanks {name}. ", "Got it. ", "I see. ", "Thanks for waiting. ", "Right, ",
            "Ok {name}, ", "Sorry about that. ", "Good news: "]
BODIES = [
    "I can see order {order} left our {city} warehouse on {day}.",
    "I've issued a refund of {amount} to your original payment method.",
    "could you try clearing the cache in {word2} and restarting your {device}?",
    "I'm looking into the {word} logs for your account now.",
    "I've updated the address on order {order} to {street}.",
    "your {product} is covered by the warranty, so I've created replacement order {order}.",
    "the {word} issue is known and a fix ships in version {version}.",
    "I've sent a new reset link to {email}, it expires in 15 minutes.",
    "the charge of {amount} on {day} was the {word} plan renewal.",
    "I've added a note for the {city} courier about the {word2} entrance.",
    "please update {word} to version {version} from the settings page.",
    "your {device} needs the {word2} driver, I've emailed the steps.",
    "the second payment of {amount} was a pre-authorisation and drops off by {day}.",
    "I've escalated ticket {order} to our {word} specialists.",
    "the {product} ships from {city} and should arrive by {day}.",
]
FOLLOW_UPS = ["", "", "", " Does that help?", " Let me know if it works.", " Anything else on this?",
              " You'll get an email confirmation shortly.", " Sorry for the trouble with the {product}."]
MACROS = [
    "Is there anything else I can help you with today?",
    "Thank you for contacting us, have a great day!",
    "I understand how frustrating this must be.",
]
TRIGGERS = [
    "Please hold while I check.",
    "Sorry, I'm helping other customers at the moment.",
    "Could you type the full card number here so I can retry the payment?",
    "I guarantee it will arrive tomorrow.",
    "Just click on Settings and then Privacy.",
    "bear with me, one sec",
]
NAMES = ["Ann", "Bob", "Carla", "Dmitri", "Ella", "Farah", "Gus", "Hana", "Ivan", "Jo", "Kemal", "Lena", "Mia",
         "Noah", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tara", "Uma", "Viktor", "Wen", "Xavi", "Yara", "Zoe"]
AGENT_NAMES = ["Sam", "Alex", "Becky", "Chris", "Dana", "Eli", "Fiona", "Grace", "Hugo", "Isla", "Jamal", "Kira",
               "Liam", "Maya", "Nina", "Oscar", "Paula", "Raj", "Sofia", "Tom", "Vera", "Will", "Yusuf", "Zara"]
PRODUCTS = ["blender", "router", "headphones", "jacket", "printer", "smartwatch", "kettle", "backpack", "monitor"]
DEVICES = ["iPhone 13", "Pixel 7", "Galaxy S22", "laptop", "iPad", "Windows PC", "MacBook"]
CITIES = ["Leeds", "Avonmouth", "Denver", "Lyon", "Porto", "Gdansk", "Osaka"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "weekend"]


def word(rng: random.Random) -> str:
    """A made-up word, so the vocabulary keeps growing like real text does."""
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(4, 10)))


def fill(template: str, rng: random.Random, customer: str, agent: str) -> str:
    return template.format(
        order=rng.randint(10**9, 10**10), word=word(rng), word2=word(rng), product=rng.choice(PRODUCTS),
        email=f"{customer.lower()}.{word(rng)}@example.com", device=rng.choice(DEVICES),
        amount=f"${rng.randint(5, 300)}.{rng.randint(0, 99):02d}", name=customer, agent=agent,
        city=rng.choice(CITIES), day=rng.choice(DAYS), street=f"{rng.randint(1, 200)} {word(rng).title()} Street",
        version=f"{rng.randint(1, 9)}.{rng.randint(0, 20)}",
    )


def agent_reply(rng: random.Random, customer: str, agent: str) -> str:
    roll = rng.random()
    if roll < 0.04:
        return rng.choice(TRIGGERS)
    if roll < 0.16:
        return rng.choice(MACROS)
    body = fill(rng.choice(BODIES), rng, customer, agent)
    opening = fill(rng.choice(OPENINGS), rng, customer, agent)
    if not opening or opening.endswith(". ") or opening.endswith(": "):
        body = body[0].upper() + body[1:]
    return opening + body + fill(rng.choice(FOLLOW_UPS), rng, customer, agent)


def delay(rng: random.Random, first: bool) -> int:
    """Seconds an agent takes to reply: usually well inside the targets, sometimes slow."""
    if rng.random() < (0.06 if first else 0.03):
        return rng.randint(130, 420)
    return max(3, int(rng.lognormvariate(3.3 if first else 3.5, 0.5)))


def conversation(i: int, rng: random.Random, start: datetime, agents: list[tuple[str, str]]) -> dict:
    customer = rng.choice(NAMES)
    agent_id, agent = rng.choice(agents)
    n = rng.randint(10, 40)
    t = start
    messages = []
    role = "customer"
    greeted = False
    for k in range(n):
        if role == "customer":
            roll = rng.random()
            template = CUSTOMER_CARD if roll < 0.005 else URGENT if roll < 0.025 else rng.choice(CUSTOMER)
            t += timedelta(seconds=rng.randint(5, 90))
            messages.append({"role": "customer", "author": customer, "time": t.isoformat().replace("+00:00", "Z"),
                             "text": fill(template, rng, customer, agent)})
        else:
            if not greeted:
                template = rng.choice(GREETINGS if rng.random() < 0.85 else NO_INTRO)
                text = fill(template, rng, customer, agent)
            else:
                text = agent_reply(rng, customer, agent)
            t += timedelta(seconds=delay(rng, first=not greeted))
            greeted = True
            messages.append({"role": "agent", "author": agent, "author_id": agent_id,
                             "time": t.isoformat().replace("+00:00", "Z"), "text": text})
        if rng.random() < 0.7 or k == 0:
            role = "agent" if role == "customer" else "customer"
    return {"id": f"syn-{i:07d}", "tags": [rng.choice(["billing", "orders", "tech", "account"])],
            "messages": messages}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("count", type=int)
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--agents", type=int, default=0, help="number of agents (default: count / 50)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    count = args.agents or max(2, args.count // 50)
    agents = []
    for k in range(count):
        name = AGENT_NAMES[k % len(AGENT_NAMES)]
        agents.append((f"{name.lower()}.{k:04d}@support.example.com", name))
    base = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with args.output.open("w", encoding="utf-8") as out:
        for i in range(args.count):
            # Start times spread over working hours: with ~50 chats per agent per day, agents overlap.
            start = base + timedelta(days=i // 5000, seconds=rng.randint(0, 9 * 3600))
            out.write(json.dumps(conversation(i, rng, start, agents)) + "\n")


if __name__ == "__main__":
    main()
