"""Who logs in and what they may see: users and their roles, password
hashing, login sessions (bearer tokens and the browser's session cookie), and
the access rules (``access``) that every API read and write goes through."""
