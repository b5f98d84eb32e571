"""Reports for the head of sales: calls and missed calls by day and by
manager, time to answer, callbacks done by their deadline, average scores by
manager and week, the script items missed most, leads by source.

``figures`` works them out from plain rows, ``queries`` reads those rows for
a period, ``http`` serves them as JSON or CSV under ``/api/reports``.
"""
