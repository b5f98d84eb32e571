"""Everything that speaks Asterisk: AMI framing and the connector (``pbx.ami``),
the call tracker that turns AMI events into call records (``pbx.tracker``),
the recovery of calls nobody followed from Asterisk's CDR store (``pbx.cdr``),
the FastAGI server (``pbx.agi``) and the protocol-level PBX simulator used by
tests, the demo and the benchmarks (``pbx.simulator``). It knows no business
rules: it reports what happened on the PBX and asks ``routing`` what to do."""
