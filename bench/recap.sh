#!/usr/bin/env bash
# RECAP benchmark (issue #4): `atalaia recap compute` for one quarter and for every quarter of 10 years on
# the 10M-occurrence database of bench/import.sh (run that first), with Goiás' 246 municipalities as the
# areas (a program configuration saying so); beside it, the same aggregation in DuckDB.
#
#   bench/recap.sh            # needs bench/out/bench.db (10M rows), bench/out/go_population.csv, the venv
#   ATALAIA_BENCH_PG=postgres://postgres@127.0.0.1:54329/postgres bench/recap.sh pg
#                             # PostgreSQL: schema `public` of that database is dropped, then the 10M-row
#                             # CSV of bench/import.sh is imported there (timed), then the same runs
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${ATALAIA_BIN:-target/release/atalaia}
OUT=bench/out
DB=$OUT/recap-bench.db
DOC='{"crimes": ["homicidio_doloso", "roubo_veiculo", "furto_veiculo"], "count_by": {}, "baseline": "same_quarter_previous_year", "recap2_min_pct": 10.0, "recap1_min_pct": 20.0, "recap1_kinds": ["municipality"], "area_kinds": ["municipality"], "low_index_floor": null, "absence_max_pct": 60.0, "payment": {"RECAP1": 0.0, "RECAP2": 0.0}}'
runs() { # URL LABEL
  echo "== $2: one quarter (2024-Q1), 5 runs"
  for _ in 1 2 3 4 5; do /usr/bin/time -f "%e s %M KB" "$BIN" --database "$1" --format json recap compute --quarter 2024-Q1 > "$OUT/recap-2024Q1.$2.json"; done
  echo "== $2: every quarter 2016-Q1..2025-Q4 (40 processes)"
  local start end
  start=$(date +%s.%N)
  for y in $(seq 2016 2025); do for q in 1 2 3 4; do
    "$BIN" --database "$1" --format json recap compute --quarter "$y-Q$q" > /dev/null
  done; done
  end=$(date +%s.%N)
  echo "$2: 40 quarters: $(echo "$end - $start" | bc) s"
}
if [ "${1:-}" = pg ]; then
  PG=${ATALAIA_BENCH_PG:?set ATALAIA_BENCH_PG to a postgres:// URL}
  if [ "${RECAP_PG_KEEP:-0}" != 1 ]; then # RECAP_PG_KEEP=1: the data are already there
    PGOPTIONS='-c client_min_messages=warning' psql "$PG" -v ON_ERROR_STOP=1 -q -c 'DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;'
    "$BIN" --database "$PG" import territories "$OUT/go_municipios.geojson" > /dev/null 2>&1
    "$BIN" --database "$PG" import population "$OUT/go_population.csv" > /dev/null 2>&1 || [ $? -eq 3 ]
    echo "== postgres: import of the 10M-row CSV"
    # exit 3: the generator's deliberately bad rows went to the rejects file
    /usr/bin/time -f "%e s %M KB" "$BIN" --database "$PG" --format json import occurrences "$OUT/occ-10000000-s42.csv" --rejects "$OUT/recap-pg.rejects.csv" || [ $? -eq 3 ]
  fi
  psql "$PG" -q -c "DELETE FROM program_configs WHERE created_by = 'bench'" > /dev/null 2>&1 || true
  # psql interpolates :'doc' (quoted) only in what it reads, not in -c
  echo "INSERT INTO program_configs (valid_from, document, note, created_by, created_at) VALUES ('2000-01-01', :'doc', 'benchmark: municipalities as areas', 'bench', '2026-11-22 00:00:00')" |
    psql "$PG" -v ON_ERROR_STOP=1 -q -v doc="$DOC"
  psql "$PG" -At -c "SELECT (SELECT COUNT(*) FROM occurrences) || ' occurrences, ' || (SELECT COUNT(*) FROM daily_counts) || ' cells'"
  runs "$PG" postgres
  cmp "$OUT/recap-2024Q1.postgres.json" "$OUT/recap-2024Q1.sqlite.json" && echo "same JSON as SQLite's run" || echo "JSON differs from SQLite's run (if it exists)"
  exit 0
fi
[ -f "$OUT/bench.db" ] || { echo "run bench/import.sh first (10M rows)"; exit 1; }
cp "$OUT/bench.db" "$DB"
"$BIN" --database "sqlite://$DB" import population "$OUT/go_population.csv" > /dev/null
python3 - "$DB" <<'PY'
import json, sqlite3, sys
doc = {"crimes": ["homicidio_doloso", "roubo_veiculo", "furto_veiculo"], "count_by": {},
       "baseline": "same_quarter_previous_year", "recap2_min_pct": 10.0, "recap1_min_pct": 20.0,
       "recap1_kinds": ["municipality"], "area_kinds": ["municipality"], "low_index_floor": None,
       "absence_max_pct": 60.0, "payment": {"RECAP1": 0.0, "RECAP2": 0.0}}
c = sqlite3.connect(sys.argv[1])
c.execute("INSERT INTO program_configs (valid_from, document, note, created_by, created_at) "
          "VALUES ('2000-01-01', ?, 'benchmark: municipalities as areas', 'bench', '2026-11-22 00:00:00')",
          (json.dumps(doc),))
c.commit()
PY
runs "sqlite://$DB" sqlite
echo "== DuckDB, the same sums from daily_counts"
sqlite3 -csv "$DB" "select territory_code, crime, day, occurrences from daily_counts" > "$OUT/daily_counts.csv"
"$OUT/venv/bin/python" - "$OUT/daily_counts.csv" <<'PY'
import duckdb, sys, time
con = duckdb.connect()
t0 = time.time()
con.execute(f"CREATE TABLE d AS SELECT * FROM read_csv('{sys.argv[1]}', header=false, "
            "columns={'t':'VARCHAR','c':'VARCHAR','day':'DATE','n':'BIGINT'})")
t1 = time.time()
one = """SELECT t, c, SUM(n) FILTER (WHERE day BETWEEN DATE '2024-01-01' AND DATE '2024-03-31'),
                SUM(n) FILTER (WHERE day BETWEEN DATE '2023-01-01' AND DATE '2023-03-31')
         FROM d WHERE c IN ('homicidio_doloso','roubo_veiculo','furto_veiculo') GROUP BY t, c"""
t2 = time.time(); a = con.execute(one).fetchall(); t3 = time.time()
every = """SELECT t, c, year(day), quarter(day), SUM(n) FROM d
           WHERE c IN ('homicidio_doloso','roubo_veiculo','furto_veiculo') GROUP BY ALL"""
t4 = time.time(); b = con.execute(every).fetchall(); t5 = time.time()
print(f"duckdb: load {t1-t0:.2f} s; one quarter and its base {t3-t2:.3f} s ({len(a)} rows); "
      f"every quarter {t5-t4:.3f} s ({len(b)} rows)")
PY
