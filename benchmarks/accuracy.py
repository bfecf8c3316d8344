"""Finding counts and reading samples per rule and corpus, for judging precision by hand.

For each corpus (TWCS sample, IBM Twitter CDP, NTCIR-14 STC-3 English) this runs the chosen
rules and prints how many conversations each rule flags, then a seeded random sample of
findings with the quoted text and its message, to read and judge (docs/accuracy.md says how).
``--misses CODE`` prints instead a sample of customer (or agent) messages that hold a word
from the rule's theme but gave no finding, for estimating recall (for CQ103: the conversations
ending on the customer that the rule took for a closing; for CQ302, the conversations where an
introduction was found; for CQ303, those with three apology words and no finding). Rules that
judge chat only (CQ302, CQ305) read every thread as a chat (``--as-chat``).

    CHATQA_CORPORA=/path/to/corpora python benchmarks/accuracy.py [--rules CQ601,CQ602] [--n 30] [--seed 1]
    CHATQA_CORPORA=... python benchmarks/accuracy.py --misses CQ601 --n 40

The corpora folder defaults to ``../shared/corpora``.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPORA = {
    "twcs": ["twcs-sample/twcs.csv"],
    "ibm": ["ibm-twitter-cdp/dev.json", "ibm-twitter-cdp/test.json"],
    "stc3": ["ntcir14-stc3-en/train_data_en.json", "ntcir14-stc3-en/test_data_en.json"],
}
NEW_RULES = ["CQ206", "CQ304", "CQ305", "CQ601", "CQ602"]
# Words that suggest a rule's theme, to look for misses (messages holding one but not flagged).
THEMES = {
    "CQ601": ("customer", r"angry|annoy|frustrat|ridiculous|worst|useless|unacceptable|joke|terrible|awful|horrible"
                          r"|pathetic|disgust|fed up|sick of|again|still|!!|\?\?|wtf|smh|ffs|hate|rubbish|shit"),
    "CQ602": ("customer", r"still|not work|didn.t|doesn.t|forget|never mind|cancel|elsewhere|give up|no reply|nothing"),
    "CQ206": ("agent", r"should have|as i|like i|already|calm|fault|nothing (i|we)|problem|told you|read"),
    "CQ304": ("customer", r"upset|frustrat|worried|stress|angry|ruin|disappoint|annoy"),
    "CQ305": ("agent", r"anything else|let (me|us) know|hope|help|glad|feel free|question"),
    "CQ401": ("any", r"\d(?:[ -]?\d){12,18}"),
    "CQ402": ("agent", r"card|cvv|cvc|security code|password|passcode|pin\b"),
    # the wording rules (issue 11): theme words of each rule, on agent messages
    "CQ201": ("agent", r"\bhold\b|\bwait|moment|minute|\bsec\b|second|patien|bear with|hang on|be right back"),
    "CQ203": ("agent", r"busy|volume|demand|queue|many (customers|people|users|requests|messages)"
                       r"|other (customers|chats)|influx|backlog|swamped|overwhelm|longer than (usual|normal)"
                       r"|wait times|response times"),
    "CQ204": ("agent", r"click|\btap|select|choose|navigate|go to|head to|scroll|press|menu|settings|>|\uff1e|\u2192"),
    "CQ205": ("agent", r"guarantee|promise|assure|definitely|certainly|100 ?%|for sure|absolutely|surely|rest assured"),
    "CQ303": ("agent", r"sorry|apolog|regret|forgive|pardon"),
    "CQ302": ("agent", r"."),  # every agent: their first two messages, read for a name
}
# CQ103's misses are read differently: conversations that end on the customer's message and that
# the rule took for a closing (``--misses CQ103`` prints their last customer message).

# Rules judged on chat only by default, measured here with the corpora's threads read as chat
# (`--as-chat`): the wording detection, not whether the rule applies to social threads.
AS_CHAT = ("CQ302", "CQ305")


def corpora() -> Path:
    """The corpora folder: $CHATQA_CORPORA, else ../shared/corpora beside the repository."""
    path = Path(os.environ.get("CHATQA_CORPORA") or ROOT.parent / "shared" / "corpora")
    if not path.is_dir():
        sys.exit(f"accuracy: no corpora folder at {path} (set CHATQA_CORPORA)")
    return path


def run(folder: Path, codes: list[str], as_chat: bool = False) -> dict[str, list[tuple[object, object]]]:
    """corpus -> [(result, transcript)] for every conversation, with only `codes` checked
    (`as_chat`: every thread read as a chat)."""
    import chatqa
    from chatqa.config import Config
    from chatqa.records import Channel
    from chatqa.run import engine_for

    engine = engine_for(Config(select=codes))
    out = {}
    for name, files in CORPORA.items():
        transcripts = [t for f in files for t in chatqa.load(str(folder / f))]
        if as_chat:
            transcripts = [t.model_copy(update={"channel": Channel.CHAT}) for t in transcripts]
        out[name] = [(engine.check(t), t) for t in transcripts]  # type: ignore[attr-defined]
    return out


def show(text: str, span: tuple[int, int] | None, width: int = 220) -> str:
    """A message on one line, the quote in [brackets], cut around it (card numbers masked)."""
    from chatqa.redact import mask_cards

    text = text.replace("\n", " ")
    if span is None:
        return mask_cards(text[:width])
    a, b = span
    lo = max(0, a - width // 2)
    return mask_cards(("…" if lo else "") + text[lo:a] + "[" + text[a:b] + "]" + text[b:b + width // 2])


def _ends(text: str, width: int = 70) -> str:
    """A message's start and end on one line (where introductions and sign-offs are)."""
    text = text.replace("\n", " ")
    return text if len(text) <= 2 * width else text[:width] + " … " + text[-width:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", default=",".join(NEW_RULES), help="comma-separated codes")
    parser.add_argument("--n", type=int, default=30, help="findings (or misses) to print per rule and corpus")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--misses", metavar="CODE", help="print unflagged messages on the rule's theme instead")
    parser.add_argument("--corpus", choices=sorted(CORPORA), action="append", help="only these corpora")
    parser.add_argument("--as-chat", action="store_true",
                        help=f"read every thread as a chat (default for {', '.join(AS_CHAT)})")
    args = parser.parse_args()
    codes = [args.misses] if args.misses else [c.strip() for c in args.rules.split(",") if c.strip()]
    results = run(corpora(), codes, args.as_chat or any(c in AS_CHAT for c in codes))
    for name, pairs in results.items():
        if args.corpus and name not in args.corpus:
            continue
        if args.misses:
            _misses(name, pairs, args.misses, args.n, args.seed)
            continue
        print(f"== {name}: {len(pairs)} conversations")
        for code in codes:
            found = [(f, t) for r, t in pairs for f in r.findings if f.code == code]  # type: ignore[attr-defined]
            flagged = len({t.id for _, t in found})  # type: ignore[attr-defined]
            na = sum(code in r.not_applicable for r, _ in pairs)  # type: ignore[attr-defined]
            print(f"-- {code}: {len(found)} findings in {flagged} conversations ({na} not applicable)")
            for f, t in random.Random(args.seed).sample(found, min(args.n, len(found))):
                if f.message_index is None and code == "CQ302":  # the agents' first two messages, ends included
                    head = [m for m in t.messages if m.role.value == "agent"][:2]  # type: ignore[attr-defined]
                    print(f"   {t.id}: " + " || ".join(_ends(m.text) for m in head))  # type: ignore[attr-defined]
                elif f.message_index is None:  # whole-conversation finding: the agent's last messages
                    tail = [m for m in t.messages if m.role.value == "agent"][-3:]  # type: ignore[attr-defined]
                    print(f"   {t.id}: " + " || ".join(show(m.text, None, 120) for m in tail))  # type: ignore[attr-defined]
                else:
                    m = t.messages[f.message_index]  # type: ignore[attr-defined]
                    print(f"   {t.id}#{f.message_index}: {show(m.text, f.span)}")  # type: ignore[attr-defined]
                    if code in ("CQ101", "CQ102"):  # the wait the rule judged, and the posts the reply answers
                        from chatqa.metrics import replies

                        print(f"      {f.message}")  # type: ignore[attr-defined]
                        for c, a, _ in replies(t):  # type: ignore[arg-type]
                            if a.index == f.message_index:
                                for x in t.messages[c.index:a.index]:  # type: ignore[attr-defined]
                                    if x.role.value == "customer" and not x.bystander:
                                        print(f"      customer: {show(x.text, None, 160)}")
                    if code == "CQ304":  # the agent's next messages, to judge the missing acknowledgement
                        later = [x for x in t.messages[f.message_index + 1:]  # type: ignore[attr-defined]
                                 if x.role.value == "agent"][:2]
                        for x in later:
                            print(f"      agent: {show(x.text, None, 160)}")


def _closed(name: str, pairs: list[tuple[object, object]], n: int, seed: int) -> None:
    """CQ103: the conversations ending on a customer message (not a bystander's) that the rule
    took for a closing, with that message."""
    closed = []
    for r, t in pairs:
        if any(f.code == "CQ103" for f in r.findings):  # type: ignore[attr-defined]
            continue
        chat = [m for m in t.messages if m.kind.value == "message" and not m.internal  # type: ignore[attr-defined]
                and m.role.value in ("customer", "agent") and not m.bystander]
        if chat and chat[-1].role.value == "customer":
            closed.append((t.id, chat[-1]))  # type: ignore[attr-defined]
    print(f"== {name}: {len(closed)} conversations end on the customer and were taken for a closing; a sample:")
    for cid, m in random.Random(seed).sample(closed, min(n, len(closed))):
        print(f"   {cid}#{m.index}: {show(m.text, None)}")


def _misses(name: str, pairs: list[tuple[object, object]], code: str, n: int, seed: int) -> None:
    if code == "CQ103":
        _closed(name, pairs, n, seed)
        return
    role, theme = THEMES[code]
    rx = re.compile(theme, re.I)
    misses = []
    for r, t in pairs:
        flagged = {f.message_index for f in r.findings}  # type: ignore[attr-defined]
        if code in WHOLE and (r.findings or code in r.not_applicable):  # type: ignore[attr-defined]
            continue
        messages = [m for m in t.messages if role == "any" or m.role.value == role]  # type: ignore[attr-defined]
        if code == "CQ602":  # the rule reads how the customer ended: their last message
            messages = messages[-1:]
        if code == "CQ302":  # an introduction was found in the agents' first two messages: is it one?
            misses.append((t.id, " || ".join(_ends(m.text) for m in messages[:2])))  # type: ignore[attr-defined]
            continue
        if code == "CQ303":  # fewer than 3 apologies found: count the theme words instead
            if sum(len(rx.findall(m.text)) for m in messages) >= 3:
                misses.append((t.id, _joined(messages, rx)))  # type: ignore[attr-defined]
            continue
        for m in messages:
            if m.index not in flagged and rx.search(m.text):
                misses.append((t.id, m))  # type: ignore[attr-defined]
    what = "conversations" if code in WHOLE else f"{role} messages"
    print(f"== {name}: {len(misses)} unflagged {what} on the {code} theme; a sample:")
    for cid, m in random.Random(seed).sample(misses, min(n, len(misses))):
        if isinstance(m, str):
            print(f"   {cid}: {m}")
        else:
            print(f"   {cid}#{m.index}: {show(m.text, None)}")


WHOLE = ("CQ302", "CQ303", "CQ305")  # rules with one finding per conversation: misses are conversations


def _joined(messages: list[object], rx: re.Pattern[str]) -> str:
    """The agent messages that hold a theme word, one line, cut."""
    return " || ".join(show(m.text, None, 160) for m in messages if rx.search(m.text))  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
