"""The ``csdesk`` command line: the parser and the book commands (``main``), and one module
per command group (accounts, health, import, renewals, report, tasks). Every command prints
one plain line on failure; none imports Qt except ``csdesk gui``."""
