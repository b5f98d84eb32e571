"""Persistence: the SQLAlchemy 2 models of every table, the async engine and
its Alembic migrations, the Redis client factory, and the embedded
Redis-compatible server a single machine runs when no ``REDIS_URL`` is set.
Feature packages keep their rules; this package only knows how data is laid
out and reached."""
