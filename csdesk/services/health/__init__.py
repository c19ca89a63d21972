"""Customer health: the inputs measured from usage, support, surveys and engagement
(``inputs``), the weighted score with its explanation (``scoring``), calibration of the
model against the book's own churn (``calibration``) and portfolio metrics such as NRR and
GRR (``metrics``)."""
