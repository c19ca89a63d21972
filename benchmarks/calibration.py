"""Benchmark: calibrating a 100,000-account book, with bootstrap intervals, against its floor.

The floor is what any calibration must do at least once, measured in the same run on the
same book: measure the inputs of every renewal decision as of its horizon (one
``compute_inputs`` pass) and fit one plain logistic regression on them. csdesk's calibration
does that, then nested cross-validation (five outer folds, the penalty chosen inside each
from seven strengths by five inner folds), the suggestion made and scored in every fold,
1,000 paired bootstrap resamples of the AUCs, calibration figures and Kaplan–Meier retention.

It also measures how soon Cancel is honoured: a second run is cancelled as soon as the
first fold starts, and the time from the request to the ``Cancelled`` error is printed.

    python benchmarks/calibration.py [--book PATH] [--accounts 100000]
"""

from __future__ import annotations

import sys
import threading
import time

from _book import AS_OF, book_arguments, demo_book, timing

from csdesk.config import resolve_database
from csdesk.db import Database
from csdesk.progress import Cancelled
from csdesk.services.health import calibration
from csdesk.services.health.inputs import BUILTIN, compute_inputs


def floor(db: Database) -> float:
    from sklearn.linear_model import LogisticRegression

    t0 = time.perf_counter()
    outcomes, _mode = calibration._outcomes(db, 90, AS_OF, "churn")
    with db.read() as s:
        frame = compute_inputs(s, outcomes[["account_id", "as_of"]])
    names = [n for n in BUILTIN if n in frame and frame[n].notna().mean() >= 0.5]
    x = frame[names].astype(float)
    x = x.fillna(x.mean())
    LogisticRegression(max_iter=1000).fit(x.to_numpy(), outcomes["churned"].to_numpy())
    return time.perf_counter() - t0


def main() -> int:
    args = book_arguments(__doc__.splitlines()[0])
    book = demo_book(args, usage_weeks=52)
    if book is None:
        return 1
    with Database.open(resolve_database(book)) as db:
        floor_s = floor(db)
        messages: list[str] = []
        t0 = time.perf_counter()
        report = calibration.calibrate(db, as_of=AS_OF,
                                       progress=lambda _f, m: messages.append(m))
        csdesk_s = time.perf_counter() - t0

        asked = threading.Event()
        asked_at: list[float] = []

        def progress(_fraction: float, message: str) -> None:
            if message.startswith("Cross-validating") and not asked.is_set():
                asked.set()
                asked_at.append(time.perf_counter())

        try:
            calibration.calibrate(db, as_of=AS_OF, progress=progress, cancel=asked.is_set)
            cancel_s = None
        except Cancelled:
            cancel_s = time.perf_counter() - asked_at[0]

    print(f"renewal decisions: {report.outcomes:,} ({report.churned:,} churned); inputs "
          f"fitted: {len(report.model['inputs'])}; progress messages: {len(messages)}")
    print(f"model AUC {report.model['cv_auc']:.3f} {report.model['cv_auc_ci']}; current "
          f"{report.current_score['cv_auc']:.3f}; suggestion: "
          f"{'withheld' if report.suggested_weights is None else 'offered'}")
    timing("floor (inputs of every renewal + one plain logistic fit)", floor_s)
    timing("csdesk calibrate (nested CV, 1,000 bootstraps, retention)", csdesk_s, floor_s)
    if cancel_s is not None:
        print(f"{'Cancel honoured after:':<64}{cancel_s:6.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
