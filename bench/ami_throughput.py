"""AMI throughput: events per second through our framing, and framing plus the
call tracker, beside panoramisk's own parser on the same stream in the same run.

    python -m bench.ami_throughput [--events 1000000] [--chunk 65536]

Targets (issue 2): at least 50,000 events/s on one core through framing plus
tracker, and the tracker costing at most twice the raw parse.
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable
from datetime import datetime, timezone

from panoramisk.ami_protocol import AMIProtocol

from bench.ami_stream import synthetic_stream
from pbx.ami.framing import AmiFrameDecoder
from pbx.tracker.tracker import CallTracker
from tests.support.data import CAPTURES

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)


class _CountingFactory:
    """The bits of panoramisk's Manager that its protocol calls while parsing."""

    def __init__(self) -> None:
        self.events = 0

    def dispatch(self, _message) -> None:
        self.events += 1


def panoramisk_parse(stream: bytes, chunk: int) -> int:
    protocol = AMIProtocol()
    protocol.connection_made(transport=None)
    protocol.encoding = "utf8"
    protocol.factory = factory = _CountingFactory()
    for start in range(0, len(stream), chunk):
        protocol.data_received(stream[start : start + chunk])
    return factory.events


def our_parse(stream: bytes, chunk: int) -> int:
    decoder = AmiFrameDecoder()
    count = 0
    for start in range(0, len(stream), chunk):
        count += len(decoder.feed(stream[start : start + chunk]))
    return count


def our_parse_and_track(stream: bytes, chunk: int) -> int:
    decoder = AmiFrameDecoder()
    tracker = CallTracker()
    handle = tracker.handle
    count = 0
    for start in range(0, len(stream), chunk):
        for message in decoder.feed(stream[start : start + chunk]):
            handle(message, NOW)
            count += 1
    return count


def timed(run: Callable[[bytes, int], int], stream: bytes, chunk: int) -> tuple[int, float]:
    started = time.perf_counter()
    events = run(stream, chunk)
    return events, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=65536, help="bytes per simulated TCP read")
    args = parser.parse_args()
    stream, messages = synthetic_stream(CAPTURES, args.events)
    print(f"stream: {messages:,} events, {len(stream) / 1e6:.1f} MB, read in {args.chunk}-byte chunks")
    print(f"python {platform.python_version()} on {platform.machine()}, one core")
    results = {}
    for name, run in (
        ("panoramisk 1.4 parser", panoramisk_parse),
        ("our framing", our_parse),
        ("our framing + tracker", our_parse_and_track),
    ):
        events, seconds = timed(run, stream, args.chunk)
        results[name] = seconds
        print(f"{name:24} {events:>10,} events {seconds:7.2f} s {events / seconds:>10,.0f} events/s")
    parse = results["our framing"]
    tracker_cost = results["our framing + tracker"] - parse
    print(f"tracker cost / raw parse: {tracker_cost / parse:.2f} (target at most 2)")


if __name__ == "__main__":
    main()
