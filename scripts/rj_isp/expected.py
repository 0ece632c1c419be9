#!/usr/bin/env python3
"""Expected values of the quarterly CAP index (Goiás Decreto 7.872/2013, Art. 8)
for a few RJ AISP-quarters, computed straight from ISP-RJ's ORIGINAL files, and
a cross-check of the fixtures written by convert.py.

    python3 scripts/rj_isp/expected.py [--shared DIR] [--fixtures DIR]
                                       [--explain RJ-AISP05:2016-Q1]

This is deliberately a second, independent code path: it does not import
convert.py and reads different inputs.
  * crimes: `original_BaseDPEvolucaoMensalCisp_2003-2017.csv.gz`, ISP's byte-exact
    original (ISO-8859-1, `;`-separated, CRLF, text fields padded with blanks,
    some municipality fields quoted because they contain `;`), columns CISP,
    mes, vano, AISP, hom_doloso, roubo_veiculo, furto_veiculos.  (convert.py
    reads the cleaned UTF-8 copy `cisp_mensal_2003_2017.csv`.)
  * population: `populacao_cisp_anual.csv` (the only annual file), parsed as
    exact fractions.
Arithmetic is exact (fractions.Fraction); the `index` written is the float
nearest to the exact rational value, printed with repr (full precision).  An
implementation working in binary floating point may differ from it in the last
one or two units in the last place: compare with a relative tolerance of ~1e-12.

Definitions (same decisions as convert.py, see fixtures/rj-isp/README.md):
  count_c(a, p)   = Σ over the original rows with AISP = a and (vano, mes) in
                    quarter p of the crime's column (AISP as it was that month);
                    homicidio_doloso <- hom_doloso (victims), roubo_veiculo <-
                    roubo_veiculo (cases), furto_veiculo <- furto_veiculos (cases)
  population(a,Y) = round_half_up(Σ annual pop of the CISPs whose AISP was a in
                    July of Y)
  rate_c          = count_c / population(a, year(p)) × 100 000
  index           = (rate_hom + rate_roubo + rate_furto) / 3

Then it asserts that the fixtures agree:
  1. for each chosen AISP-quarter, counts.csv summed over the quarter's months and
     population.csv give the same counts, population and index;
  2. every row of counts.csv and population.csv equals the independent aggregate of
     the original file (and no AISP-month-crime / AISP-year is missing), for the
     years the fixtures cover;
  3. territories.geojson has an `aisp` feature for each chosen AISP.
It writes <fixtures>/expected_cap_index.csv only when all checks pass; any
disagreement is listed on stderr and the exit status is 1.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import math
import sys
from collections import defaultdict
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ORIGINAL = Path("data/rj-isp-cisp-mensal/original_BaseDPEvolucaoMensalCisp_2003-2017.csv.gz")
ANNUAL_POP = Path("data/rj-isp-cisp-mensal/populacao_cisp_anual.csv")

CAP = [("homicidio_doloso", "hom_doloso"),
       ("roubo_veiculo", "roubo_veiculo"),
       ("furto_veiculo", "furto_veiculos")]

# (AISP, quarter).  AISP 5: Centro (CISPs 1, 4, 5, 7), AISP 14: Bangu/Realengo
# (CISPs 33, 34), AISP 39: Belford Roxo (CISP 54).  AISP 6 (Tijuca/Vila Isabel)
# gained CISP 18 from AISP 4 in July 2017: its 2017-Q2 counts exclude CISP 18 while
# its 2017 population includes it (the July rule); 2017-Q3 is consistent.
CASES = [(5, "2016-Q1"), (14, "2016-Q1"), (39, "2016-Q1"),
         (5, "2017-Q3"), (14, "2017-Q3"), (39, "2017-Q3"),
         (6, "2017-Q2"), (6, "2017-Q3")]

problems: list[str] = []


def problem(msg: str) -> None:
    problems.append(msg)


def code_of(aisp: int) -> str:
    return "RJ-AISP%02d" % aisp


def quarter_months(q: str) -> tuple[int, list[int]]:
    year, n = q.split("-Q")
    first = (int(n) - 1) * 3 + 1
    return int(year), [first, first + 1, first + 2]


def round_half_up(x: Fraction) -> int:
    return math.floor(x + Fraction(1, 2))


# ---------------------------------------------------------------- original data
def load_original(path: Path):
    """monthly[(aisp, year, month)][crime] = sum; july[(cisp, year)] = aisp."""
    monthly: dict[tuple[int, int, int], dict[str, int]] = defaultdict(lambda: {c: 0 for c, _ in CAP})
    present: set[tuple[int, int, int, str]] = set()
    july: dict[tuple[int, int], int] = {}
    raw = gzip.open(path, "rb")
    text = io.TextIOWrapper(raw, encoding="iso-8859-1", newline="")
    rows = csv.reader(text, delimiter=";")
    header = [h.strip() for h in next(rows)]
    col = {h: i for i, h in enumerate(header)}
    for name in ["CISP", "mes", "vano", "AISP"] + [c for _, c in CAP]:
        if name not in col:
            sys.exit(f"expected.py: {path}: no column {name!r} in header {header}")
    nrows = 0
    for fields in rows:
        if not fields:
            continue
        nrows += 1
        if len(fields) != len(header):
            sys.exit(f"expected.py: {path}:{rows.line_num}: {len(fields)} fields, header has {len(header)}")
        f = [x.strip() for x in fields]
        cisp, month, year, aisp = int(f[col["CISP"]]), int(f[col["mes"]]), int(f[col["vano"]]), int(f[col["AISP"]])
        if month == 7:
            july[(cisp, year)] = aisp
        acc = monthly[(aisp, year, month)]
        for crime, c in CAP:
            v = f[col[c]]
            if v != "":  # empty = series not collected
                acc[crime] += int(v)
                present.add((aisp, year, month, crime))
    return monthly, present, july, nrows


def load_annual_population(path: Path) -> dict[tuple[int, int], Fraction]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = csv.reader(fh)
        header = next(rows)
        ic, iy, ip = header.index("cisp"), header.index("ano"), header.index("pop")
        return {(int(r[ic]), int(r[iy])): Fraction(r[ip]) for r in rows if r}


def aisp_populations(july, cisp_pop) -> dict[tuple[int, int], int]:
    exact: dict[tuple[int, int], Fraction] = defaultdict(Fraction)
    for (cisp, year), aisp in july.items():
        if (cisp, year) in cisp_pop:
            exact[(aisp, year)] += cisp_pop[(cisp, year)]
    return {k: round_half_up(v) for k, v in exact.items()}


# ---------------------------------------------------------------- the index
def cap_index(counts: dict[str, int], population: int) -> tuple[list[Fraction], Fraction]:
    rates = [Fraction(counts[c], population) * 100000 for c, _ in CAP]
    return rates, sum(rates) / len(rates)


# ---------------------------------------------------------------- fixtures
def read_fixture_counts(path: Path) -> dict[tuple[str, str, str], int]:
    out = {}
    with path.open(encoding="utf-8", newline="") as fh:
        r = csv.DictReader(fh)
        for row in r:
            key = (row["territory_code"], row["month"], row["crime"])
            if key in out:
                problem(f"{path}:{r.line_num}: duplicate row {key}")
            out[key] = int(row["count"])
    return out


def read_fixture_population(path: Path) -> dict[tuple[str, int], int]:
    out = {}
    with path.open(encoding="utf-8", newline="") as fh:
        r = csv.DictReader(fh)
        for row in r:
            key = (row["territory_code"], int(row["year"]))
            if key in out:
                problem(f"{path}:{r.line_num}: duplicate row {key}")
            out[key] = int(row["population"])
    return out


def explain(code: str, quarter: str, counts: dict[str, int], pop: int) -> str:
    rates, index = cap_index(counts, pop)
    lines = [f"{code} {quarter}, population {pop}"]
    for (crime, _), r in zip(CAP, rates):
        lines.append(f"  {crime:17} {counts[crime]:5} / {pop} × 100000 = {float(r)!r}")
    lines.append(f"  index = ({' + '.join(repr(float(r)) for r in rates)}) / 3")
    total = sum(counts.values())
    lines.append(f"        = {total} × 100000 / (3 × {pop}) = {float(index)!r}")
    lines.append(f"        exact: {index.numerator}/{index.denominator}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description="CAP index expected values for the RJ fixtures")
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--fixtures", type=Path, default=ROOT / "fixtures" / "rj-isp")
    ap.add_argument("--explain", metavar="CODE:QUARTER", action="append", default=[],
                    help="print the arithmetic for one AISP-quarter, e.g. RJ-AISP05:2016-Q1")
    a = ap.parse_args(argv)
    shared, fx = a.shared, a.fixtures

    monthly, present, july, nrows = load_original(shared / ORIGINAL)
    aisp_pop = aisp_populations(july, load_annual_population(shared / ANNUAL_POP))
    print(f"original: {nrows} rows read from {ORIGINAL.name}", file=sys.stderr)

    # ---- expected values from the original
    expected = []
    for aisp, q in CASES:
        year, months = quarter_months(q)
        counts = {c: 0 for c, _ in CAP}
        for m in months:
            if (aisp, year, m) not in monthly:
                sys.exit(f"expected.py: AISP {aisp} has no rows in {year}-{m:02} in the original")
            for c in counts:
                counts[c] += monthly[(aisp, year, m)][c]
        pop = aisp_pop[(aisp, year)]
        _, index = cap_index(counts, pop)
        expected.append((code_of(aisp), q, counts, pop, index))

    # ---- 1. what the fixtures imply for the same AISP-quarters
    fc = read_fixture_counts(fx / "counts.csv")
    fp = read_fixture_population(fx / "population.csv")
    for code, q, counts, pop, index in expected:
        year, months = quarter_months(q)
        got = {c: 0 for c, _ in CAP}
        for m in months:
            for c in got:
                key = (code, f"{year}-{m:02}", c)
                if key not in fc:
                    problem(f"counts.csv: no row for {key}")
                got[c] += fc.get(key, 0)
        gpop = fp.get((code, year))
        if gpop is None:
            problem(f"population.csv: no row for {code} {year}")
            continue
        _, gindex = cap_index(got, gpop)
        if got != counts or gpop != pop or gindex != index:
            problem(f"{code} {q}: original gives counts {counts}, population {pop}, index {float(index)!r}; "
                    f"fixtures give {got}, {gpop}, {float(gindex)!r}")

    # ---- 2. whole-file agreement, over the years the fixtures cover
    years = {int(m[:4]) for _, m, _ in fc} | {y for _, y in fp}
    want_counts = {(code_of(a_), f"{y}-{m:02}", c): v
                   for (a_, y, m), d in monthly.items() if y in years
                   for c, v in d.items() if (a_, y, m, c) in present}
    for k in sorted(want_counts.keys() | fc.keys()):
        if want_counts.get(k) != fc.get(k):
            problem(f"counts.csv {k}: original gives {want_counts.get(k)}, fixture has {fc.get(k)}")
    want_pop = {(code_of(a_), y): v for (a_, y), v in aisp_pop.items() if y in years}
    for k in sorted(want_pop.keys() | fp.keys()):
        if want_pop.get(k) != fp.get(k):
            problem(f"population.csv {k}: original gives {want_pop.get(k)}, fixture has {fp.get(k)}")

    # ---- 3. the territories exist
    with (fx / "territories.geojson").open(encoding="utf-8") as fh:
        terr = {f["properties"]["code"]: f["properties"] for f in json.load(fh)["features"]}
    for code, *_ in expected:
        if terr.get(code, {}).get("kind") != "aisp":
            problem(f"territories.geojson: no feature with code {code} and kind aisp")

    for spec in a.explain:
        code, q = spec.split(":")
        for e in expected:
            if e[0] == code and e[1] == q:
                print(explain(*e[:4]))
                break
        else:
            problem(f"--explain {spec}: not one of the chosen AISP-quarters")

    if problems:
        for p in problems[:50]:
            print(f"MISMATCH: {p}", file=sys.stderr)
        print(f"expected.py: {len(problems)} disagreement(s); expected_cap_index.csv not written",
              file=sys.stderr)
        return 1

    out = fx / "expected_cap_index.csv"
    with out.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["territory_code", "quarter"] + [c for c, _ in CAP] + ["population", "index"])
        for code, q, counts, pop, index in expected:
            w.writerow([code, q] + [counts[c] for c, _ in CAP] + [pop, repr(float(index))])
    print(f"ok: {len(expected)} AISP-quarters agree; counts.csv ({len(fc)} rows) and population.csv "
          f"({len(fp)} rows) equal the original for {min(years)}-{max(years)}; wrote {out}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
