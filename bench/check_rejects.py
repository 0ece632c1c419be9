#!/usr/bin/env python3
"""Check an `atalaia import occurrences` run against the generator's manifest.

    python3 bench/check_rejects.py --manifest M.json --rejects R.csv \
        [--summary S.json] [--expect first|reimport] [--exit-status N] [--variant utf8|latin1_twin] [--data FILE]

Checks (each printed as PASS/FAIL; exit status 1 if any failed):
  --summary      the JSON summary (contracts.md §3): kind, read, inserted, updated, unchanged, rejected and
                 unassigned as the manifest expects for a first import into an empty database (--expect first)
                 or a re-import of the same file (--expect reimport: everything unchanged); rejects_file present
  --exit-status  3 when the manifest has rejected rows (0 otherwise)
  --rejects      the rejects file: UTF-8 CSV, columns `line`, `reason`, then the original columns; its `line`
                 values are exactly the manifest's rejected line numbers (no duplicates), every reason non-empty
  --data         also compare each rejects row's fields with the original row's fields in FILE (read with the
                 encoding and delimiter of --variant); without --data the manifest's path for --variant is used
                 when it exists, skip with --no-data
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys

csv.field_size_limit(1 << 30)



def unguard(cell):
    """The value of a rejects-file cell: without the ' that keeps =, +, -, @ from running as a formula."""
    if cell.startswith("'") and cell[1:2] in ("=", "+", "-", "@", "\t", "\r"):
        return cell[1:]
    return cell

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--rejects", required=True)
    ap.add_argument("--summary")
    ap.add_argument("--expect", choices=["first", "reimport"], default="first")
    ap.add_argument("--exit-status", type=int)
    ap.add_argument("--variant", choices=["utf8", "latin1_twin"], default="utf8")
    ap.add_argument("--data")
    ap.add_argument("--no-data", action="store_true")
    ap.add_argument("--label", default="")
    a = ap.parse_args()

    m = json.load(open(a.manifest, encoding="utf-8"))
    label = (a.label + ": ") if a.label else ""
    failures = 0

    def check(cond, what):
        nonlocal failures
        print(("PASS " if cond else "FAIL ") + label + what, flush=True)
        if not cond:
            failures += 1
        return cond

    exp_rej = m["expected_rejected"]
    if a.exit_status is not None:
        want = 3 if exp_rej else 0
        check(a.exit_status == want, f"exit status {a.exit_status} (expected {want})")

    if a.summary:
        try:
            with open(a.summary, encoding="utf-8") as f:
                s = json.load(f)
        except (OSError, ValueError) as e:
            check(False, f"summary {a.summary} is one JSON document ({e})")
            s = None
        if s is not None:
            exp = m["expected_summary" if a.expect == "first" else "expected_reimport_summary"]
            for key in ("kind", "read", "inserted", "updated", "unchanged", "rejected", "unassigned"):
                check(s.get(key) == exp[key], f"summary {key} = {s.get(key)!r} (expected {exp[key]!r})")
            check(bool(s.get("rejects_file")) or not exp_rej, f"summary rejects_file = {s.get('rejects_file')!r}")

    expected = {r["line"]: r["kind"] for r in m["rejected_rows"]}
    if not os.path.exists(a.rejects):
        check(exp_rej == 0, f"rejects file {a.rejects} exists")
        return finish(failures)
    try:
        with open(a.rejects, encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
    except UnicodeDecodeError as e:
        check(False, f"rejects file is UTF-8 ({e})")
        return finish(failures)
    header = rows[0] if rows else []
    body = rows[1:]
    check(header[:2] == ["line", "reason"], f"rejects header starts with line,reason (got {header[:2]})")
    check(header[2:] == m["columns"], f"rejects header then the original columns (got {header[2:]})")
    lines = []
    bad_line_values = 0
    for r in body:
        try:
            lines.append(int(r[0]))
        except (ValueError, IndexError):
            bad_line_values += 1
    check(bad_line_values == 0, f"every `line` is an integer ({bad_line_values} are not)")
    check(len(lines) == len(set(lines)), f"no line reported twice ({len(lines) - len(set(lines))} duplicates)")
    got = set(lines)
    missing = sorted(set(expected) - got)
    extra = sorted(got - set(expected))
    check(not missing and not extra,
          f"rejects `line` = manifest rejected lines ({len(got)} vs {len(expected)}; "
          f"{len(missing)} missing, {len(extra)} unexpected)")
    if missing:
        print(f"     missing (line, kind): {[(ln, expected[ln]) for ln in missing[:10]]}")
    if extra:
        print(f"     unexpected lines: {extra[:10]}")
    check(lines == sorted(lines), "rejects rows in file order")
    check(all(len(r) > 1 and r[1].strip() for r in body), "every reason is non-empty")

    # one sample reason per kind, for a person to read
    seen = {}
    for r in body:
        try:
            k = expected.get(int(r[0]))
        except (ValueError, IndexError):
            continue
        if k and k not in seen:
            seen[k] = r[1] if len(r) > 1 else ""
    for k in sorted(seen):
        print(f"     {k:27s} {seen[k]}")

    data = a.data or (None if a.no_data else m["files"].get(a.variant, {}).get("path"))
    if data and os.path.exists(data):
        fd = m["files"][a.variant]
        enc = "utf-8" if fd["encoding"] == "utf-8" else "cp1252"
        want = set(expected)
        orig = {}
        with open(data, encoding=enc, newline="") as f:
            rd = csv.reader(f, delimiter=fd["delimiter"])
            next(rd)
            for rec in rd:
                if rd.line_num in want:
                    orig[rd.line_num] = rec
        mism = []
        for r in body:
            try:
                ln = int(r[0])
            except (ValueError, IndexError):
                continue
            o = orig.get(ln)
            if o is None:
                continue
            # A cell a spreadsheet would run as a formula is written with a leading ' (see
            # core::spreadsheet::safe_cell); the value is the rest.
            fields = [unguard(c) for c in r[2:]]
            ok = fields == o or (len(o) < len(m["columns"]) and fields == o + [""] * (len(m["columns"]) - len(o)))
            if not ok:
                mism.append((ln, expected.get(ln), fields, o))
        check(not mism, f"rejects rows carry the original fields of {os.path.basename(data)} "
                        f"({len(mism)} differ)")
        for ln, k, fields, o in mism[:5]:
            print(f"     line {ln} ({k}): rejects {fields} vs original {o}")
    return finish(failures)


def finish(failures):
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
