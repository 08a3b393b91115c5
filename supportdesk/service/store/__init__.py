"""The store: one schema for SQLite and PostgreSQL, the engine, and the queries per table."""
