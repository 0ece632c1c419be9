#!/usr/bin/env python3
"""Convert the ISP-RJ open data (monthly crime counts per CISP, CISP populations,
AISP boundaries) into Atalaia input files (contracts.md §2):

    territories.geojson  kind `territories`  one feature per AISP
    population.csv       kind `population`   territory_code,year,population
    counts.csv           kind `counts`       territory_code,month,crime,count

Python 3.11, standard library only.  Run from anywhere; by default it reads
`<repo>/../shared/data/...` and writes `<repo>/fixtures/rj-isp/`:

    python3 scripts/rj_isp/convert.py [--shared DIR] [--out DIR]
                                      [--from-year 2014] [--to-year 2017]
                                      [--territory-aisps 5,6,14,39 | all]

Inputs (under --shared):
    data/rj-isp-cisp-mensal/cisp_mensal_2003_2017.csv   (UTF-8 `,` copy of ISP's
        BaseDPEvolucaoMensalCisp.csv; one row per CISP and month 2003-01..2017-12)
    data/rj-isp-cisp-mensal/populacao_cisp_anual.csv    (cisp,ano,pop; 2000-2020)
    data/rj-isp-geo/rj_aisp_2019.geojson                (39 AISP polygons)

Decisions (also written down in fixtures/rj-isp/README.md):

* Territory codes: AISP n -> `RJ-AISP{n:02}` (RJ-AISP05), name "AISP n (RJ)",
  kind "aisp", source "ISP-RJ".  Geometry and coordinates are copied unchanged
  (6 decimals, shapefile ring winding: exteriors clockwise).  The source `crs`
  member (CRS84, the RFC 7946 default) is dropped.
* Counts: each crime row is attributed to the AISP in its own `aisp` column (the
  AISP as it was in that month) and summed over the CISPs of that AISP-month.
  `month` is the month of *communication* of the occurrence (ISP's `mes`/`ano`).
  Crimes: homicidio_doloso <- hom_doloso (counts VICTIMS),
          roubo_veiculo <- roubo_veiculo (CASES),
          furto_veiculo <- furto_veiculos (CASES).
  Zero counts are written.  An empty cell means "series not collected": it is
  skipped (contributes nothing) and the number of skipped cells is reported; an
  AISP-month-crime whose cells are all empty gets no row at all.
* Population: an AISP's population in year Y is the sum of the ISP annual
  population (`populacao_cisp_anual.csv`) of the CISPs whose `aisp` in the crime
  file is that AISP in **July of Y** (ISP's population reference date is mid-year:
  the annual figure equals ISP's monthly estimate for July).  Summed exactly in
  decimal, then rounded to the nearest integer (halves up).  Consequence: when a
  CISP moves between AISPs during the year (2017: CISP 18 AISP 4 -> 6 and CISP 28
  AISP 9 -> 18, both from July), the months before the move are counted in the old
  AISP but the whole year's population goes to the new one.
* Years: only 2003-2017 exist; by default 2014-2017 to keep the fixtures small.
* territories.geojson: the full 39-AISP file is ~3.9 MB, over the ~3 MB budget of
  committed fixtures, so by default only the AISPs used by expected_cap_index.csv
  (5, 6, 14, 39) are written.  `--territory-aisps all` writes all of them.
  counts.csv and population.csv always cover every AISP present in the data.

Fonte: ISP-RJ (see ../shared/data/rj-isp-cisp-mensal/PROVENANCE.md and
../shared/data/rj-isp-geo/PROVENANCE.md).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import NoReturn

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SHARED = REPO_ROOT.parent / "shared"
DEFAULT_OUT = REPO_ROOT / "fixtures" / "rj-isp"

CRIME_FILE = Path("data/rj-isp-cisp-mensal/cisp_mensal_2003_2017.csv")
POP_FILE = Path("data/rj-isp-cisp-mensal/populacao_cisp_anual.csv")
GEO_FILE = Path("data/rj-isp-geo/rj_aisp_2019.geojson")

# catalog code <- ISP column (order = output order)
CRIMES = (
    ("homicidio_doloso", "hom_doloso"),   # victims
    ("roubo_veiculo", "roubo_veiculo"),   # cases
    ("furto_veiculo", "furto_veiculos"),  # cases
)
FIRST_YEAR, LAST_YEAR = 2003, 2017
POPULATION_MONTH = 7  # July: the CISP -> AISP membership used for populations
DEFAULT_TERRITORY_AISPS = (5, 6, 14, 39)  # the AISPs of expected_cap_index.csv


def territory_code(aisp: int) -> str:
    return f"RJ-AISP{aisp:02}"


def log(msg: str) -> None:
    print(msg, file=sys.stderr)


def fail(msg: str) -> NoReturn:
    print(f"convert.py: error: {msg}", file=sys.stderr)
    sys.exit(1)


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--shared", type=Path, default=DEFAULT_SHARED,
                   help="the shared directory (default: <repo>/../shared)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT,
                   help="output directory (default: <repo>/fixtures/rj-isp)")
    p.add_argument("--from-year", type=int, default=2014)
    p.add_argument("--to-year", type=int, default=2017)
    p.add_argument("--territory-aisps", default=",".join(map(str, DEFAULT_TERRITORY_AISPS)),
                   help="AISP numbers to write to territories.geojson, comma-separated, "
                        "or 'all' (default: %(default)s)")
    a = p.parse_args(argv)
    if not (FIRST_YEAR <= a.from_year <= a.to_year <= LAST_YEAR):
        p.error(f"--from-year/--to-year must satisfy {FIRST_YEAR} <= from <= to <= {LAST_YEAR}")
    if a.territory_aisps.strip().lower() == "all":
        a.territory_aisps = None
    else:
        try:
            a.territory_aisps = sorted({int(x) for x in a.territory_aisps.split(",") if x.strip()})
        except ValueError:
            p.error(f"--territory-aisps: expected numbers separated by commas or 'all', "
                    f"got {a.territory_aisps!r}")
    return a


def read_crimes(path: Path, y0: int, y1: int):
    """Returns (counts, membership, skipped, partial):
    counts[(aisp, 'YYYY-MM', crime)] = int, only for AISP-month-crimes with a value;
    membership[(cisp, year)] = aisp in July of that year."""
    counts: dict[tuple[int, str, str], int] = {}
    membership: dict[tuple[str, int], int] = {}
    skipped = 0
    empties: dict[tuple[int, str, str], int] = defaultdict(int)
    seen: set[tuple[str, int, int]] = set()
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        need = {"cisp", "mes", "ano", "aisp"} | {col for _, col in CRIMES}
        missing = need - set(reader.fieldnames or [])
        if missing:
            fail(f"{path}: missing columns {sorted(missing)}")
        for r in reader:
            line = reader.line_num
            try:
                year, month, aisp = int(r["ano"]), int(r["mes"]), int(r["aisp"])
            except ValueError:
                fail(f"{path}:{line}: ano/mes/aisp not integers: {r['ano']!r}/{r['mes']!r}/{r['aisp']!r}")
            cisp = r["cisp"].strip()
            if (cisp, year, month) in seen:
                fail(f"{path}:{line}: duplicate row for CISP {cisp} {year}-{month:02}")
            seen.add((cisp, year, month))
            if not (y0 <= year <= y1):
                continue
            if not 1 <= month <= 12:
                fail(f"{path}:{line}: mes {month} out of 1..12")
            if month == POPULATION_MONTH:
                membership[(cisp, year)] = aisp
            ym = f"{year:04}-{month:02}"
            for crime, col in CRIMES:
                v = r[col].strip()
                key = (aisp, ym, crime)
                if v == "":
                    skipped += 1
                    empties[key] += 1
                    continue
                try:
                    n = int(v)
                except ValueError:
                    fail(f"{path}:{line}: column {col}: {v!r} is not an integer")
                if n < 0:
                    fail(f"{path}:{line}: column {col}: negative count {n}")
                counts[key] = counts.get(key, 0) + n
    partial = sorted(k for k in empties if k in counts)  # some cells empty, some not
    return counts, membership, skipped, partial


def read_population(path: Path, y0: int, y1: int) -> dict[tuple[str, int], Decimal]:
    pop: dict[tuple[str, int], Decimal] = {}
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        for r in reader:
            year = int(r["ano"])
            if y0 <= year <= y1:
                key = (r["cisp"].strip(), year)
                if key in pop:
                    fail(f"{path}:{reader.line_num}: duplicate population for CISP {key[0]} {year}")
                pop[key] = Decimal(r["pop"].strip())
    return pop


def aisp_population(membership, cisp_pop, y0, y1):
    """{(aisp, year): int}; warns about CISPs on one side only."""
    sums: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    no_pop = sorted(k for k in membership if k not in cisp_pop)
    unattached = sorted(k for k in cisp_pop if k not in membership)
    for (cisp, year), aisp in membership.items():
        if (cisp, year) in cisp_pop:
            sums[(aisp, year)] += cisp_pop[(cisp, year)]
    for cisp, year in no_pop:
        log(f"warning: CISP {cisp} is in AISP {membership[(cisp, year)]} in {year}-07 "
            f"but has no annual population for {year}; left out of the AISP's population")
    for cisp, year in unattached:
        log(f"warning: CISP {cisp} has a {year} population but no crime row for {year}-07; "
            f"its population is attached to no AISP")
    ties = [k for k, v in sums.items() if v % 1 == Decimal("0.5")]
    if ties:
        log(f"note: {len(ties)} AISP-year population(s) end in exactly .5 and were rounded up: {sorted(ties)}")
    return {k: int(v.quantize(Decimal(1), rounding=ROUND_HALF_UP)) for k, v in sums.items()}


def write_csv(path: Path, header: list[str], rows) -> int:
    n = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for row in rows:
            w.writerow(row)
            n += 1
    return n


def convert_territories(src: Path, dst: Path, only: list[int] | None, data_aisps: set[int]) -> int:
    with src.open(encoding="utf-8") as f:
        fc = json.load(f)
    if fc.get("type") != "FeatureCollection":
        fail(f"{src}: not a GeoJSON FeatureCollection")
    features = []
    geo_aisps = set()
    for feat in fc["features"]:
        n = int(feat["properties"]["aisp"])
        if n in geo_aisps:
            fail(f"{src}: AISP {n} appears twice")
        geo_aisps.add(n)
        features.append({
            "type": "Feature",
            "properties": {
                "code": territory_code(n),
                "name": f"AISP {n} (RJ)",
                "kind": "aisp",
                "source": "ISP-RJ",
            },
            # Outside the selection the AISP is still listed (so its counts and population are
            # known territories) but without its polygon, to keep the fixture small.
            "geometry": feat["geometry"] if only is None or n in only else None,
        })
    if only is not None:
        absent = sorted(set(only) - geo_aisps)
        if absent:
            fail(f"{src}: no polygon for AISP(s) {absent}")
    if data_aisps - geo_aisps:
        log(f"warning: AISP(s) {sorted(data_aisps - geo_aisps)} have counts but no polygon in {src.name};"
            " listed without geometry")
        for n in sorted(data_aisps - geo_aisps):
            features.append({
                "type": "Feature",
                "properties": {"code": territory_code(n), "name": f"AISP {n} (RJ)", "kind": "aisp",
                               "source": "ISP-RJ"},
                "geometry": None,
            })
    if geo_aisps - data_aisps:
        log(f"warning: AISP(s) {sorted(geo_aisps - data_aisps)} have a polygon but no counts in the chosen years")
    features.sort(key=lambda ft: ft["properties"]["code"])
    out = {"type": "FeatureCollection", "features": features}
    with dst.open("w", encoding="utf-8", newline="\n") as f:
        # float repr is the shortest string that round-trips, so the source's
        # 6-decimal coordinates are written back digit for digit.
        json.dump(out, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    return len(features)


def main(argv: list[str]) -> int:
    a = parse_args(argv)
    shared = a.shared if a.shared.is_absolute() else Path.cwd() / a.shared
    out = a.out
    for rel in (CRIME_FILE, POP_FILE, GEO_FILE):
        if not (shared / rel).is_file():
            fail(f"{shared / rel}: not found (use --shared to point at the shared directory)")
    out.mkdir(parents=True, exist_ok=True)
    y0, y1 = a.from_year, a.to_year

    counts, membership, skipped, partial = read_crimes(shared / CRIME_FILE, y0, y1)
    cisp_pop = read_population(shared / POP_FILE, y0, y1)
    pop = aisp_population(membership, cisp_pop, y0, y1)

    crime_order = {c: i for i, (c, _) in enumerate(CRIMES)}
    count_rows = (
        (territory_code(aisp), ym, crime, n)
        for (aisp, ym, crime), n in sorted(counts.items(),
                                           key=lambda kv: (kv[0][0], kv[0][1], crime_order[kv[0][2]]))
    )
    n_counts = write_csv(out / "counts.csv", ["territory_code", "month", "crime", "count"], count_rows)
    pop_rows = ((territory_code(aisp), year, n) for (aisp, year), n in sorted(pop.items()))
    n_pop = write_csv(out / "population.csv", ["territory_code", "year", "population"], pop_rows)

    data_aisps = {k[0] for k in counts}
    n_terr = convert_territories(shared / GEO_FILE, out / "territories.geojson", a.territory_aisps, data_aisps)

    zeros = sum(1 for v in counts.values() if v == 0)
    log(f"years {y0}-{y1}: {len(data_aisps)} AISPs")
    log(f"counts.csv: {n_counts} rows ({zeros} zero counts); "
        f"{skipped} empty cell(s) skipped (series not collected)")
    if partial:
        log(f"warning: {len(partial)} AISP-month-crime(s) summed over only some CISPs "
            f"(others empty): {partial[:10]}{' ...' if len(partial) > 10 else ''}")
    log(f"population.csv: {n_pop} rows (CISP->AISP membership of July of each year)")
    log(f"territories.geojson: {n_terr} features"
        + ("" if a.territory_aisps is None else f" (AISPs {a.territory_aisps} only)"))
    for name in ("territories.geojson", "population.csv", "counts.csv"):
        log(f"  {out / name}: {(out / name).stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
