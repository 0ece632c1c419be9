#!/usr/bin/env python3
"""Synthetic occurrence files for benchmarking `atalaia import occurrences`.

Writes a UTF-8, comma-separated occurrences CSV (contracts.md §2, kind `occurrences`) with columns

    id,occurred_at,crime,lat,lon,territory_code,victims,unit_code,bairro

(`bairro` is an extra column the importer must ignore), optionally a "Latin-1 twin" holding the same logical
rows as Windows-1252, `;`-separated, decimal commas, `DD/MM/YYYY HH:MM:SS` dates and CRLF line endings, and a
JSON manifest with the results an import must produce (good rows, rejected rows with their line numbers and
the kind of error, unassigned rows, ...).

Python 3.11 standard library only; deterministic for a seed (random.Random(seed)); one line per record (no
quoted newlines), so "line number" = data row number + 1.

    python3 bench/gen_occurrences.py --rows 1000000 --seed 42 --out bench/out/occ.csv \
        --latin1-twin bench/out/occ.latin1.csv --manifest bench/out/occ.manifest.json [--bad-rate 0.01]
"""

from __future__ import annotations

import argparse
import bisect
import csv
import hashlib
import json
import os
import random
import sys
import time
from datetime import date, timedelta

DATA = os.environ.get("ATALAIA_SHARED_DATA", "/work/shared/data")
GEOJSON = os.path.join(DATA, "ibge-municipios-geojson", "geojs-52-mun.json")
POPULATION = os.path.join(DATA, "ibge-populacao-estimada", "populacao_estimada_municipios_2012_2021.csv")

COLUMNS = ["id", "occurred_at", "crime", "lat", "lon", "territory_code", "victims", "unit_code", "bairro"]

# The crime catalog (contracts.md §2) with rough relative frequencies (per 10,000 occurrences): theft and
# robbery dominate, lethal crimes are rare.
CRIME_WEIGHTS = {
    "furto_transeunte": 1500,
    "furto_celular": 1100,
    "furto_residencia": 800,
    "furto_comercio": 750,
    "furto_veiculo": 700,
    "roubo_transeunte": 850,
    "roubo_celular": 650,
    "roubo_comercio": 300,
    "roubo_residencia": 150,
    "roubo_veiculo": 300,
    "roubo_carga": 30,
    "roubo_instituicao_financeira": 3,
    "violencia_domestica": 900,
    "trafico_drogas": 350,
    "porte_ilegal_arma": 150,
    "estupro": 90,
    "tentativa_homicidio": 70,
    "homicidio_doloso": 55,
    "feminicidio": 4,
    "latrocinio": 4,
    "lesao_corporal_seguida_de_morte": 4,
    "outros": 1235,
}
LETHAL = {"homicidio_doloso", "feminicidio", "latrocinio", "lesao_corporal_seguida_de_morte", "tentativa_homicidio"}

# Units: (code, name, institution, territory code, weight). territories_go.py writes them as a units file.
UNITS = [
    ("PM-1BPM", "1º Batalhão de Polícia Militar", "PM", "5208707", 20),
    ("PM-7BPM", "7º Batalhão de Polícia Militar", "PM", "5208707", 15),
    ("PM-13BPM", "13º Batalhão de Polícia Militar", "PM", "5208707", 12),
    ("PM-4BPM", "4º Batalhão de Polícia Militar", "PM", "5201108", 8),
    ("PM-8BPM", "8º Batalhão de Polícia Militar", "PM", "5201405", 10),
    ("PC-1DP", "1ª Delegacia Distrital de Polícia de Goiânia", "PC", "5208707", 10),
    ("PC-DIH", "Delegacia Estadual de Investigação de Homicídios", "PC", "5208707", 3),
    ("PC-DEAM", "Delegacia Especializada de Atendimento à Mulher", "PC", "5208707", 5),
]

BAIRROS = [
    "Setor Bueno", "Jardim América", "Vila São José", "Setor Marista", "Jardim Goiás", "Setor Oeste",
    "Parque Amazônia", "Setor Pedro Ludovico", "Jardim Guanabara", "Vila Nova", "Setor Coimbra",
    "Setor Central", "Jardim Novo Mundo", "Setor Aeroporto", "Cidade Jardim", "Vila Canaã",
    "Setor Faiçalville", "Parque Atheneu", "Residencial Itaipú", "Setor Universitário", "Vila Redenção",
    "Jardim Curitiba", "Setor Urias Magalhães", "Conjunto Vera Cruz", "Bairro Feliz", "Setor Criméia Leste",
]

# Kinds of malformed rows, produced round-robin among the bad rows so that every kind shows up.
BAD_KINDS = [
    "unknown_crime",             # crime code neither in the catalog nor in a crime map
    "impossible_date",           # 2023-02-30 and friends
    "unparsable_date",           # "ontem"
    "lat_out_of_range",          # -95.1
    "lon_not_numeric",           # "-49,2x"
    "no_location",               # no lat, no lon, no territory_code
    "lat_without_lon",           # lat given, lon and territory_code empty
    "victims_zero",              # 0
    "victims_negative",          # -1
    "victims_not_numeric",       # "dois"
    "empty_id",                  # required id empty
    "extra_field",               # one field more than the header
    "missing_field",             # one field less than the header
    "broken_lat_with_territory", # invalid lat next to a valid territory_code (must reject, contracts §2)
]

UNKNOWN_CRIMES = ["roubo_bicicleta", "estelionato", "furto_fios", "x123", "crime_desconhecido"]
IMPOSSIBLE_DATES = [("2023", "02", "30"), ("2022", "04", "31"), ("2021", "02", "29"), ("2024", "13", "05"),
                    ("2025", "06", "00")]
UNPARSABLE_DATES = ["ontem", "anteontem à noite", "sem data", "2023/99/99"]
VICTIMS_NOT_NUMERIC = ["dois", "um", "1,5x"]

# Outside Goiás: central Bahia (far away) and the Distrito Federal (an enclave inside Goiás' bounding box but
# in no Goiás municipality: a bounding-box test would wrongly assign it).
OUTSIDE_BOXES = [  # (weight, lat_min, lat_max, lon_min, lon_max)
    (6, -13.5, -11.5, -42.0, -39.0),   # Bahia
    (4, -15.95, -15.70, -48.10, -47.80),  # Distrito Federal (Brasília, Taguatinga, Ceilândia)
]

JITTER = 0.002        # degrees (~220 m): half-width of the jitter box around a pool point
SAFE_MARGIN = JITTER + 1e-4  # a pool point's jitter box (plus rounding) touches no municipal boundary
GRID = 0.02           # degrees, cell size of the edge index


# --------------------------------------------------------------------------------------------------------------
# Geometry


class Municipality:
    __slots__ = ("code", "name", "rings", "bbox", "bands", "y0", "band_h", "nb")

    def __init__(self, code, name, rings):
        self.code, self.name, self.rings = code, name, rings
        xs = [p[0] for r in rings for p in r]
        ys = [p[1] for r in rings for p in r]
        self.bbox = (min(xs), min(ys), max(xs), max(ys))
        # Edges bucketed into horizontal bands, for a fast even-odd ray cast.
        self.nb = 64
        self.y0 = self.bbox[1]
        self.band_h = (self.bbox[3] - self.bbox[1]) / self.nb or 1.0
        self.bands = [[] for _ in range(self.nb)]
        for ring in rings:
            for k in range(len(ring) - 1):
                (x1, y1), (x2, y2) = ring[k][:2], ring[k + 1][:2]
                if y1 == y2:
                    continue
                b1 = self._band(min(y1, y2))
                b2 = self._band(max(y1, y2))
                for b in range(b1, b2 + 1):
                    self.bands[b].append((x1, y1, x2, y2))

    def _band(self, y):
        b = int((y - self.y0) / self.band_h)
        return 0 if b < 0 else (self.nb - 1 if b >= self.nb else b)

    def contains(self, x, y):
        bx0, by0, bx1, by1 = self.bbox
        if not (bx0 <= x <= bx1 and by0 <= y <= by1):
            return False
        inside = False
        for x1, y1, x2, y2 in self.bands[self._band(y)]:
            if (y1 > y) != (y2 > y):
                if x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
                    inside = not inside
        return inside


class Geo:
    def __init__(self, geojson_path):
        with open(geojson_path, encoding="utf-8") as f:
            fc = json.load(f)
        self.munis = []
        self.edges = {}  # (i, j) grid cell -> list of edge bboxes
        for feat in fc["features"]:
            g = feat["geometry"]
            polys = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
            rings = [ring for poly in polys for ring in poly]
            props = feat["properties"]
            m = Municipality(str(props["id"]), props["name"], rings)
            self.munis.append(m)
            for ring in rings:
                for k in range(len(ring) - 1):
                    (x1, y1), (x2, y2) = ring[k][:2], ring[k + 1][:2]
                    eb = (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))
                    for i in range(int(eb[0] // GRID), int(eb[2] // GRID) + 1):
                        for j in range(int(eb[1] // GRID), int(eb[3] // GRID) + 1):
                            self.edges.setdefault((i, j), []).append(eb)
        self.by_code = {m.code: m for m in self.munis}

    def near_boundary(self, x, y, r):
        """True when some municipal boundary edge's bounding box meets the box [x±r]×[y±r] (conservative)."""
        x0, x1, y0, y1 = x - r, x + r, y - r, y + r
        edges = self.edges
        for i in range(int(x0 // GRID), int(x1 // GRID) + 1):
            for j in range(int(y0 // GRID), int(y1 // GRID) + 1):
                for ex0, ey0, ex1, ey1 in edges.get((i, j), ()):
                    if ex0 <= x1 and ex1 >= x0 and ey0 <= y1 and ey1 >= y0:
                        return True
        return False

    def which(self, x, y):
        for m in self.munis:
            if m.contains(x, y):
                return m.code
        return None


def load_population(year=2021, uf="52"):
    pop = {}
    with open(POPULATION, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row["ano"] == str(year) and row["cod_uf"] == uf:
                pop[row["cod_ibge"]] = int(row["populacao_estimada"])
    return pop


def sample_pool(rng, geo, pop, n):
    """n points (lon, lat, code) inside Goiás municipalities, weighted by population, each far enough from any
    boundary that jitter of ±JITTER keeps it inside the same municipality."""
    munis = [m for m in geo.munis if m.code in pop]
    cum, acc = [], 0
    for m in munis:
        acc += pop[m.code]
        cum.append(acc)
    pool = []
    tries = 0
    while len(pool) < n:
        tries += 1
        if tries > 200 * n + 100000:
            raise SystemExit("gen_occurrences: cannot sample municipality points (bad geometry?)")
        m = munis[bisect.bisect_right(cum, rng.random() * acc)]
        bx0, by0, bx1, by1 = m.bbox
        for _ in range(200):
            x = bx0 + rng.random() * (bx1 - bx0)
            y = by0 + rng.random() * (by1 - by0)
            if m.contains(x, y) and not geo.near_boundary(x, y, SAFE_MARGIN):
                pool.append((x, y, m.code))
                break
    return pool


def sample_outside(rng, geo, n):
    """n points outside every Goiás municipality, jitter-safe."""
    wsum = sum(b[0] for b in OUTSIDE_BOXES)
    pts = []
    while len(pts) < n:
        u = rng.random() * wsum
        for w, la0, la1, lo0, lo1 in OUTSIDE_BOXES:
            if u < w:
                break
            u -= w
        x = lo0 + rng.random() * (lo1 - lo0)
        y = la0 + rng.random() * (la1 - la0)
        if geo.which(x, y) is None and not geo.near_boundary(x, y, SAFE_MARGIN):
            pts.append((x, y, None))
    return pts


# --------------------------------------------------------------------------------------------------------------
# Lookup tables


def weighted_table(rng_items, bits=12):
    """A list of 2**bits entries in proportion to the weights, for O(1) draws with getrandbits(bits)."""
    size = 1 << bits
    total = sum(w for _, w in rng_items)
    table = []
    acc = 0.0
    for k, (item, w) in enumerate(rng_items):
        acc += w
        upto = size if k == len(rng_items) - 1 else round(acc / total * size)
        table.extend([item] * (upto - len(table)))
    return table


HOUR_WEIGHTS = [30, 22, 16, 12, 10, 10, 18, 30, 40, 45, 48, 50, 52, 50, 50, 52, 56, 62, 72, 80, 82, 76, 62, 44]


def fmt_line(fields, sep, eol):
    out = []
    for v in fields:
        if sep in v or '"' in v:
            v = '"' + v.replace('"', '""') + '"'
        out.append(v)
    return sep.join(out) + eol


# --------------------------------------------------------------------------------------------------------------


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, required=True)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", required=True)
    ap.add_argument("--latin1-twin")
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--bad-rate", type=float, default=0.01)
    ap.add_argument("--pool", type=int, default=200_000, help="pre-sampled Goiás points (default 200000)")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args(argv)
    if a.rows < 0 or not (0.0 <= a.bad_rate <= 1.0):
        ap.error("--rows must be >= 0 and --bad-rate in [0, 1]")

    t0 = time.monotonic()
    log = (lambda *m: None) if a.quiet else (lambda *m: print("gen_occurrences:", *m, file=sys.stderr, flush=True))
    rng = random.Random(a.seed)
    rnd = rng.random
    getrandbits = rng.getrandbits

    geo = Geo(GEOJSON)
    pop = load_population()
    pool = sample_pool(rng, geo, pop, max(1, min(a.pool, max(1000, a.rows))))
    outside = sample_outside(rng, geo, 2000)
    log(f"pool of {len(pool)} Goiás points and {len(outside)} outside points in {time.monotonic() - t0:.1f}s")

    # code-only rows: municipality weighted by population
    pop_codes = sorted(pop)
    code_table = weighted_table([(c, pop[c]) for c in pop_codes], bits=16)
    crime_table = weighted_table(list(CRIME_WEIGHTS.items()), bits=14)
    unit_table = weighted_table([("", 70)] + [(u[0], u[4]) for u in UNITS], bits=10)
    bairro_table = weighted_table([("", len(BAIRROS) * 0.45)] + [(b, 1) for b in BAIRROS], bits=10)
    hour_table = weighted_table([(f"{h:02d}", w) for h, w in enumerate(HOUR_WEIGHTS)], bits=10)
    mmss = [f"{m:02d}:{s:02d}" for m in range(60) for s in range(60)]
    d0, d1 = date(2021, 1, 1), date(2025, 12, 31)
    days = []
    d = d0
    while d <= d1:
        days.append((d.isoformat() + "T", d.strftime("%d/%m/%Y ")))
        d += timedelta(days=1)
    ndays = len(days)
    npool, nout = len(pool), len(outside)
    j2 = 2 * JITTER
    victims_other = weighted_table([("", 62), ("1", 35), ("2", 3)], bits=8)
    victims_lethal = weighted_table([("1", 80), ("2", 15), ("3", 5)], bits=8)

    twin = a.latin1_twin
    f_out = open(a.out, "wb")
    f_twin = open(twin, "wb") if twin else None
    h_out = hashlib.sha256()
    h_twin = hashlib.sha256()
    header_u = ",".join(COLUMNS) + "\n"
    header_t = ";".join(COLUMNS) + "\r\n"
    buf_u, buf_t = [header_u], [header_t]

    def flush():
        b = "".join(buf_u).encode("utf-8")
        h_out.update(b)
        f_out.write(b)
        buf_u.clear()
        if f_twin:
            b = "".join(buf_t).encode("cp1252")
            h_twin.update(b)
            f_twin.write(b)
            buf_t.clear()

    rejected = []  # (line, kind)
    kind_counts = {k: 0 for k in BAD_KINDS}
    by_territory = {}
    by_crime = {c: 0 for c in CRIME_WEIGHTS}
    mix = {"coords_in_goias": 0, "coords_and_territory_code": 0, "territory_code_only": 0,
           "coords_outside_goias": 0}
    unassigned = 0
    bad_rate = a.bad_rate
    prefix = f"BO-{a.seed}-"
    nbad = 0
    chunk = 50_000

    for n in range(1, a.rows + 1):
        crime = crime_table[getrandbits(14)]
        day_iso, day_br = days[int(rnd() * ndays)]
        tod = hour_table[getrandbits(10)] + ":" + mmss[int(rnd() * 3600)]
        u = rnd()
        if u < 0.905:
            x, y, code = pool[int(rnd() * npool)]
            lat = f"{y + (rnd() - 0.5) * j2:.6f}"
            lon = f"{x + (rnd() - 0.5) * j2:.6f}"
            if u < 0.02:  # some sources send both; consistent with each other
                tcode = code
                loc = "coords_and_territory_code"
            else:
                tcode = ""
                loc = "coords_in_goias"
        elif u < 0.995:
            code = tcode = code_table[getrandbits(16)]
            lat = lon = ""
            loc = "territory_code_only"
        else:
            x, y, code = outside[int(rnd() * nout)]
            lat = f"{y + (rnd() - 0.5) * j2:.6f}"
            lon = f"{x + (rnd() - 0.5) * j2:.6f}"
            tcode = ""
            loc = "coords_outside_goias"
        victims = (victims_lethal if crime in LETHAL else victims_other)[getrandbits(8)]
        unit = unit_table[getrandbits(10)]
        bairro = bairro_table[getrandbits(10)] if code else ""

        if rnd() >= bad_rate:
            # a good row
            bid = prefix + f"{n:09d}"
            buf_u.append(f"{bid},{day_iso}{tod},{crime},{lat},{lon},{tcode},{victims},{unit},{bairro}\n")
            if twin:
                buf_t.append(f"{bid};{day_br}{tod};{crime};{lat.replace('.', ',')};{lon.replace('.', ',')};"
                             f"{tcode};{victims};{unit};{bairro}\r\n")
            mix[loc] += 1
            by_crime[crime] += 1
            if code:
                by_territory[code] = by_territory.get(code, 0) + 1
            else:
                unassigned += 1
        else:
            # a malformed row: start from the good one, break exactly one thing
            kind = BAD_KINDS[nbad % len(BAD_KINDS)]
            pick = nbad // len(BAD_KINDS)  # varies the broken value within a kind
            nbad += 1
            bid = prefix + f"{n:09d}"
            f = {"id": bid, "date": (day_iso[:-1], day_br[:-1]), "time": tod, "crime": crime, "lat": lat,
                 "lon": lon, "territory_code": tcode, "victims": victims, "unit_code": unit, "bairro": bairro}
            if kind == "unknown_crime":
                f["crime"] = UNKNOWN_CRIMES[pick % len(UNKNOWN_CRIMES)]
            elif kind == "impossible_date":
                yy, mm, dd = IMPOSSIBLE_DATES[pick % len(IMPOSSIBLE_DATES)]
                f["date"] = (f"{yy}-{mm}-{dd}", f"{dd}/{mm}/{yy}")
            elif kind == "unparsable_date":
                s = UNPARSABLE_DATES[pick % len(UNPARSABLE_DATES)]
                f["date"] = (s, s)
                f["time"] = None
            elif kind == "lat_out_of_range":
                f["lat"], f["lon"] = ("-95.1", "-49.250000") if pick % 2 == 0 else ("95.100000", "-49.250000")
            elif kind == "lon_not_numeric":
                f["lat"] = f["lat"] or "-16.680000"
                f["lon"] = "-49,2x"
            elif kind == "no_location":
                f["lat"] = f["lon"] = f["territory_code"] = ""
            elif kind == "lat_without_lon":
                f["lat"] = f["lat"] or "-16.680000"
                f["lon"] = f["territory_code"] = ""
            elif kind == "victims_zero":
                f["victims"] = "0"
            elif kind == "victims_negative":
                f["victims"] = "-1"
            elif kind == "victims_not_numeric":
                f["victims"] = VICTIMS_NOT_NUMERIC[pick % len(VICTIMS_NOT_NUMERIC)]
            elif kind == "empty_id":
                f["id"] = ""
            elif kind == "broken_lat_with_territory":
                f["territory_code"] = code if code else code_table[getrandbits(16)]
                f["lat"] = "-16.6.8" if pick % 2 == 0 else "lat?"
                f["lon"] = f["lon"] or "-49.250000"
            # extra_field / missing_field: handled when writing
            rejected.append((n + 1, kind))
            kind_counts[kind] += 1
            for iso, sep, eol, buf in ((True, ",", "\n", buf_u), (False, ";", "\r\n", buf_t if twin else None)):
                if buf is None:
                    continue
                dt = f["date"][0 if iso else 1]
                if f["time"]:
                    dt += ("T" if iso else " ") + f["time"]
                la, lo = f["lat"], f["lon"]
                if not iso:
                    la, lo = la.replace(".", ","), lo.replace(".", ",")
                vals = [f["id"], dt, f["crime"], la, lo, f["territory_code"], f["victims"], f["unit_code"],
                        f["bairro"]]
                if kind == "extra_field":
                    vals.append("campo extra")
                elif kind == "missing_field":
                    vals.pop()
                buf.append(fmt_line(vals, sep, eol))
        if n % chunk == 0:
            flush()
            if n % 1_000_000 == 0:
                log(f"{n:,} rows, {time.monotonic() - t0:.1f}s")
    flush()
    f_out.close()
    if f_twin:
        f_twin.close()

    good = a.rows - len(rejected)
    summary = {"kind": "occurrences", "read": a.rows, "inserted": good, "updated": 0, "unchanged": 0,
               "rejected": len(rejected), "unassigned": unassigned}
    files = {"utf8": {"path": a.out, "encoding": "utf-8", "delimiter": ",", "line_ending": "LF",
                      "date_format": "YYYY-MM-DDTHH:MM:SS", "decimal": ".", "sha256": h_out.hexdigest(),
                      "bytes": os.path.getsize(a.out)}}
    if twin:
        files["latin1_twin"] = {"path": twin, "encoding": "windows-1252", "delimiter": ";", "line_ending": "CRLF",
                                "date_format": "DD/MM/YYYY HH:MM:SS", "decimal": ",",
                                "sha256": h_twin.hexdigest(), "bytes": os.path.getsize(twin)}
    manifest = {
        "generator": "bench/gen_occurrences.py",
        "format_version": 1,
        "seed": a.seed,
        "rows": a.rows,
        "bad_rate": a.bad_rate,
        "columns": COLUMNS,
        "ignored_columns": ["bairro"],
        "files": files,
        "data_rows": a.rows,
        "header_line": 1,
        "expected_good": good,
        "expected_rejected": len(rejected),
        "expected_unassigned": unassigned,
        "expected_assigned": good - unassigned,
        "expected_summary": summary,
        "expected_reimport_summary": dict(summary, inserted=0, updated=0, unchanged=good),
        "notes": ("Territories are the Goiás municipalities (bench/out/go_municipios.geojson, code = IBGE code). "
                  "Good rows with coordinates lie inside one Goiás municipality at least ~0.002 degrees away "
                  "from any municipal boundary; rows with a territory_code (and coordinates, if any) belong to "
                  "that code; coords_outside_goias rows (Bahia, Distrito Federal) are valid and unassigned. "
                  "Rejected rows each break exactly one rule; line numbers count the header as line 1."),
        "location_mix": mix,
        "rejected_kinds": kind_counts,
        "good_by_territory": dict(sorted(by_territory.items())),
        "good_by_crime": by_crime,
        "rejected_rows": [{"line": ln, "kind": k} for ln, k in rejected],
    }
    tmp = a.manifest + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(manifest, f, ensure_ascii=False, indent=1)
        f.write("\n")
    os.replace(tmp, a.manifest)
    dt = time.monotonic() - t0
    log(f"{a.rows:,} rows ({good:,} good, {len(rejected):,} rejected, {unassigned:,} unassigned) "
        f"in {dt:.1f}s = {a.rows / dt if dt else 0:,.0f} rows/s")


if __name__ == "__main__":
    main()
