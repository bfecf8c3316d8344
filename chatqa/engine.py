"""Run checks: metrics, rules and scores for each transcript."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from .metrics import agents, compute
from .model import Transcript
from .results import Result


class Engine:
    """Checks transcripts one by one (the rule pack plugs in here)."""

    def check(self, transcript: Transcript) -> Result:
        """Metrics, findings and score for one conversation."""
        return Result(transcript=transcript, agents=tuple(agents(transcript)), metrics=compute(transcript))

    def run(self, transcripts: Iterable[Transcript]) -> Iterator[Result]:
        """Check a stream of transcripts, in order."""
        for transcript in transcripts:
            yield self.check(transcript)
