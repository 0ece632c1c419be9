#!/usr/bin/env bash
# Every page of every demo role at a state's scale (issue 21, item 9): the demo grown to ~2M occurrences,
# `serve` started, and bench/pages.py walking each role's links, on SQLite and (with ATALAIA_BENCH_PG)
# PostgreSQL, one after the other in one run. Three passes per backend: once the server's worker has
# warmed its caches after the start (first and second load of each page), then, after a one-row import
# makes a new data version and the worker has warmed again, the same pages once more — the first load
# after an import. How long each warm-up took (from `/ready`, from the import's end) is printed: it is
# the window in which a first visit may still compute an analysis itself.
#
#   bench/pages.sh
#   ATALAIA_BENCH_PG=postgres://u@127.0.0.1:5432/bench bench/pages.sh   # schema `public` dropped first!
#
# Environment: SCALE (13.4 ≈ 2M occurrences), TODAY (2026-11-20), PORT (18091), ATALAIA_BIN.
# Results are appended to bench/out/pages-results.md with the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${ATALAIA_BIN:-target/release/atalaia}
SCALE=${SCALE:-13.4}
TODAY=${TODAY:-2026-11-20}
PORT=${PORT:-18091}
OUT=bench/out
mkdir -p "$OUT"
RESULTS=$OUT/pages-results.md
[ -x "$BIN" ] || { echo "$BIN missing: cargo build --release -p atalaia"; exit 1; }
BASE=http://127.0.0.1:$PORT

{
  echo
  echo "## bench/pages.sh $(date -u +%FT%TZ), scale $SCALE, $(nproc) CPU, $(git rev-parse --short HEAD)"
} >>"$RESULTS"

# Seconds until the worker has warmed the caches for the current data version (`/metrics`, loopback).
wait_warm() {
  local t0 m
  t0=$(date +%s.%N)
  for _ in $(seq 1 1200); do
    m=$(curl -s "$BASE/metrics")
    if [ "$(echo "$m" | awk '$1 == "atalaia_data_version" {print $2}')" = \
      "$(echo "$m" | awk '$1 == "atalaia_cache_warmed_data_version" {print $2}')" ]; then
      break
    fi
    sleep 0.1
  done
  printf '%.1f' "$(echo "$(date +%s.%N) - $t0" | bc)"
}

run_backend() {
  local label=$1 url=$2
  echo "== $label: the demo x$SCALE"
  local t0 t1
  t0=$(date +%s.%N)
  "$BIN" --database "$url" demo --scale "$SCALE" --today "$TODAY" >"$OUT/pages-demo-$label.log" 2>&1
  t1=$(date +%s.%N)
  echo "   loaded in $(echo "$t1 - $t0" | bc) s" | tee -a "$RESULTS"
  "$BIN" --database "$url" serve --demo --addr "127.0.0.1:$PORT" >"$OUT/pages-serve-$label.log" 2>&1 &
  local pid=$!
  trap "kill $pid 2>/dev/null || true" EXIT
  for _ in $(seq 1 300); do curl -sf -o /dev/null "$BASE/ready" && break; sleep 0.2; done
  echo "   warmed $(wait_warm) s after /ready" | tee -a "$RESULTS"
  echo "### $label: after the start's warm-up (first load of each page)" | tee -a "$RESULTS"
  python3 bench/pages.py --base "$BASE" --label "$label" --urls "$OUT/pages-$label.json" | tee -a "$RESULTS"
  # A new data version: one population row imported by the command line, as a daily load would.
  printf 'territory_code,year,population\n5208707,2022,1437366\n' >"$OUT/pages-population.csv"
  "$BIN" --database "$url" import population "$OUT/pages-population.csv" >/dev/null 2>&1 || true
  echo "   warmed $(wait_warm) s after the import" | tee -a "$RESULTS"
  echo "### $label: first load after an import" | tee -a "$RESULTS"
  python3 bench/pages.py --base "$BASE" --label "$label" --urls "$OUT/pages-$label-after.json" \
    --replay "$OUT/pages-$label.json" | tee -a "$RESULTS"
  kill $pid 2>/dev/null || true
  wait $pid 2>/dev/null || true
  trap - EXIT
}

rm -f "$OUT/pages.db" "$OUT/pages.db-wal" "$OUT/pages.db-shm"
run_backend sqlite "sqlite://$OUT/pages.db"
if [ -n "${ATALAIA_BENCH_PG:-}" ]; then
  PGOPTIONS='-c client_min_messages=warning' psql "$ATALAIA_BENCH_PG" -v ON_ERROR_STOP=1 -q \
    -c 'DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;'
  run_backend postgres "$ATALAIA_BENCH_PG"
fi
