"""Benchmark: QBR PDFs, one warm and a batch, against floors measured in the same run.

Floors: reportlab alone (the same QBR story with each chart replaced by a blank box of the
same size) and one matplotlib chart rendered on Agg. Also: the charts handed to reportlab as
the Agg pixel buffer against the PNG round trip, the batch of every live account on all cores
against one core, and memory across 200 QBRs in one process (it must stay flat).

    python benchmarks/reports.py [--accounts 250]
"""

from __future__ import annotations

import argparse
import io
import resource
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from _book import best

from csdesk.config import resolve_database
from csdesk.db import Database
from csdesk.reports import charts
from csdesk.reports.batch import BatchJob, run_batch
from csdesk.reports.qbr_pdf import qbr_report
from csdesk.services.book.account_detail import account_id_for
from csdesk.services.book.accounts import select_accounts
from csdesk.services.demo.generate import generate_demo
from csdesk.services.plans.qbr import qbr_data

AS_OF = date(2026, 11, 22)



def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=250)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        location = resolve_database(Path(tmp) / "demo.sqlite")
        with Database.open(location) as db:
            generate_demo(db, accounts=args.accounts, seed=7, as_of=AS_OF)
            data = qbr_data(db, account_id_for(db, "ACC-000132"), "2026Q3", today=AS_OF)
            accounts = select_accounts(db, today=AS_OF)

        def one_qbr() -> None:
            qbr_report(data).build(io.BytesIO())

        def reportlab_only() -> None:
            real = (charts.line_chart, charts.bar_chart)
            blank = charts.ChartImage(None, 174 * charts.mm, 52 * charts.mm)
            blank.draw = lambda: None  # type: ignore[method-assign]
            charts.line_chart = charts.bar_chart = lambda *a, **k: blank  # type: ignore
            try:
                import csdesk.reports.qbr_pdf as q

                q.line_chart, q.bar_chart = charts.line_chart, charts.bar_chart
                qbr_report(data).build(io.BytesIO())
            finally:
                charts.line_chart, charts.bar_chart = real
                q.line_chart, q.bar_chart = real

        dates = [u[0] for u in data.usage]

        def one_chart() -> None:
            charts.line_chart("x", dates, [("a", [u[1] for u in data.usage], "#2563eb")])


        series = [("Active users", [u[1] for u in data.usage], "#2563eb")]

        def png_chart() -> None:  # the same figure, encoded to PNG and decoded by reportlab
            from reportlab.lib.utils import ImageReader

            fig = charts.line_figure("x", dates, series)
            fig.tight_layout(pad=0.6)
            buf = io.BytesIO()
            fig.savefig(buf, format="png")
            buf.seek(0)
            ImageReader(buf).getRGBData()

        def buffer_chart() -> None:  # what csdesk does: the Agg pixels, no PNG
            from reportlab.lib.utils import ImageReader

            image = charts._render(charts.line_figure("x", dates, series), 174, 52)
            ImageReader(image.image).getRGBData()

        one_qbr()  # warm: fonts registered, modules imported
        t_qbr, t_rl, t_chart = best(one_qbr), best(reportlab_only), best(one_chart)
        t_png, t_buf = best(png_chart), best(buffer_chart)
        print(f"one QBR (warm, 3 charts):      {t_qbr * 1000:7.0f} ms")
        print(f"  floor, reportlab alone:      {t_rl * 1000:7.0f} ms")
        print(f"  floor, one Agg chart:        {t_chart * 1000:7.0f} ms")
        print(f"  QBR / (reportlab + 3 charts) = {t_qbr / (t_rl + 3 * t_chart):.2f}")
        print(f"  chart via pixel buffer / via PNG = {t_buf / t_png:.2f}")

        before = _rss_mib()
        for _ in range(200):
            one_qbr()
        print(f"memory over 200 QBRs: max RSS {before:.0f} → {_rss_mib():.0f} MiB")

        out = Path(tmp) / "out"
        job = BatchJob("qbr", out, "2026Q3", False, AS_OF)
        per_core = {}
        for workers in (1, 2):
            start = time.perf_counter()
            result = run_batch(location, job, accounts, workers=workers)
            per_core[workers] = time.perf_counter() - start
            print(f"batch of {len(accounts)} QBRs on {workers} core(s): {per_core[workers]:6.1f} s"
                  f" ({len(result.written)} written, {len(result.skipped)} skipped)")
        print(f"  two cores / one core = {per_core[2] / per_core[1]:.2f}")
        print(f"  per QBR in the batch: {statistics.fmean([per_core[2] / len(accounts)]):.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
