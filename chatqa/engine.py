"""Run checks: the selected rules over each transcript, then the score.

Rules that need the whole run (canned templates, agent concurrency) get a first pass over
the transcripts (`survey`) whose result every `check` then reads; `run` does both passes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .config import Config, check_selectors, select_rules
from .errors import ConfigError
from .kinds import Context, Rule
from .kinds.corpus import CannedRule
from .matching import PhraseIndex
from .metrics import agents, compute, word_count
from .model import Transcript
from .redact import redact
from .results import Finding, Result
from .rulepack import load_catalogue, with_options
from .scoring import Scorer


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
        self.scorer = Scorer(config.scorecard, self.rules)

    def survey(self, transcripts: Iterable[Transcript]) -> dict[str, Any]:
        """First pass: the run-level state of the corpus rules (templates, open intervals)."""
        states = {r.code: r.new_state() for r in self.corpus_rules}
        for transcript in transcripts:
            for rule in self.corpus_rules:
                states[rule.code] = rule.observe(transcript, states[rule.code])
        return {r.code: r.finish(states[r.code]) for r in self.corpus_rules}

    def check(self, transcript: Transcript, corpus: dict[str, Any] | None = None) -> Result:
        """Metrics, findings and score for one conversation (`corpus` from `survey`)."""
        metrics = compute(transcript)
        ctx = Context(transcript, metrics, self.index, corpus)
        for rule in self.rules:
            ctx.extra_metrics.update(rule.add_metrics(ctx))
        if ctx.extra_metrics:
            ctx.metrics = metrics = metrics.model_copy(update=ctx.extra_metrics)
        findings: list[Finding] = []
        not_applicable: list[str] = []
        for rule in self.rules:
            if rule.applies(ctx):
                findings.extend(rule.check(ctx))
            else:
                not_applicable.append(rule.code)
        if self.config.redact:
            findings = [_redacted(f) for f in findings]
        findings.sort(key=lambda f: (-1 if f.message_index is None else f.message_index,
                                     f.span[0] if f.span else 0, f.code))
        score, subscores = self.scorer.score(findings, not_applicable)
        return Result(transcript=transcript, agents=tuple(agents(transcript)), metrics=metrics,
                      findings=tuple(findings), score=score, subscores=subscores,
                      not_applicable=tuple(not_applicable), words=word_count(transcript))

    def run(self, transcripts: Callable[[], Iterable[Transcript]]) -> Iterator[Result]:
        """Check every transcript; `transcripts` is called once per pass (twice with corpus rules)."""
        corpus = self.survey(transcripts()) if self.corpus_rules else None
        for transcript in transcripts():
            yield self.check(transcript, corpus)


def _redacted(finding: Finding) -> Finding:
    quote = redact(finding.quote) if finding.quote else finding.quote
    message = redact(finding.message)
    if quote == finding.quote and message == finding.message:
        return finding
    return finding.model_copy(update={"quote": quote, "message": message})
