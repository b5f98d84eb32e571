"""A durable job queue on Redis Streams, and the worker loop that drains it.

Jobs (JSON-able dicts: a recording to transcribe, a call to score) go into a
stream read through one consumer group, so workers may run on any machine and
each job is handed to one of them at a time. A job is acknowledged only after
its handler returns, that is after its result is committed; a job whose worker
died is reclaimed by another worker once it has been idle too long; a job that
fails ``max_attempts`` times goes to a dead-letter stream with its error, where
it can be listed and retried.
"""
