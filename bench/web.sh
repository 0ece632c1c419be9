#!/usr/bin/env bash
# Web benchmark (issue #3): wrk against the home page and an API list endpoint, signed in, with the demo
# data set grown to ~2M occurrences, on SQLite and (with ATALAIA_BENCH_PG) PostgreSQL.
#
#   bench/web.sh                                   # SQLite
#   ATALAIA_BENCH_PG=postgres://u@127.0.0.1:5432/bench bench/web.sh   # also PostgreSQL (schema dropped first!)
#
# Environment: SCALE (13.4 ≈ 2M occurrences), CONNS (64), THREADS (2), DURATION (20s), PORT (18090),
# ATALAIA_BIN (target/release/atalaia). Needs wrk (apt-get install wrk) and curl.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${ATALAIA_BIN:-target/release/atalaia}
SCALE=${SCALE:-13.4}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
DURATION=${DURATION:-20s}
PORT=${PORT:-18090}
TODAY=${TODAY:-2026-11-20}
OUT=bench/out
mkdir -p "$OUT"
RESULTS="$OUT/web-results.md"
command -v wrk >/dev/null || { echo "wrk not installed (apt-get install wrk)"; exit 1; }
[ -x "$BIN" ] || { echo "$BIN missing: cargo build --release -p atalaia"; exit 1; }

run_backend() {
  local label=$1 url=$2
  echo "== $label: loading the demo data set x$SCALE"
  local t0=$(date +%s.%N)
  "$BIN" --database "$url" demo --scale "$SCALE" --today "$TODAY" > "$OUT/web-demo-$label.log" 2>&1
  local t1=$(date +%s.%N)
  local occ=$(grep -E '^ +occurrences' "$OUT/web-demo-$label.log" | head -1 | awk '{print $2}')
  echo "   $occ occurrences in $(echo "$t1 - $t0" | bc) s"
  "$BIN" --database "$url" serve --demo --addr "127.0.0.1:$PORT" > "$OUT/web-serve-$label.log" 2>&1 &
  local pid=$!
  trap "kill $pid 2>/dev/null || true" EXIT
  for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/health" && break; sleep 0.2; done
  local jar; jar=$(mktemp)
  local tok; tok=$(curl -s -c "$jar" -b "$jar" "http://127.0.0.1:$PORT/login" | grep -o 'name="csrf_token" value="[0-9a-f]*"' | grep -o '[0-9a-f]\{64\}')
  curl -s -o /dev/null -c "$jar" -b "$jar" -d "csrf_token=$tok&login=analista&senha=demo-analista-7872" "http://127.0.0.1:$PORT/login"
  local cookie; cookie=$(awk '$6=="atalaia_sessao"{print $7}' "$jar")
  [ -n "$cookie" ] || { echo "could not sign in"; cat "$OUT/web-serve-$label.log"; exit 1; }
  # Warm-up (the home page computes its model once per data version).
  curl -s -o /dev/null -H "Cookie: atalaia_sessao=$cookie" "http://127.0.0.1:$PORT/"
  for path in / /api/v1/territories; do
    local status; status=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: atalaia_sessao=$cookie" "http://127.0.0.1:$PORT$path")
    [ "$status" = 200 ] || { echo "GET $path answered $status"; exit 1; }
    echo "== $label: wrk -t$THREADS -c$CONNS -d$DURATION GET $path"
    local log="$OUT/wrk-$label-$(echo "$path" | tr '/' '_').txt"
    wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -H "Cookie: atalaia_sessao=$cookie" "http://127.0.0.1:$PORT$path" | tee "$log"
    local rps p50 p99 errors
    rps=$(awk '/Requests\/sec/{print $2}' "$log")
    p50=$(awk '$1=="50%"{print $2}' "$log")
    p99=$(awk '$1=="99%"{print $2}' "$log")
    errors=$(grep -E 'Non-2xx|Socket errors' "$log" | tr '\n' ' ' || true)
    echo "| $label | GET $path | $occ | $CONNS | $rps | $p50 | $p99 | ${errors:-none} |" >> "$RESULTS"
  done
  kill $pid 2>/dev/null || true
  wait $pid 2>/dev/null || true
}

{
  echo
  echo "### $(date -u +%Y-%m-%dT%H:%MZ) — $(nproc) cores, $(uname -r)"
  echo
  echo "| backend | request | occurrences | connections | requests/s | p50 | p99 | errors |"
  echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |"
} >> "$RESULTS"

rm -f "$OUT/web.db" "$OUT/web.db-wal" "$OUT/web.db-shm"
run_backend sqlite "sqlite://$OUT/web.db"
if [ -n "${ATALAIA_BENCH_PG:-}" ]; then
  psql "$ATALAIA_BENCH_PG" -q -c 'DROP SCHEMA public CASCADE; CREATE SCHEMA public;' >/dev/null
  run_backend postgres "$ATALAIA_BENCH_PG"
fi
echo "results appended to $RESULTS"
