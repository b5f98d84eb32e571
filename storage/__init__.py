"""Persistence: the SQLAlchemy 2 models of every table, the async engine and
its Alembic migrations, and the Redis client factory. Feature packages keep
their rules; this package only knows how data is laid out and reached."""
