"""Qt-free use cases shared by the GUI and the CLI.

Each service takes a :class:`csdesk.db.Database` plus plain arguments, owns its transaction
and returns frozen dataclasses or DataFrames; ORM objects never leave a service.
"""
