"""Durable storage: the schema, its migrations and the queries the server and CLI run."""
