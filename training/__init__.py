"""Training with recorded calls: the head of sales draws samples of scored
calls (a period, managers, a score band, script items missed, duration,
direction; N at random or the best and worst N of each manager), keeps them
as playlists with notes shared with managers, and marks single calls as good
or bad examples.

``sampling`` is the pure drawing, ``queries`` reads the candidates,
``service`` keeps marks and playlists, ``http`` serves them under
``/api/training``, ``/api/playlists`` and ``/api/calls/{id}/mark``.
A manager may open the calls of a playlist shared with them, as well as
their own (``crm.visibility.readable_calls``).
"""
