"""Live events to browsers: the incoming-call screen pop and a manager's news.

- ``card``: the caller's card for a ringing call (client or lead, owner, open
  callback tasks, the last calls with the number);
- ``channels``: the Redis pub/sub channels, one per manager and one for the team;
- ``publisher``: bus events into those channels, on whichever instance holds
  the AMI lease;
- ``http``: ``GET /api/live``, the logged-in user's channel as Server-Sent
  Events, on whichever instance the browser is connected to.
"""
