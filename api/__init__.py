"""The HTTP plumbing shared by the features' REST resources.

- ``errors``: every error is JSON ``{"error", "message", "details"}`` with its
  status; the middleware turns exceptions into it (unknown ones into a bare 500).
- ``registry``: features declare endpoints with their pydantic schemas and the
  roles allowed; the registry validates input, authenticates, checks the role,
  and mounts them.
- ``pagination``: keyset pages with opaque cursors and allow-listed sorts.
- ``openapi``: the OpenAPI 3.1 document of the registered endpoints.

The features own their resources (``accounts.http``, ``crm.http``); who may see
what is ``accounts.access``.
"""
