"""Benchmark: QBR decks (.pptx), one in a warm process and a batch of 50, against floors
measured in the same run.

Floors: python-pptx alone saving a deck of the same number of slides, each holding the same
texts in plain text boxes (no layout, no charts); and the QBR data service alone (the queries
behind the deck). The batch of 50 decks runs on one core and on both.

    python benchmarks/decks.py [--accounts 250]
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
from datetime import date
from pathlib import Path

from _book import best
from pptx import Presentation
from pptx.util import Inches

from csdesk.config import resolve_database
from csdesk.db import Database
from csdesk.reports.batch import BatchJob, run_batch
from csdesk.reports.qbr_deck import write_qbr_deck
from csdesk.services.book.account_detail import account_id_for
from csdesk.services.book.accounts import select_accounts
from csdesk.services.demo.generate import generate_demo
from csdesk.services.plans.qbr import qbr_data
from csdesk.services.plans.qbr_document import qbr_document

AS_OF = date(2026, 11, 22)
BATCH = 50



def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=250)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        location = resolve_database(Path(tmp) / "demo.sqlite")
        with Database.open(location) as db:
            generate_demo(db, accounts=args.accounts, seed=7, as_of=AS_OF)
            account = account_id_for(db, "ACC-000132")
            accounts = select_accounts(db, today=AS_OF)[:BATCH]

            def data_only() -> None:
                qbr_data(db, account, "2026Q3", today=AS_OF)

            data = qbr_data(db, account, "2026Q3", today=AS_OF)
            t_data = best(data_only)

        def one_deck() -> None:
            write_qbr_deck(qbr_document(data), io.BytesIO())

        buf = io.BytesIO()
        write_qbr_deck(qbr_document(data), buf)  # warm: modules imported
        deck = Presentation(io.BytesIO(buf.getvalue()))
        texts = [[sh.text_frame.text for sh in s.shapes if sh.has_text_frame]
                 for s in deck.slides]

        def pptx_only() -> None:
            prs = Presentation()
            for slide_texts in texts:
                slide = prs.slides.add_slide(prs.slide_layouts[6])
                for i, text in enumerate(slide_texts):
                    slide.shapes.add_textbox(Inches(0.5), Inches(0.5 + i), Inches(9),
                                             Inches(1)).text_frame.text = text
            prs.save(io.BytesIO())

        t_deck, t_floor = best(one_deck), best(pptx_only)
        print(f"one deck (warm, {len(texts)} slides):  {t_deck * 1000:7.0f} ms")
        print(f"  floor, python-pptx alone:     {t_floor * 1000:7.0f} ms")
        print(f"  deck / floor = {t_deck / t_floor:.2f}")
        print(f"  QBR data service (queries):  {t_data * 1000:7.0f} ms")

        per_core = {}
        for workers in (1, 2):
            job = BatchJob("deck", Path(tmp) / f"out{workers}", "2026Q3", False, AS_OF)
            start = time.perf_counter()
            result = run_batch(location, job, accounts, workers=workers)
            per_core[workers] = time.perf_counter() - start
            print(f"batch of {len(accounts)} decks on {workers} core(s): "
                  f"{per_core[workers]:6.1f} s ({len(result.written)} written, "
                  f"{len(result.skipped)} skipped)")
        print(f"  two cores / one core = {per_core[2] / per_core[1]:.2f}")
        print(f"  per deck on two cores: {per_core[2] / len(accounts):.3f} s "
              f"= {per_core[2] / len(accounts) / (t_deck + t_data):.2f} × (one warm deck + "
              "its data)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
