"""The reference material the tests replay, kept in the repository (``tests/data``):
real Asterisk 22 AMI captures, its dialplan and MixMonitor recordings, and the
synthetic Russian sales calls with their truth (``tests/data/corpus``, with the
generator that makes more)."""

from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"
CAPTURES = DATA / "asterisk" / "captures"
RECORDINGS = DATA / "asterisk" / "recordings"
CORPUS = DATA / "corpus" / "calls"
