"""A protocol-level stand-in for Asterisk 22, for tests, the demo and the
benchmarks: an AMI server (``ami_server``), an engine that plays the reference
dialplan with Asterisk's own events, field order and timing (``engine``,
``call``, ``queue_app``), a FastAGI client for the route question, MixMonitor
recordings made from corpus audio, and scenarios described in YAML files.

``SOUNDS`` holds the demo's calls, shipped with the package: the test corpus's
calls as Ogg Opus (stereo, the client on channel 0, the manager on 1)."""

from pathlib import Path

SOUNDS = Path(__file__).with_name("sounds")
