#!/usr/bin/env python3
"""Independent check of a generated occurrences file against its manifest.

Re-reads the data file(s) with a small reference validator that follows contracts.md §2 (strict field count,
required id/occurred_at/crime, catalog codes, dates YYYY-MM-DD[THH:MM[:SS]] or DD/MM/YYYY[ HH:MM[:SS]], lat/lon
in range with decimal comma allowed in `;` files, lat+lon or territory_code, a present-but-invalid value rejects
the row, victims an integer >= 1), assigns valid points to Goiás municipalities with a point-in-polygon test,
and compares with the manifest: the rejected line numbers and kinds' count, good rows, unassigned rows and good
rows per territory. Also checks that the UTF-8 file and the Latin-1 twin hold the same logical rows.

    python3 bench/verify_manifest.py bench/out/occ.manifest.json [--no-geo]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import re
import sys
from datetime import datetime

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_occurrences import CRIME_WEIGHTS, GEOJSON, Geo  # noqa: E402

CATALOG = set(CRIME_WEIGHTS)
ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?)?$")
BR = re.compile(r"^(\d{2})/(\d{2})/(\d{4})(?: (\d{2}):(\d{2})(?::(\d{2}))?)?$")
NUM = re.compile(r"^-?\d+(?:\.\d+)?$")


def parse_date(s):
    m = ISO.match(s)
    if m:
        y, mo, d, hh, mi, ss = m.groups()
    else:
        m = BR.match(s)
        if not m:
            return "unparsable"
        d, mo, y, hh, mi, ss = m.groups()
    try:
        datetime(int(y), int(mo), int(d), int(hh or 0), int(mi or 0), int(ss or 0))
    except ValueError:
        return "impossible"
    return None


def occ_key(s):
    """occurred_at as YYYYMMDDHHMMSS, whichever of the two formats it is in."""
    m = ISO.match(s)
    if m:
        y, mo, d, hh, mi, ss = m.groups()
    else:
        d, mo, y, hh, mi, ss = BR.match(s).groups()
    return f"{y}{mo}{d}{hh or '00'}{mi or '00'}{ss or '00'}"


def parse_num(s, decimal_comma):
    if decimal_comma:
        s = s.replace(",", ".")
    if not NUM.match(s):
        return None
    return float(s)


def validate(rec, ncols, decimal_comma, codes):
    """Returns (error or None, lat, lon, territory_code)."""
    if len(rec) != ncols:
        return ("field_count", None, None, None)
    rid, occ, crime, lat, lon, tcode, victims, _unit, _bairro = rec
    if not rid:
        return ("id", None, None, None)
    e = parse_date(occ)
    if e:
        return ("date_" + e, None, None, None)
    if crime not in CATALOG:
        return ("crime", None, None, None)
    la = lo = None
    if lat:
        la = parse_num(lat, decimal_comma)
        if la is None or not -90 <= la <= 90:
            return ("lat", None, None, None)
    if lon:
        lo = parse_num(lon, decimal_comma)
        if lo is None or not -180 <= lo <= 180:
            return ("lon", None, None, None)
    if (la is None) != (lo is None):
        return ("half_coordinate", None, None, None)
    if tcode and tcode not in codes:
        return ("territory_code", None, None, None)
    if la is None and not tcode:
        return ("no_location", None, None, None)
    if victims:
        if not re.match(r"^\d+$", victims) or int(victims) < 1:
            return ("victims", None, None, None)
    return (None, la, lo, tcode)


def read_file(path, encoding, delimiter):
    with open(path, encoding=encoding, newline="") as f:
        r = csv.reader(f, delimiter=delimiter, strict=True)
        header = next(r)
        for rec in r:
            yield r.line_num, rec
    return header


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("manifest")
    ap.add_argument("--no-geo", action="store_true", help="skip point-in-polygon assignment (faster)")
    a = ap.parse_args()
    m = json.load(open(a.manifest, encoding="utf-8"))
    geo = Geo(GEOJSON)
    codes = set(geo.by_code)
    ok = True

    def check(cond, what):
        nonlocal ok
        print(("PASS " if cond else "FAIL ") + what)
        ok = ok and cond

    expected_lines = {r["line"]: r["kind"] for r in m["rejected_rows"]}
    results = {}
    for key, fd in m["files"].items():
        path = fd["path"]
        enc = "utf-8" if fd["encoding"] == "utf-8" else "cp1252"
        delim = fd["delimiter"]
        with open(path, "rb") as fb:
            raw = fb.read(1 << 16)
        crlf = b"\r\n" in raw
        check(crlf == (fd["line_ending"] == "CRLF"), f"{key}: line endings {fd['line_ending']}")
        rejected, good, unassigned, by_terr = {}, 0, 0, {}
        logical = hashlib.sha256()  # digest of the logical rows, to compare the two files
        nrows = 0
        last_line = 1
        for line, rec in read_file(path, enc, delim):
            nrows += 1
            last_line = line
            err, la, lo, tcode = validate(rec, len(m["columns"]), delim == ";", codes)
            if err:
                rejected[line] = err
                logical.update(f"{line}\x00R\n".encode())
                continue
            good += 1
            if tcode:
                code = tcode
            elif a.no_geo:
                code = "?"
            else:
                code = geo.which(lo, la)
            if code is None:
                unassigned += 1
            else:
                by_terr[code] = by_terr.get(code, 0) + 1
            logical.update("\x00".join((rec[0], rec[2], rec[5], rec[6], rec[7], rec[8], repr(la), repr(lo),
                                         occ_key(rec[1]))).encode() + b"\n")
        results[key] = logical.hexdigest()
        check(nrows == m["data_rows"], f"{key}: {nrows} data rows (manifest {m['data_rows']})")
        check(last_line == m["data_rows"] + 1, f"{key}: last record on line {last_line} = data rows + 1")
        check(good == m["expected_good"], f"{key}: {good} good rows (manifest {m['expected_good']})")
        check(set(rejected) == set(expected_lines),
              f"{key}: rejected lines match manifest ({len(rejected)} vs {len(expected_lines)})")
        missing = sorted(set(expected_lines) - set(rejected))[:5]
        extra = sorted(set(rejected) - set(expected_lines))[:5]
        if missing or extra:
            print(f"     manifest-only: {[(l, expected_lines[l]) for l in missing]}; "
                  f"validator-only: {[(l, rejected[l]) for l in extra]}")
        # each manifest kind maps to one validator reason
        pairs = {}
        for line, kind in expected_lines.items():
            pairs.setdefault(kind, set()).add(rejected.get(line))
        for kind, reasons in sorted(pairs.items()):
            print(f"     {kind:27s} -> validator reason {sorted(map(str, reasons))}")
        if not a.no_geo:
            check(unassigned == m["expected_unassigned"],
                  f"{key}: {unassigned} unassigned (manifest {m['expected_unassigned']})")
            check(by_terr == m["good_by_territory"], f"{key}: good rows per territory match manifest")
    if len(results) == 2:
        a_, b_ = results.values()
        check(a_ == b_, "utf8 and latin1 twin hold the same logical rows (ids, dates, crimes, coordinates, codes, "
                        "victims, units, bairros) and the same rejected lines")
        with open(m["files"]["latin1_twin"]["path"], "rb") as fb:
            data = fb.read()
        check(any(b >= 0x80 for b in data), "latin1 twin contains non-ASCII bytes")
        try:
            data.decode("utf-8")
            check(False, "latin1 twin is not valid UTF-8 (encoding detection matters)")
        except UnicodeDecodeError:
            check(True, "latin1 twin is not valid UTF-8 (encoding detection matters)")
    print("OK" if ok else "MISMATCH")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
