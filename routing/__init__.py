"""Routing decisions: whom an incoming call rings, for how long, and what
comes next. Decisions are pure functions of the caller, the dialled number,
the time and who is available; the lookups they need (owners, presence) are
handed in. ``routing.presence`` keeps who is on a call in Redis, the hot path
the FastAGI answer reads."""
