#!/usr/bin/env python3
"""Territory, population and unit import files for the occurrence-import benchmark (Goiás municipalities).

Writes, under --out-dir (default bench/out):
  go_municipios.geojson  territories import file (contracts.md §2): a FeatureCollection of the 246 Goiás
                         municipalities with properties code = IBGE code, name, kind = "municipality",
                         ibge = code (rings rewound to RFC 7946: exterior counter-clockwise)
  go_population.csv      population import file: territory_code,year,population (IBGE estimates 2012–2021)
  go_units.csv           units import file (code,name,institution,territory_codes) for the unit codes that
                         gen_occurrences.py writes; optional, the benchmark only imports it with BENCH_UNITS=1

Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_occurrences import GEOJSON, POPULATION, UNITS  # noqa: E402


def signed_area(ring):
    return sum(x1 * y2 - x2 * y1 for (x1, y1, *_), (x2, y2, *_) in zip(ring, ring[1:])) / 2.0


def rfc7946(geom):
    """Same geometry, rings wound as RFC 7946 asks: exterior counter-clockwise, holes clockwise (the source
    uses the shapefile convention, exterior clockwise)."""
    def fix(poly):
        out = []
        for k, ring in enumerate(poly):
            ccw = signed_area(ring) > 0
            out.append(ring[::-1] if ccw != (k == 0) else ring)
        return out
    if geom["type"] == "Polygon":
        return {"type": "Polygon", "coordinates": fix(geom["coordinates"])}
    if geom["type"] == "MultiPolygon":
        return {"type": "MultiPolygon", "coordinates": [fix(p) for p in geom["coordinates"]]}
    return geom


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out-dir", default=os.path.join(here, "out"))
    a = ap.parse_args()
    os.makedirs(a.out_dir, exist_ok=True)

    with open(GEOJSON, encoding="utf-8") as f:
        src = json.load(f)
    features = []
    for feat in src["features"]:
        p = feat["properties"]
        code = str(p["id"])
        if len(code) != 7 or not code.startswith("52"):
            raise SystemExit(f"territories_go: unexpected municipality id {code!r} in {GEOJSON}")
        features.append({
            "type": "Feature",
            "properties": {"code": code, "name": p["name"], "kind": "municipality", "ibge": code},
            "geometry": rfc7946(feat["geometry"]),
        })
    features.sort(key=lambda ft: ft["properties"]["code"])
    geo_path = os.path.join(a.out_dir, "go_municipios.geojson")
    with open(geo_path, "w", encoding="utf-8") as f:
        json.dump({"type": "FeatureCollection", "features": features}, f, ensure_ascii=False,
                  separators=(",", ":"))
        f.write("\n")
    codes = {ft["properties"]["code"] for ft in features}

    rows = []
    with open(POPULATION, encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            if r["cod_uf"] == "52":
                rows.append((r["cod_ibge"], int(r["ano"]), int(r["populacao_estimada"])))
    rows.sort()
    missing = sorted({c for c, _, _ in rows} ^ codes)
    if missing:
        print(f"territories_go: warning: codes not in both geometry and population: {missing}", file=sys.stderr)
    pop_path = os.path.join(a.out_dir, "go_population.csv")
    with open(pop_path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["territory_code", "year", "population"])
        w.writerows(rows)

    units_path = os.path.join(a.out_dir, "go_units.csv")
    with open(units_path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["code", "name", "institution", "territory_codes"])
        for code, name, inst, terr, _w in UNITS:
            w.writerow([code, name, inst, terr])

    years = sorted({y for _, y, _ in rows})
    print(f"territories_go: {len(features)} municipalities -> {geo_path}; "
          f"{len(rows)} population rows ({years[0]}–{years[-1]}) -> {pop_path}; {len(UNITS)} units -> {units_path}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
