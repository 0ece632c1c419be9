#!/usr/bin/env python3
"""Oracle fixtures for the business-day calendar (calendar.md): the Python package `holidays`
(pinned: holidays==0.109), Brazil, national (BR) and the states GO and MG, categories "public" and
"optional", years 2000-2040.

    python3 -m venv /tmp/hvenv && /tmp/hvenv/bin/pip install holidays==0.109
    /tmp/hvenv/bin/python scripts/holidays/oracle.py          # writes fixtures/holidays/{BR,GO,MG}.csv

Each file: date,category,name (one row per date and category, names joined with "; " when the package
lists several for the same day). The Rust test `calendar_matches_the_oracle` compares them year by year
with `core::calendar`, every deliberate difference listed there.
"""
import csv
import os
import sys

import holidays

assert holidays.__version__ == "0.109", f"pin holidays==0.109 (found {holidays.__version__})"
YEARS = range(2000, 2041)
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "holidays")


def rows(subdiv):
    out = []
    for category in ("public", "optional"):
        kw = {"years": YEARS, "categories": (category,), "language": "pt_BR"}
        if subdiv:
            kw["subdiv"] = subdiv
        h = holidays.Brazil(**kw)
        for date in sorted(h):
            out.append((date.isoformat(), category, h.get(date)))
    return sorted(out)


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, subdiv in (("BR", None), ("GO", "GO"), ("MG", "MG")):
        path = os.path.join(OUT, f"{name}.csv")
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["date", "category", "name"])
            w.writerows(rows(subdiv))
        print(path, file=sys.stderr)


if __name__ == "__main__":
    main()
