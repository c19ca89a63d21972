"""Alembic environment and versions for the csdesk schema (see ``csdesk.db.migrate``)."""
