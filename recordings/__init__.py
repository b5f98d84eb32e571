"""Call recordings: where this backend finds the files the PBX writes
(``files``), their layouts (``layouts``) and checks (``checks``), the store
they are copied into (``store``), the pickup after each call (``pickup``,
``service``) and retention (``retention``). The PBX's path is first put on
the call card by ``crm.call_cards``; the pickup replaces it with the store's key."""
