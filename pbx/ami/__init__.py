"""The Asterisk Manager Interface client: byte-safe framing and a connector
built on panoramisk with login, heartbeat, reconnect and resynchronisation."""
