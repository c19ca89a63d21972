"""Getting a customer to its outcome: success plans with objectives, milestones and tasks
(``success_plans``), the sales-to-CS handoff (``handoff``), the value log (``value``) and the
QBR data assembled from all of them (``qbr``)."""
