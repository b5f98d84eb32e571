"""How well a script's items find the stages a corpus marks: per-item precision and recall.

A corpus call's JSON (``tests/data/corpus``, ``callgen.py``) lists the
``stages`` the manager performed. An item "finds" its stage when its phrase
(or stop phrase) was heard, whether or not the item applied in that call:
this measures the matching, not the script's rules. The script's item ids
are the corpus's stage names (``qa/scripts/realty-inbound.yaml``). Used by
the tests and ``bench.qa``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from qa.scoring import ScoreResult

@dataclass
class Tally:
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        present = self.true_positives + self.false_negatives
        return self.true_positives / present if present else 1.0


def tally(results: Iterable[tuple[ScoreResult, set[str]]]) -> dict[str, Tally]:
    """Per phrase and stop-words item, against each call's true ``stages``."""
    tallies: dict[str, Tally] = {}
    for score, stages in results:
        for item in score.items:
            if item.kind == "metric":
                continue
            counts = tallies.setdefault(item.id, Tally())
            present = item.id in stages
            if item.found and present:
                counts.true_positives += 1
            elif item.found:
                counts.false_positives += 1
            elif present:
                counts.false_negatives += 1
    return tallies
