"""The accounts' REST resources: ``auth`` (login, logout, me, and how requests
authenticate) and ``users`` (accounts, for admins and the ROP)."""
