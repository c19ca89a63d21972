"""Qt-free use cases shared by the GUI and the CLI, grouped by what a CSM does.

Each service takes a :class:`csdesk.db.Database` plus plain arguments, owns its transaction
and returns frozen dataclasses or DataFrames; ORM objects never leave a service.

Groups, each importing only those below it (and the shared modules here):

- ``worklist/``  playbook rules and the Today worklist they fill
- ``plans/``     success plans, the sales handoff, the value log and the QBR they feed
- ``sync/``      CSV imports (row by row and in bulk), the CRM adapters, exports
- ``demo/``      the demo book
- ``book/``      the accounts: the book table, one account's page, segments, the file itself
- ``health/``    health inputs, scoring, calibration against churn, portfolio metrics
- ``renewals/``  the renewal pipeline, calendar, outcomes, forecast, churn post-mortems and
                 expansion signals

Shared by all: ``formatting`` (money, dates, counts), ``periods`` (quarters), ``settings``
(the book's own settings) and ``defaults`` (the health model, rules and plan templates a new
book starts with).
"""
