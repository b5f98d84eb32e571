"""Quality assurance: a call's transcript scored against the department's sales script, with evidence.

``script`` (the YAML a head of sales writes) → ``conversation`` (the transcript's words in normal and
dictionary form, timed) → ``phrases`` (tolerant matching) and ``metrics`` → ``scoring`` (items met,
the quote and second of each, total and pass) and ``lead_card`` (the client's name, source and wants).
These need neither audio nor a database. ``library`` versions scripts in the database, ``choice``
picks the one for a call, ``service`` runs scoring jobs from the queue and stores scores and lead
facts, ``http`` serves them, ``adhoc`` is ``callcenter qa score``.
"""
