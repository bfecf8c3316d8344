"""Checking: the selected rules over one conversation, then the score.

Rules that need the whole run (canned templates, agent concurrency) are a map-reduce: each
conversation is checked by every other rule and leaves a note (`Engine.map`), the notes are
folded into a run state in run order (`observe`, `merge`) and finished once the run is read
(`finish`), and the result completes each conversation (`Engine.complete`). `chatqa.run.Run`
drives this for every entry point.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

import msgspec

from .config import Config, check_selectors, select_rules
from .errors import ConfigError
from .kinds import Context, Rule
from .kinds.corpus import CannedRule
from .match import PhraseIndex
from .match.lexicon import load_lexicon
from .metrics import Facts, business_waits, compute
from .model import Transcript
from .records import Conversation, mark_bystanders
from .redact import mask_cards, redact, shown_id
from .results import Finding, Result
from .rulepack import load_catalogue, pack_folders, with_options
from .scoring import Scorer
from .suggest import did_you_mean


class Partial(msgspec.Struct, array_like=True):
    """A conversation checked by every rule but the run-level ones: its result so far, the notes
    those rules took (`notes`, in rule order, each pickled unless the rule declares its
    `note_type`) and, when the run keeps them, the conversation."""

    result: Result
    notes: tuple[Any, ...]
    conversation: bytes | None = None


class Engine:
    """The rule pack, selected and configured, ready to check conversations."""

    def __init__(self, config: Config | None = None) -> None:
        self.config = config = config or Config()
        catalogue = {r.code: r for r in load_catalogue(config.rulesets)}
        names = {r.name: r.code for r in catalogue.values()}
        problems: list[str] = []  # every config problem is reported at once
        for key, options in config.rules.items():
            code = key if key in catalogue else names.get(key)
            if code is None:
                hint = did_you_mean(key, [*catalogue, *names])
                problems.append(f"{config.where('rules')}.{key}: unknown rule{hint} (see `chatqa rules`)")
            elif not isinstance(options, dict):
                problems.append(f"{config.where('rules')}.{key}: expected a table of options")
            else:
                try:
                    catalogue[code] = with_options(catalogue[code], options, config.where("rules"))
                except ConfigError as exc:
                    problems.append(str(exc))
        if config.canned_library:
            for code, rule in catalogue.items():
                if isinstance(rule, CannedRule) and rule.library is None:
                    catalogue[code] = rule.model_copy(update={"library": config.canned_library})
        self.catalogue = list(catalogue.values())
        for key in ("select", "ignore", "extend_select", "extend_ignore"):
            problems += check_selectors(getattr(config, key), self.catalogue, config.where(key))
        if problems:
            raise ConfigError("\n".join(problems))
        self.rules: list[Rule] = select_rules(self.catalogue, [*config.select, *config.extend_select],
                                              [*config.ignore, *config.extend_ignore])
        lookup = {**catalogue, **{r.name: r for r in catalogue.values()}}
        self.index = PhraseIndex(load_lexicon(pack_folders(config.rulesets)))
        for rule in self.rules:
            try:
                rule.prepare(self.index, lookup)
            except ValueError as exc:
                raise ConfigError(f"{rule.path}: error: {exc}") from None
            if isinstance(rule, CannedRule):
                _ = rule.library_keys  # read the library now: a bad path is a config error, not a crash later
        self.corpus_rules = [r for r in self.rules if r.corpus]
        self.local_rules = [r for r in self.rules if not r.corpus]
        self._order = {r.code: i for i, r in enumerate(self.rules)}
        self.scorer = Scorer(config.scorecard, self.rules)
        self.calendar = config.business_hours.calendar() if config.business_hours is not None else None
        self._typed = [r.note_type is not None for r in self.corpus_rules]
        note_types = tuple(r.note_type if r.note_type is not None else bytes for r in self.corpus_rules)
        # A Partial whose notes are typed as the corpus rules declare them (a struct built at run time).
        notes_type = tuple[note_types] if note_types else tuple  # type: ignore[valid-type]  # a run-time type
        self._decode_partial: Callable[[bytes], Any] = msgspec.msgpack.Decoder(
            msgspec.defstruct("Partial", [("result", Result), ("notes", notes_type), ("conversation", bytes | None)],
                              array_like=True)).decode
        self._encode = msgspec.msgpack.Encoder().encode

    # -- one conversation ----------------------------------------------------------------

    def map(self, conversation: Conversation, keep: bool = False) -> Partial:
        """Check `conversation` with every rule except the run-level ones, which take notes;
        with `keep`, the result will carry the conversation."""
        self.index.refresh()
        channel = self.config.channel or conversation.channel
        if channel is not conversation.channel:  # --channel: the run judges every conversation as this channel
            conversation = msgspec.structs.replace(conversation, channel=channel)
            mark_bystanders(conversation.lines, channel)  # who is a bystander depends on the channel
        lines = conversation.lines
        facts = Facts(lines)
        business = business_waits(facts.replies, self.calendar) if self.calendar is not None else None
        metrics = compute(conversation, facts, business)
        ctx = Context(conversation, metrics, self.index, facts, business, self.calendar)
        findings: list[Finding] = []
        not_applicable: list[str] = []
        for rule in self.local_rules:
            if rule.judges(channel) and rule.applies(ctx):
                findings.extend(rule.check(ctx))
            else:
                not_applicable.append(rule.code)
        c, shown = conversation, self._shown
        # Every string of a result is masked here (in the workers with --jobs), before any output
        # sees it; agents keep their ids (a QA lead's agent column), card numbers masked.
        result = Result(id=shown_id(c.id, self.config.redact), vendor=shown(c.vendor), source=shown(c.source),
                        agents=tuple(mask_cards(a) for a in facts.agents), started_at=c.started_at,
                        ended_at=c.ended_at, metrics=metrics, score=None, subscores={},
                        findings=tuple(self._redact(findings)), not_applicable=tuple(not_applicable),
                        tags=tuple(shown(t) for t in c.tags), words=facts.words,
                        channel=channel.value)
        notes = tuple(rule.note(ctx) if rule.judges(channel) else rule.no_note() for rule in self.corpus_rules)
        return Partial(result, notes, pickle.dumps(conversation, pickle.HIGHEST_PROTOCOL) if keep else None)

    def _shown(self, value: str) -> str:
        """`value` as outputs may show it: card numbers masked, and emails and phone numbers
        unless redaction is off."""
        return redact(value, personal=self.config.redact)

    def _redact(self, findings: list[Finding]) -> list[Finding]:
        """`findings` with card numbers (and, unless redaction is off, personal data) masked in
        quotes, messages and the conversations they name."""
        return [_redacted(f, self.config.redact) for f in findings]

    def encode(self, partial: Partial) -> bytes:
        """`partial` as the spill holds it (MessagePack)."""
        if all(self._typed):
            return self._encode(partial)
        notes = tuple(n if typed else pickle.dumps(n, pickle.HIGHEST_PROTOCOL) for n, typed in
                      zip(partial.notes, self._typed, strict=True))
        return self._encode(Partial(partial.result, notes, partial.conversation))

    def decode(self, data: bytes | Partial) -> Partial:
        """The partial `encode` wrote (a partial is returned as it is)."""
        if isinstance(data, Partial):
            return data
        found = self._decode_partial(data)
        notes = found.notes
        if not all(self._typed):
            notes = tuple(n if typed else pickle.loads(n) for n, typed in zip(notes, self._typed, strict=True))
        return Partial(found.result, notes, found.conversation)

    def new_states(self) -> dict[str, Any]:
        """Empty run states of the run-level rules."""
        return {r.code: r.new_state() for r in self.corpus_rules}

    def observe(self, notes: tuple[Any, ...], states: dict[str, Any]) -> None:
        """Fold one conversation's notes into the run states (in run order)."""
        for rule, note in zip(self.corpus_rules, notes, strict=True):
            states[rule.code] = rule.observe(note, states[rule.code])

    def merge(self, a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
        """Combine the run states of two consecutive parts of a run."""
        return {r.code: r.merge(a[r.code], b[r.code]) for r in self.corpus_rules}

    def finish(self, states: dict[str, Any]) -> dict[str, Any]:
        """The run-level results the conversations are completed with."""
        return {r.code: r.finish(states[r.code]) for r in self.corpus_rules}

    def complete(self, partial: Partial, corpus: dict[str, Any]) -> Result:
        """Apply the run-level results to a mapped conversation: its final Result."""
        r = partial.result
        metrics, findings, not_applicable = r.metrics, list(r.findings), list(r.not_applicable)
        extra: dict[str, Any] = {}
        added = False
        for rule, note in zip(self.corpus_rules, partial.notes, strict=True):
            outcome = rule.conclude(note, corpus[rule.code])
            extra.update(outcome.metrics)
            if not outcome.applies:
                not_applicable.append(rule.code)
            elif outcome.findings:
                findings.extend(self._redact(outcome.findings))
                added = True
        if extra:
            metrics = msgspec.structs.replace(metrics, **extra)
        if added or len(findings) > 1:
            findings.sort(key=_finding_order)
        if len(not_applicable) > len(r.not_applicable):
            not_applicable.sort(key=self._order.__getitem__)
        score, subscores = self.scorer.score(findings, not_applicable)
        result = msgspec.structs.replace(r, metrics=metrics, findings=tuple(findings),
                                         not_applicable=tuple(not_applicable), score=score, subscores=subscores)
        if partial.conversation is not None:
            result.conversation = pickle.loads(partial.conversation)  # type: ignore[attr-defined]
        return result

    def check(self, conversation: Conversation | Transcript, corpus: dict[str, Any] | None = None) -> Result:
        """Metrics, findings and score for one conversation (a Transcript is taken as given);
        the result carries the conversation.

        Run-level rules see `corpus` (from `finish`), or else a run of this conversation alone.
        """
        given = conversation
        if isinstance(conversation, Transcript):
            conversation = Conversation.of(conversation)
        partial = self.map(conversation)
        if corpus is None:
            states = self.new_states()
            self.observe(partial.notes, states)
            corpus = self.finish(states)
        result = self.complete(partial, corpus)
        result.conversation = given  # type: ignore[attr-defined]
        return result


def _finding_order(f: Finding) -> tuple[int, int, str]:
    return (-1 if f.message_index is None else f.message_index, f.span[0] if f.span else 0, f.code)


def _redacted(finding: Finding, personal: bool) -> Finding:
    quote = redact(finding.quote, personal=personal) if finding.quote else finding.quote
    message = redact(finding.message, personal=personal)
    others = finding.conversations
    if others:
        others = tuple(shown_id(other, personal) for other in others)
    if quote == finding.quote and message == finding.message and others == finding.conversations:
        return finding
    return msgspec.structs.replace(finding, quote=quote, message=message, conversations=others)
