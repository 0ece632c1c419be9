#!/usr/bin/env bash
# Occurrence-import benchmark for `atalaia import occurrences` (see bench/README.md).
#
#   bench/import.sh                       # ROWS="1000000 10000000"
#   ROWS=20000 bench/import.sh            # quick run
#   ATALAIA_BENCH_PG=postgres://user:pw@127.0.0.1/bench bench/import.sh   # also PostgreSQL
#
# Environment:
#   ROWS              space-separated row counts (default "1000000 10000000")
#   SEED              generator seed (default 42); BAD_RATE (default 0.01)
#   ATALAIA_BIN       the binary (default target/release/atalaia)
#   BENCH_BUILD=1     build it with `cargo build --release -p atalaia` when it is missing (default: skip the
#                     atalaia measurements with a note)
#   BENCH_UNITS=1     also import bench/out/go_units.csv before the occurrences
#   ATALAIA_BENCH_PG  a postgres:// URL: the atalaia runs are repeated there (schema `public` is dropped and
#                     recreated with psql before each fresh import — use a throw-away database!)
#   SKIP_YARDSTICKS=1 skip sqlite3/duckdb; SKIP_ATALAIA=1 skip atalaia
#
# Every measurement prints a Markdown table row (tool, rows, seconds, rows/s, peak RSS MB) and the run is
# appended to bench/out/results.md with the machine description. Exit status 1 if a check failed.

set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

OUT=bench/out
ROWS=${ROWS:-"1000000 10000000"}
SEED=${SEED:-42}
BAD_RATE=${BAD_RATE:-0.01}
BIN=${ATALAIA_BIN:-target/release/atalaia}
PG=${ATALAIA_BENCH_PG:-}
VENV=$OUT/venv
RUN_ID=$(date +%Y%m%dT%H%M%S)
RUNS=$OUT/runs/$RUN_ID
mkdir -p "$RUNS"
TABLE=$RUNS/table.md
CHECKS=$RUNS/checks.txt
NOTES=$RUNS/notes.txt
: > "$TABLE"; : > "$CHECKS"; : > "$NOTES"

note() { echo "note: $*" | tee -a "$NOTES" >&2; }

if [ ! -x /usr/bin/time ]; then
  echo "bench/import.sh: /usr/bin/time is missing (GNU time, for wall time and peak RSS)." >&2
  echo "  install it with: apt-get install -y time" >&2
  exit 1
fi
command -v python3 >/dev/null || { echo "bench/import.sh: python3 is needed" >&2; exit 1; }

# ---- measurement ------------------------------------------------------------------------------------------
# measure TOOL ROWS NAME CMD...   runs CMD under /usr/bin/time -v (stdout -> $RUNS/NAME.out, stderr ->
# $RUNS/NAME.err), prints and records the table row; sets M_RC (the command's exit status) and M_OUT.
measure() {
  local tool=$1 rows=$2 name=$3
  shift 3
  local tf=$RUNS/$name.time
  M_OUT=$RUNS/$name.out
  /usr/bin/time -v -o "$tf" "$@" >"$M_OUT" 2>"$RUNS/$name.err"
  M_RC=$?
  local sec kb rps mb
  sec=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.2f", s}' "$tf")
  kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tf")
  rps=$(awk -v r="$rows" -v s="${sec:-0}" 'BEGIN { if (s > 0) printf "%.0f", r / s; else print "n/a" }')
  mb=$(awk -v k="${kb:-0}" 'BEGIN { printf "%.1f", k / 1024 }')
  local row="| $tool | $rows | ${sec:-?} | $rps | $mb |"
  echo "$row" >>"$TABLE"
  echo "$row"
  if [ "$M_RC" -ne 0 ] && [ "$M_RC" -ne 3 ]; then
    echo "   ($tool exited $M_RC; last lines of $RUNS/$name.err:)" >&2
    tail -n 5 "$RUNS/$name.err" | sed 's/^/   | /' >&2
  fi
}

# check LABEL ARGS...   runs check_rejects.py, records PASS/FAIL lines
check() {
  local label=$1
  shift
  python3 bench/check_rejects.py --label "$label" "$@" >"$RUNS/check.tmp"
  cat "$RUNS/check.tmp" >>"$CHECKS"
  grep -E '^FAIL|^     (missing|unexpected|line) ' "$RUNS/check.tmp" || true
  rm -f "$RUNS/check.tmp"
}

yard_ok() { # LABEL: records the last yardstick's exit status as a check
  if [ "$M_RC" -eq 0 ]; then echo "PASS yardstick $1 exit 0" >>"$CHECKS"; else echo "FAIL yardstick $1 exit $M_RC" | tee -a "$CHECKS"; fi
}

# ---- inputs ----------------------------------------------------------------------------------------------
if [ ! -s $OUT/go_municipios.geojson ] || [ ! -s $OUT/go_population.csv ]; then
  python3 bench/territories_go.py --out-dir $OUT || exit 1
fi

dataset() { # N -> sets DATA TWIN MAN (generating them unless a matching manifest is cached)
  local n=$1
  DATA=$OUT/occ-$n-s$SEED.csv
  TWIN=$OUT/occ-$n-s$SEED.latin1.csv
  MAN=$OUT/occ-$n-s$SEED.manifest.json
  if [ -s "$MAN" ] && [ -s "$DATA" ] && [ -s "$TWIN" ] &&
    python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); sys.exit(0 if (m["rows"], m["seed"], m["bad_rate"]) == (int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])) else 1)' "$MAN" "$n" "$SEED" "$BAD_RATE"; then
    echo "using cached $DATA" >&2
  else
    echo "generating $n rows (seed $SEED, bad rate $BAD_RATE)..." >&2
    local t0=$SECONDS
    python3 bench/gen_occurrences.py --rows "$n" --seed "$SEED" --bad-rate "$BAD_RATE" \
      --out "$DATA" --latin1-twin "$TWIN" --manifest "$MAN" || exit 1
    note "generated $n rows in $((SECONDS - t0)) s"
  fi
}

# ---- tools -----------------------------------------------------------------------------------------------
HAVE_ATALAIA=0
if [ "${SKIP_ATALAIA:-0}" != 1 ]; then
  if [ ! -x "$BIN" ] && [ "${BENCH_BUILD:-0}" = 1 ]; then
    echo "building $BIN ..." >&2
    cargo build --release -p atalaia >&2 || note "cargo build --release -p atalaia failed"
  fi
  if [ -x "$BIN" ]; then
    HAVE_ATALAIA=1
  else
    note "$BIN does not exist: atalaia measurements skipped (build it with 'cargo build --release -p atalaia', or run with BENCH_BUILD=1)"
  fi
fi
[ -n "$PG" ] && ! command -v psql >/dev/null && { note "psql missing (apt-get install -y postgresql-client): PostgreSQL runs skipped"; PG=""; }

HAVE_SQLITE3=0
HAVE_DUCKDB=0
if [ "${SKIP_YARDSTICKS:-0}" != 1 ]; then
  if command -v sqlite3 >/dev/null; then HAVE_SQLITE3=1; else note "sqlite3 missing (apt-get install -y sqlite3): yardstick skipped"; fi
  if [ ! -x $VENV/bin/python ] || ! $VENV/bin/python -c 'import duckdb' 2>/dev/null; then
    echo "creating $VENV with duckdb ..." >&2
    { python3 -m venv $VENV && $VENV/bin/pip install -q duckdb; } >&2 || note "could not install duckdb into $VENV"
  fi
  if $VENV/bin/python -c 'import duckdb' 2>/dev/null; then HAVE_DUCKDB=1; else note "duckdb yardstick skipped"; fi
fi

# ---- atalaia runs ----------------------------------------------------------------------------------------
reset_db() { # BACKEND DBFILE -> echoes the URL of an empty database
  if [ "$1" = sqlite ]; then
    rm -f "$2" "$2-wal" "$2-shm" "$2-journal"
    echo "sqlite://$2"
  else
    PGOPTIONS='-c client_min_messages=warning' psql "$PG" -v ON_ERROR_STOP=1 -q -c 'DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;' >&2 ||
      note "could not reset schema public in PostgreSQL"
    echo "$PG"
  fi
}

atalaia_suite() { # BACKEND N
  local be=$1 n=$2 url rej
  # fresh database: territories, (units), occurrences, then the same file again
  url=$(reset_db "$be" $OUT/bench.db)
  measure "atalaia import territories ($be)" 246 "$n.$be.territories" \
    "$BIN" --database "$url" --format json import territories $OUT/go_municipios.geojson
  [ "$M_RC" -eq 0 ] && echo "PASS $be/$n: territories import exit 0" >>"$CHECKS" ||
    echo "FAIL $be/$n: territories import exit $M_RC" | tee -a "$CHECKS"
  if [ "${BENCH_UNITS:-0}" = 1 ]; then
    "$BIN" --database "$url" import units $OUT/go_units.csv >/dev/null 2>"$RUNS/$n.$be.units.err" ||
      note "$be: units import exited $?"
  fi
  if [ "$be" = postgres ]; then
    # The generated records span 2021-01 to 2025-12: their monthly partitions made beforehand, as a
    # state does before loading years of history (README, "Deploying"); without them the rows would
    # wait in the DEFAULT partition and be moved after the import.
    measure "atalaia partitions, 60 months ($be)" 60 "$n.$be.partitions" \
      "$BIN" --database "$url" --format json partitions --from 2021-01 --ahead 59
  fi
  rej=$RUNS/$n.$be.first.rejects.csv
  measure "atalaia import occurrences ($be)" "$n" "$n.$be.first" \
    "$BIN" --database "$url" --format json import occurrences "$DATA" --rejects "$rej"
  check "$be/$n first import" --manifest "$MAN" --rejects "$rej" --summary "$M_OUT" --expect first \
    --exit-status "$M_RC" --variant utf8 --data "$DATA"
  rej=$RUNS/$n.$be.reimport.rejects.csv
  measure "atalaia re-import occurrences ($be)" "$n" "$n.$be.reimport" \
    "$BIN" --database "$url" --format json import occurrences "$DATA" --rejects "$rej"
  check "$be/$n re-import" --manifest "$MAN" --rejects "$rej" --summary "$M_OUT" --expect reimport \
    --exit-status "$M_RC" --variant utf8 --data "$DATA"
  # the Latin-1 twin into another fresh database
  url=$(reset_db "$be" $OUT/bench-latin1.db)
  "$BIN" --database "$url" import territories $OUT/go_municipios.geojson >/dev/null 2>"$RUNS/$n.$be.twin-territories.err" ||
    echo "FAIL $be/$n: territories import (twin db) exit $?" | tee -a "$CHECKS"
  if [ "${BENCH_UNITS:-0}" = 1 ]; then
    "$BIN" --database "$url" import units $OUT/go_units.csv >/dev/null 2>&1 || true
  fi
  if [ "$be" = postgres ]; then
    "$BIN" --database "$url" partitions --from 2021-01 --ahead 59 >/dev/null 2>"$RUNS/$n.$be.twin-partitions.err" ||
      echo "FAIL $be/$n: partitions (twin db) exit $?" | tee -a "$CHECKS"
  fi
  rej=$RUNS/$n.$be.latin1.rejects.csv
  measure "atalaia import occurrences latin1 twin ($be)" "$n" "$n.$be.latin1" \
    "$BIN" --database "$url" --format json import occurrences "$TWIN" --rejects "$rej"
  check "$be/$n latin1 twin" --manifest "$MAN" --rejects "$rej" --summary "$M_OUT" --expect first \
    --exit-status "$M_RC" --variant latin1_twin --data "$TWIN"
}

# DuckDB yardsticks: python -c CODE DBFILE CSVFILE; prints the row count of table occ
DUCK_PLAIN=$(cat <<'PY'
import sys, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("SET enable_progress_bar = false")
path = sys.argv[2].replace("'", "''")
con.execute(f"CREATE TABLE occ AS SELECT * FROM read_csv('{path}')")
print(con.execute("SELECT count(*) FROM occ").fetchone()[0])
PY
)
DUCK_TYPED=$(cat <<'PY'
import sys, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("SET enable_progress_bar = false")
path = sys.argv[2].replace("'", "''")
con.execute(f"""CREATE TABLE occ AS SELECT * FROM read_csv('{path}', header = true, ignore_errors = true,
    columns = {{'id': 'VARCHAR', 'occurred_at': 'TIMESTAMP', 'crime': 'VARCHAR', 'lat': 'DOUBLE',
               'lon': 'DOUBLE', 'territory_code': 'VARCHAR', 'victims': 'INTEGER', 'unit_code': 'VARCHAR',
               'bairro': 'VARCHAR'}})""")
print(con.execute("SELECT count(*) FROM occ").fetchone()[0])
PY
)

# ---- run -------------------------------------------------------------------------------------------------
echo
echo "| tool | rows | seconds | rows/s | peak RSS MB |"
echo "| --- | ---: | ---: | ---: | ---: |"
for n in $ROWS; do
  dataset "$n"
  if [ "$HAVE_ATALAIA" = 1 ]; then
    atalaia_suite sqlite "$n"
    [ -n "$PG" ] && atalaia_suite postgres "$n"
  fi
  if [ -n "$PG" ]; then
    # PostgreSQL's own bulk path, the yardstick of the PostgreSQL import: `\copy` of the same file into
    # an untyped table of its nine columns (a malformed value would stop a typed COPY).
    PGOPTIONS='-c client_min_messages=warning' psql "$PG" -v ON_ERROR_STOP=1 -q -c \
      'DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;
       CREATE TABLE occ (id text, occurred_at text, crime text, lat text, lon text, territory_code text,
                         victims text, unit_code text, bairro text);' >&2
    # COPY stops at the file's rows with a wrong field count: it reads the same file without them
    # (written beforehand, not timed), every other row as it is.
    python3 - "$DATA" "$OUT/copyable.csv" <<'PY'
import csv, sys
with open(sys.argv[1], newline="", encoding="utf-8") as src, open(sys.argv[2], "w", newline="", encoding="utf-8") as dst:
    rows = csv.reader(src)
    out = csv.writer(dst, lineterminator="\n")
    header = next(rows)
    out.writerow(header)
    out.writerows(r for r in rows if len(r) == len(header))
PY
    measure "psql \\copy (csv, untyped)" "$n" "$n.psql-copy" psql "$PG" -v ON_ERROR_STOP=1 -q \
      -c "\\copy occ FROM '$OUT/copyable.csv' WITH (FORMAT csv, HEADER true)"
    yard_ok "psql \\copy ($n)"
    note "psql \\copy of $n rows: exit $M_RC, $(psql "$PG" -At -c 'SELECT count(*) FROM occ' 2>/dev/null) rows in table occ"
  fi
  if [ "$HAVE_SQLITE3" = 1 ]; then
    rm -f $OUT/yard.db
    measure "sqlite3 .import (csv, untyped)" "$n" "$n.sqlite3" sqlite3 $OUT/yard.db -cmd ".mode csv" ".import $DATA occ"
    cnt=$(sqlite3 $OUT/yard.db 'SELECT count(*) FROM occ' 2>/dev/null)
    yard_ok "sqlite3 .import ($n)"
    note "sqlite3 .import of $n rows: exit $M_RC, $cnt rows in table occ"
    # an independent CSV reader agrees with the manifest on where the wrong-field-count rows are
    python3 - "$MAN" "$RUNS/$n.sqlite3.err" "$n" >>"$CHECKS" <<'PY'
import json, re, sys
m = json.load(open(sys.argv[1], encoding="utf-8"))
want = sorted(r["line"] for r in m["rejected_rows"] if r["kind"] in ("extra_field", "missing_field"))
got = sorted(int(x) for x in re.findall(r":(\d+): expected \d+ columns but found", open(sys.argv[2]).read()))
ok = got == want
print(("PASS" if ok else "FAIL") + f" manifest/{sys.argv[3]}: sqlite3 .import reports wrong field counts on the "
      f"manifest's extra_field/missing_field lines ({len(got)} vs {len(want)})")
PY
    rm -f $OUT/yard.db
  fi
  if [ "$HAVE_DUCKDB" = 1 ]; then
    rm -f $OUT/yard.duckdb $OUT/yard.duckdb.wal
    measure "duckdb read_csv (auto-detected)" "$n" "$n.duckdb" $VENV/bin/python -c "$DUCK_PLAIN" $OUT/yard.duckdb "$DATA"
    yard_ok "duckdb read_csv ($n)"
    note "duckdb read_csv of $n rows: exit $M_RC, $(tail -n 1 "$M_OUT" 2>/dev/null) rows in table occ"
    rm -f $OUT/yard.duckdb $OUT/yard.duckdb.wal
    # typed and validating: closer to what the importer does (rows that do not parse are dropped)
    measure "duckdb read_csv (typed, ignore_errors)" "$n" "$n.duckdb-typed" $VENV/bin/python -c "$DUCK_TYPED" $OUT/yard.duckdb "$DATA"
    yard_ok "duckdb typed read_csv ($n)"
    note "duckdb typed read_csv of $n rows: exit $M_RC, $(tail -n 1 "$M_OUT" 2>/dev/null) rows kept"
    rm -f $OUT/yard.duckdb $OUT/yard.duckdb.wal
  fi
done

# ---- results.md ------------------------------------------------------------------------------------------
npass=$(grep -c '^PASS' "$CHECKS")
nfail=$(grep -c '^FAIL' "$CHECKS")
cpu=$(lscpu 2>/dev/null | awk -F: '/Model name/ {gsub(/^[ \t]+/, "", $2); print $2; exit}')
mem=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
{
  echo
  echo "## Occurrence import — $(date -Iseconds)"
  echo
  echo "- machine: $(nproc) CPUs (nproc), ${cpu:-unknown CPU}, $mem memory; $(uname -sr)"
  echo "- rows: $ROWS; seed $SEED; bad rate $BAD_RATE; run files in $RUNS"
  if [ "$HAVE_ATALAIA" = 1 ]; then
    echo "- atalaia: $BIN ($(date -r "$BIN" -Iseconds 2>/dev/null)); PostgreSQL: ${PG:+yes}${PG:-no}"
  fi
  [ "${SKIP_YARDSTICKS:-0}" = 1 ] || echo "- yardsticks: sqlite3 $(sqlite3 --version 2>/dev/null | cut -d' ' -f1), duckdb $($VENV/bin/python -c 'import duckdb; print(duckdb.__version__)' 2>/dev/null)"
  echo
  echo "| tool | rows | seconds | rows/s | peak RSS MB |"
  echo "| --- | ---: | ---: | ---: | ---: |"
  cat "$TABLE"
  echo
  if [ -s "$NOTES" ]; then sed 's/^note: /- /' "$NOTES"; echo; fi
  echo "Checks: $npass passed, $nfail failed$([ "$HAVE_ATALAIA" = 1 ] || echo ' (atalaia skipped)')"
  grep '^FAIL' "$CHECKS" | sed 's/^/- /'
} >>$OUT/results.md
echo "checks: $npass passed, $nfail failed (details in $CHECKS); results appended to $OUT/results.md"
[ "$nfail" -eq 0 ]
