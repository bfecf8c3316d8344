"""Write a synthetic corpus of support chats in chatqa's neutral JSONL, for benchmarks.

Conversations have 10-40 messages with realistic wording and a large vocabulary (product
names, order numbers, made-up words), so tokenizers see many distinct strings; a few percent
of agent messages trigger rules (hold requests, multichat disclosure, card numbers, slow
replies), and agents work several chats at once.

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
    "thanks, bye",
    "that worked, thank you so much!",
    "still not working, I tried {word} and {word2} already",
]
URGENT = "I'm in a hurry, I have to leave in 5 minutes"
GREETINGS = [
    "Hi {name}, I'm {agent}. Let me check that for you.",
    "Hello {name}, this is {agent} from the support team. How can I help?",
    "Hi there, my name is {agent}. I'll look into this for you.",
]
AGENT = [
    "Thanks for the details. I can see order {order} left our {city} warehouse on {day}.",
    "I've issued a refund of {amount} to your original payment method, it takes 3-5 business days.",
    "Could you try clearing the cache in {word2} and restarting your {device}?",
    "I'm looking into it now, this may take a moment.",
    "I've updated the address on order {order} to {street}.",
    "Your {product} is covered by the warranty, I've created a replacement order {order}.",
    "The {word} issue is known and our team is working on a fix for version {version}.",
    "Is there anything else I can help you with today?",
    "I've sent a new reset link to {email}, it expires in 15 minutes.",
    "Happy to help, {name}! Have a great {day}.",
]
TRIGGERS = [
    "Please hold while I check.",
    "Sorry, I'm helping other customers at the moment.",
    "Could you type the full card number here so I can retry the payment?",
    "I guarantee it will arrive tomorrow.",
    "Just click on Settings and then Privacy.",
    "bear with me, one sec",
]
CUSTOMER_CARD = "my card is 4111 1111 1111 1111, can you just charge it?"
NAMES = ["Ann", "Bob", "Carla", "Dmitri", "Ella", "Farah", "Gus", "Hana", "Ivan", "Jo", "Kemal", "Lena", "Mia",
         "Noah", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tara", "Uma", "Viktor", "Wen", "Xavi", "Yara", "Zoe"]
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


def conversation(i: int, rng: random.Random, start: datetime, agents: list[str]) -> dict:
    customer = rng.choice(NAMES)
    agent = rng.choice(agents)
    n = rng.randint(10, 40)
    t = start
    messages = []
    role = "customer"
    greeted = False
    for k in range(n):
        if role == "customer":
            roll = rng.random()
            template = CUSTOMER_CARD if roll < 0.005 else URGENT if roll < 0.025 else rng.choice(CUSTOMER)
            text = fill(template, rng, customer, agent)
            t += timedelta(seconds=rng.randint(5, 90))
            messages.append({"role": "customer", "author": customer, "time": t.isoformat().replace("+00:00", "Z"),
                             "text": text})
        else:
            # Most agents introduce themselves in their first message; a few percent of agent
            # messages trigger a wording rule.
            if not greeted and rng.random() < 0.75:
                text = fill(rng.choice(GREETINGS), rng, customer, agent.split("@")[0].title())
            elif rng.random() < 0.04:
                text = rng.choice(TRIGGERS)
            else:
                text = fill(rng.choice(AGENT), rng, customer, agent)
            greeted = True
            t += timedelta(seconds=rng.randint(10, 200) if k > 1 else rng.randint(10, 150))
            messages.append({"role": "agent", "author": agent.split("@")[0].title(), "author_id": agent,
                             "time": t.isoformat().replace("+00:00", "Z"), "text": text})
        if rng.random() < 0.7:
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
    agents = [f"agent{k:04d}@example.com" for k in range(args.agents or max(2, args.count // 50))]
    base = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    with args.output.open("w", encoding="utf-8") as out:
        for i in range(args.count):
            # Start times spread over working hours: with ~50 chats per agent per day, agents overlap.
            start = base + timedelta(days=i // 5000, seconds=rng.randint(0, 9 * 3600))
            out.write(json.dumps(conversation(i, rng, start, agents)) + "\n")


if __name__ == "__main__":
    main()
