"""Benchmark: Uno's concordance on 100,000 accounts, against floors measured in the same run.

Floors: numpy sorting the same 100,000 times once (the least any concordance must do), and
lifelines' ``concordance_index`` (Harrell's C, no censoring weights) on the same data.
csdesk's ``uno_concordance`` also fits the censoring distribution and weighs every pair by
it; it runs once for a C and 200 times for a bootstrap interval, so it must stay near the
floors. The data: exponential times with hazard exp(x), uniform censoring (about 20%).

    python benchmarks/survival.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from _book import best, timing
from lifelines.utils import concordance_index

from csdesk.services.health.survival import uno_concordance


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    n = parser.parse_args().rows
    rng = np.random.default_rng(7)
    x = rng.normal(size=n)
    t_event = rng.exponential(1.0 / np.exp(x))
    t_censor = rng.uniform(0, 6.0, n)
    t, e = np.minimum(t_event, t_censor), t_event <= t_censor
    # Whole days, as a book has them: many ties in time.
    days = np.ceil(t * 365).astype(float)

    sort_s = best(lambda: np.argsort(t, kind="stable"), 3)
    harrell_s = best(lambda: concordance_index(t, -x, e), repeat=1)
    uno_s = best(lambda: uno_concordance(t, e, t, e, x), 3)
    uno_days_s = best(lambda: uno_concordance(days, e, days, e, x), 3)
    uno, harrell = uno_concordance(t, e, t, e, x), concordance_index(t, -x, e)

    print(f"rows: {n:,}; censored: {1 - e.mean():.0%}; Uno's C {uno:.4f}, "
          f"Harrell's C {harrell:.4f} (difference {uno - harrell:+.4f})")
    timing("floor (numpy stable sort of the times)", sort_s)
    timing("floor (lifelines concordance_index, Harrell's C)", harrell_s)
    timing("csdesk uno_concordance (vs the sort)", uno_s, sort_s)
    timing("csdesk uno_concordance (vs lifelines)", uno_s, harrell_s)
    timing("csdesk uno_concordance, times in whole days (vs lifelines)", uno_days_s,
           harrell_s)
    return 0


if __name__ == "__main__":
    sys.exit(main())
