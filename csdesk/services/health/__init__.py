"""Customer health: the inputs measured from usage, support, surveys and engagement
(``inputs``), the weighted score with its explanation (``scoring``), calibration of the
model against the book's own churn (``calibration``), the survival views it draws on —
retention curves by band, Uno's concordance, a Cox model for monthly books (``survival``) —
and portfolio metrics such as NRR and GRR (``metrics``)."""
