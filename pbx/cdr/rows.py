"""One CDR row as Asterisk's CDR store keeps it (cdr_csv, cdr_pgsql, cdr_adaptive_odbc): one per channel
and Dial or Queue attempt, grouped into calls by ``linkedid``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class CdrRow:
    start: datetime  # aware
    answer: datetime | None
    duration: int  # seconds, start to end
    billsec: int  # seconds, answer to end
    disposition: str  # ANSWERED, NO ANSWER, BUSY, FAILED, CONGESTION
    src: str
    dst: str
    dcontext: str
    clid: str  # "Name" <number>
    channel: str
    dstchannel: str
    lastapp: str
    lastdata: str
    uniqueid: str
    linkedid: str
    userfield: str = ""  # the dialplan's CDR(userfield): "rec:<recording>" in ours

    @property
    def end(self) -> datetime:
        return self.start + timedelta(seconds=self.duration)

    @property
    def caller_name(self) -> str:
        """The name part of ``clid`` (``"Мария" <79035550011>``), empty when it has none."""
        name, bracket, _ = self.clid.rpartition("<")
        return name.strip().strip('"') if bracket else ""
