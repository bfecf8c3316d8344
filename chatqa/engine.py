"""Run checks: the selected rules over each transcript, then the score.

Rules that need the whole run (canned templates, agent concurrency) are a map-reduce: each
conversation is checked by every other rule and leaves a note (`Engine.map`), the notes are
folded into a run state in run order (`observe`) and finished once the run is read, and the
result completes each conversation (`Engine.complete`). `Engine.run` does this in one pass
over the input, keeping the checked conversations in a temporary spill file meanwhile.
"""

from __future__ import annotations

import contextlib
import gc
import pickle
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any, NamedTuple

from .config import Config, check_selectors, select_rules
from .errors import ConfigError
from .kinds import Context, Rule
from .kinds.corpus import CannedRule
from .matching import PhraseIndex
from .metrics import Facts, Metrics, compute
from .model import Transcript, pack_transcript
from .redact import redact
from .results import Finding, Result
from .rulepack import load_catalogue, with_options
from .scoring import Scorer


@dataclass(slots=True)
class Partial:
    """A conversation checked by every rule except the run-level ones, with their notes."""

    transcript: Transcript | None
    header: tuple[Any, ...]  # id, vendor, source, started_at, ended_at, tags
    agents: tuple[str, ...]
    words: int
    metrics: Metrics
    findings: list[Finding]
    not_applicable: set[str]
    notes: dict[str, Any]
    packed: tuple[Any, ...] | None = None  # the transcript packed for a spill file

    def pack(self, keep_transcript: bool) -> None:
        """Swap the transcript for its packed form (or drop it), before pickling."""
        if self.transcript is not None:
            self.packed = pack_transcript(self.transcript) if keep_transcript else None
            self.transcript = None
        elif not keep_transcript:
            self.packed = None

    def __reduce__(self) -> tuple[Any, ...]:
        # Plain tuples pickle several times faster than pydantic models.
        findings = [(f.code, f.rule, f.level.value, f.message, f.message_index, f.span, f.quote, f.sent_at,
                     f.conversations) for f in self.findings]
        return (_unpickle_partial, (self.transcript, self.header, self.agents, self.words,
                                    tuple(self.metrics.__dict__.values()), findings, self.not_applicable,
                                    self.notes, self.packed))


class Pickled(NamedTuple):
    """A mapped conversation as a worker process sends it: the notes the run-level rules fold
    in, and the rest pickled (written to the spill file as it is)."""

    notes: dict[str, Any]
    data: bytes

    @classmethod
    def of(cls, partial: Partial, keep_transcript: bool) -> Pickled:
        """Pack `partial` (with its transcript only if `keep_transcript`)."""
        partial.pack(keep_transcript)
        return cls(partial.notes, pickle.dumps(partial, protocol=pickle.HIGHEST_PROTOCOL))

    def partial(self) -> Partial:
        """The mapped conversation."""
        return pickle.loads(self.data)  # type: ignore[no-any-return]


_FINDING_FIELDS = tuple(Finding.model_fields)
_METRIC_FIELDS = tuple(Metrics.model_fields)


def _unpickle_partial(transcript: Transcript | None, header: tuple[Any, ...], agents: tuple[str, ...], words: int,
                      metrics: tuple[Any, ...], findings: list[tuple[Any, ...]], not_applicable: set[str],
                      notes: dict[str, Any], packed: tuple[Any, ...] | None) -> Partial:
    return Partial(transcript, header, agents, words, Metrics(**dict(zip(_METRIC_FIELDS, metrics, strict=True))),
                   [Finding(**dict(zip(_FINDING_FIELDS, f, strict=True))) for f in findings], not_applicable,
                   notes, packed)


class Engine:
    """The rule pack, selected and configured, ready to check transcripts."""

    def __init__(self, config: Config | None = None) -> None:
        self.config = config = config or Config()
        catalogue = {r.code: r for r in load_catalogue(config.rulesets)}
        names = {r.name: r.code for r in catalogue.values()}
        for key, options in config.rules.items():
            code = key if key in catalogue else names.get(key)
            if code is None:
                raise ConfigError(f"{config.where('rules')}.{key}: unknown rule (see `chatqa rules`)")
            if not isinstance(options, dict):
                raise ConfigError(f"{config.where('rules')}.{key}: expected a table of options")
            catalogue[code] = with_options(catalogue[code], options, config.where("rules"))
        if config.canned_library:
            for code, rule in catalogue.items():
                if isinstance(rule, CannedRule) and rule.library is None:
                    catalogue[code] = rule.model_copy(update={"library": config.canned_library})
        self.catalogue = list(catalogue.values())
        check_selectors(config.select, self.catalogue, config.where("select"))
        check_selectors(config.ignore, self.catalogue, config.where("ignore"))
        self.rules: list[Rule] = select_rules(self.catalogue, config.select, config.ignore)
        lookup = {**catalogue, **{r.name: r for r in catalogue.values()}}
        self.index = PhraseIndex()
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

    # -- one conversation ----------------------------------------------------------------

    def map(self, transcript: Transcript) -> Partial:
        """Check `transcript` with every rule except the run-level ones, which take notes."""
        facts = Facts(transcript)
        metrics = compute(transcript, facts)
        self.index.refresh()
        ctx = Context(transcript, metrics, self.index, facts)
        findings: list[Finding] = []
        not_applicable: set[str] = set()
        for rule in self.local_rules:
            if rule.applies(ctx):
                findings.extend(rule.check(ctx))
            else:
                not_applicable.add(rule.code)
        findings = self._redact(findings)  # here rather than in `complete`: with --jobs, in the workers
        notes = {rule.code: rule.note(ctx) for rule in self.corpus_rules}
        t = transcript
        return Partial(t, (t.id, t.vendor, t.source, t.started_at, t.ended_at, t.tags), tuple(facts.agents),
                       facts.words, metrics, findings, not_applicable, notes)

    def _redact(self, findings: list[Finding]) -> list[Finding]:
        """`findings` with personal data masked in quotes and messages (unless redaction is off)."""
        return [_redacted(f) for f in findings] if self.config.redact else findings

    def new_states(self) -> dict[str, Any]:
        """Empty run states of the run-level rules."""
        return {r.code: r.new_state() for r in self.corpus_rules}

    def observe(self, notes: dict[str, Any], states: dict[str, Any]) -> None:
        """Fold one conversation's notes into the run states (in run order)."""
        for rule in self.corpus_rules:
            states[rule.code] = rule.observe(notes[rule.code], states[rule.code])

    def merge(self, a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
        """Combine the run states of two consecutive parts of a run."""
        return {r.code: r.merge(a[r.code], b[r.code]) for r in self.corpus_rules}

    def finish(self, states: dict[str, Any]) -> dict[str, Any]:
        """The run-level results the conversations are completed with."""
        return {r.code: r.finish(states[r.code]) for r in self.corpus_rules}

    def complete(self, partial: Partial, corpus: dict[str, Any]) -> Result:
        """Apply the run-level results to a mapped conversation: its final Result."""
        metrics, findings, not_applicable = partial.metrics, list(partial.findings), set(partial.not_applicable)
        extra: dict[str, Any] = {}
        for rule in self.corpus_rules:
            outcome = rule.conclude(partial.notes[rule.code], corpus[rule.code])
            extra.update(outcome.metrics)
            if outcome.applies:
                findings.extend(self._redact(outcome.findings))
            else:
                not_applicable.add(rule.code)
        if extra:
            metrics = Metrics(**{**metrics.__dict__, **extra})
        findings.sort(key=lambda f: (-1 if f.message_index is None else f.message_index,
                                     f.span[0] if f.span else 0, f.code))
        skipped = sorted(not_applicable, key=self._order.__getitem__)
        score, subscores = self.scorer.score(findings, skipped)
        tid, vendor, source, started_at, ended_at, tags = partial.header
        return Result.of(partial.transcript, partial.packed, id=tid, vendor=vendor, source=source,
                         started_at=started_at, ended_at=ended_at, tags=tags, agents=partial.agents,
                         metrics=metrics, findings=tuple(findings), score=score, subscores=subscores,
                         not_applicable=tuple(skipped), words=partial.words)

    def check(self, transcript: Transcript, corpus: dict[str, Any] | None = None) -> Result:
        """Metrics, findings and score for one conversation.

        Run-level rules see `corpus` (from `finish`), or else a run of this conversation alone.
        """
        partial = self.map(transcript)
        if corpus is None:
            states = self.new_states()
            self.observe(partial.notes, states)
            corpus = self.finish(states)
        return self.complete(partial, corpus)

    # -- a whole run ----------------------------------------------------------------------

    def run(self, transcripts: Iterable[Transcript], *, keep_transcripts: bool = True) -> Iterator[Result]:
        """Check every transcript, in input order, reading `transcripts` once.

        With run-level rules, results come once the whole input has been read (the mapped
        conversations wait in a temporary file, so memory stays flat). Without
        `keep_transcripts`, results of such runs do not carry their transcripts (faster).
        """
        yield from self.reduce((self.map(t) for t in transcripts), keep_transcripts=keep_transcripts)

    def reduce(self, partials: Iterable[Partial | Pickled], *, keep_transcripts: bool = True) -> Iterator[Result]:
        """Results of mapped conversations (from `map`, here or in worker processes), in order."""
        with fewer_collections():
            yield from self._reduce(partials, keep_transcripts)

    def _reduce(self, partials: Iterable[Partial | Pickled], keep_transcripts: bool) -> Iterator[Result]:
        if not self.corpus_rules:
            for partial in partials:
                yield self.complete(partial.partial() if isinstance(partial, Pickled) else partial, {})
            return
        states = self.new_states()
        with Spill() as spill:
            for partial in partials:
                self.observe(partial.notes, states)
                spill.write(partial, keep_transcripts)
            corpus = self.finish(states)
            for partial in spill:
                yield self.complete(partial, corpus)


def collect_less() -> tuple[int, int, int]:
    """Collect garbage less often (returns the old thresholds): a run allocates millions of
    short-lived objects without reference cycles, and collecting them is time for nothing."""
    old = gc.get_threshold()
    gc.set_threshold(max(old[0], 50_000), *old[1:])
    return old


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """`collect_less` for the duration of the block."""
    old = collect_less()
    try:
        yield
    finally:
        gc.set_threshold(*old)


class Spill:
    """Mapped conversations in an anonymous temporary file (deleted when closed)."""

    def __init__(self) -> None:
        self.file: IO[bytes] = tempfile.TemporaryFile(prefix="chatqa-")  # noqa: SIM115 - closed in __exit__

    def write(self, partial: Partial | Pickled, keep_transcript: bool) -> None:
        """Append one mapped conversation."""
        data = partial.data if isinstance(partial, Pickled) else Pickled.of(partial, keep_transcript).data
        self.file.write(len(data).to_bytes(4, "little") + data)

    def __iter__(self) -> Iterator[Partial]:
        self.file.flush()
        self.file.seek(0)
        read = self.file.read
        while head := read(4):
            yield pickle.loads(read(int.from_bytes(head, "little")))

    def __enter__(self) -> Spill:
        return self

    def __exit__(self, *exc: object) -> None:
        self.file.close()


def _redacted(finding: Finding) -> Finding:
    quote = redact(finding.quote) if finding.quote else finding.quote
    message = redact(finding.message)
    if quote == finding.quote and message == finding.message:
        return finding
    return finding.model_copy(update={"quote": quote, "message": message})
