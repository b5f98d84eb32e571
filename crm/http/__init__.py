"""The crm's REST resources, one module per resource with its schemas: calls
(and their recordings), clients, leads, callback tasks, managers and groups.
Handlers are thin: the queries are the crm services', every one within the
principal's ``accounts.access`` scope."""
