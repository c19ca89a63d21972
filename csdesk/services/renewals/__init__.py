"""Renewals: the pipeline and the one answer for an account's track and next renewal
(``pipeline``), the .ics calendar (``calendar``), outcomes and the forecast call
(``outcomes``), the quarter's forecast and its accuracy (``forecast``), churn post-mortems
(``churn``) and expansion signals and opportunities (``expansion``)."""
