# The two commands of the README's quick start: `make run` and `make test`.
# Both create the virtual environment in .venv and install the project first.

VENV ?= .venv
STAMP := $(VENV)/.installed

.PHONY: run test test-fast screenshots bench bench-ami bench-routing bench-transcription bench-qa install

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/callcenter demo

test: $(STAMP)
	$(VENV)/bin/pytest -q

# The inner loop: everything but the real model, the browser and whole backends in processes
test-fast: $(STAMP)
	$(VENV)/bin/pytest -q -m "not slow"

# The web app's browser tests, saving the main pages to docs/screenshots/ (needs Debian's chromium)
screenshots: $(STAMP)
	CALLCENTER_SCREENSHOTS=docs/screenshots $(VENV)/bin/pytest -q tests/web -k sqlite

bench: bench-ami bench-routing bench-transcription bench-qa

bench-ami: $(STAMP)
	$(VENV)/bin/python -m bench.ami_throughput

# PostgreSQL and Redis on 127.0.0.1 when reachable (its database callcenter_bench is emptied), else SQLite and the embedded valkey-server
bench-routing: $(STAMP)
	$(VENV)/bin/python -m bench.routing_latency

# The shared corpus's 10 calls through our engine and plain faster-whisper, each configuration twice in its own process
bench-transcription: $(STAMP)
	$(VENV)/bin/python -m bench.transcription

# The corpus and 40 paraphrased calls (made once with callgen.py when festival is installed) scored with the example script
bench-qa: $(STAMP)
	$(VENV)/bin/python -m bench.qa
