#!/usr/bin/env bash
# RECAP of one quarter and the home page on PostgreSQL as the history grows (issue 21, item 4): the
# demo grown to each SCALE (67 ≈ 10M occurrences; the demo stops at 100 ≈ 15M) in a throw-away
# database, plus, with EXTRA=FILE:N, N copies of a generated occurrences file (bench/gen_occurrences.py,
# ids prefixed per copy) imported on top — 100 and 3 copies of 10M make about 45M. Then its size per
# table, `recap compute` of the last closed quarter timed by the command line, and the pages that read
# a quarter or the months — `/recap`, `/` — asked right after `/ready` and again once warm.
#
#   ATALAIA_BENCH_PG=postgres://u@127.0.0.1:5432/bench bench/scale.sh        # schema `public` dropped!
#   SCALES=100 EXTRA=bench/out/occ-10M.csv:3 ATALAIA_BENCH_PG=… bench/scale.sh
#
# Environment: SCALES ("67"), EXTRA (none), TODAY (2026-11-20), PORT (18092), ATALAIA_BIN. Results are
# appended to bench/out/scale-results.md with the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${ATALAIA_BIN:-target/release/atalaia}
PG=${ATALAIA_BENCH_PG:?set ATALAIA_BENCH_PG to a throw-away PostgreSQL database}
SCALES=${SCALES:-67}
EXTRA=${EXTRA:-}
TODAY=${TODAY:-2026-11-20}
QUARTER=${QUARTER:-2026-Q3}
PORT=${PORT:-18092}
OUT=bench/out
RESULTS=$OUT/scale-results.md
mkdir -p "$OUT"
BASE=http://127.0.0.1:$PORT
[ -x "$BIN" ] || { echo "$BIN missing: cargo build --release -p atalaia"; exit 1; }

psql_q() { PGOPTIONS='-c client_min_messages=warning' psql "$PG" -v ON_ERROR_STOP=1 -qAt "$@"; }

login() { # user password jar
  rm -f "$3"
  local tok
  tok=$(curl -s -c "$3" -b "$3" "$BASE/login" | grep -o 'name="csrf_token" value="[0-9a-f]*"' | sed 's/.*value="//;s/"//')
  curl -s -c "$3" -b "$3" -o /dev/null -d "csrf_token=$tok&login=$1&senha=$2" "$BASE/login"
}

ms() { # jar path -> milliseconds of one request (status checked)
  local out
  out=$(curl -s -b "$1" -o /dev/null -w '%{http_code} %{time_total}' "$BASE$2")
  [ "${out%% *}" = 200 ] || { echo "$2 answered ${out%% *}" >&2; exit 1; }
  echo "${out#* }" | awk '{printf "%.0f", $1 * 1000}'
}

{
  echo
  echo "## bench/scale.sh $(date -u +%FT%TZ), $(nproc) CPU, $(git rev-parse --short HEAD), PostgreSQL $(psql_q -c 'SHOW server_version')"
  echo
  echo "| scale | occurrences | load s | occurrences MB | keys MB | aggregate MB (cells) | \`recap compute\` s | \`/recap\` first, warm ms | \`/\` first, warm ms |"
  echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
} >>"$RESULTS"

for scale in $SCALES; do
  echo "== scale $scale"
  psql_q -c 'DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;'
  t0=$(date +%s.%N)
  "$BIN" --database "$PG" demo --scale "$scale" --today "$TODAY" >"$OUT/scale-demo-$scale.log" 2>&1
  if [ -n "$EXTRA" ]; then
    for i in $(seq 1 "${EXTRA##*:}"); do
      awk -v p="X$i-" 'NR == 1 { print; next } { print p $0 }' "${EXTRA%:*}" >"$OUT/scale-extra.csv"
      "$BIN" --database "$PG" import occurrences "$OUT/scale-extra.csv" >"$OUT/scale-extra-$i.log" 2>&1
    done
    rm -f "$OUT/scale-extra.csv" "$OUT/scale-extra.csv.rejects.csv"
    scale="$scale + ${EXTRA##*:} × $(basename "${EXTRA%:*}")"
  fi
  load=$(echo "$(date +%s.%N) - $t0" | bc)
  psql_q -c 'VACUUM ANALYZE'
  n=$(psql_q -c 'SELECT COUNT(*) FROM occurrences')
  mb() { psql_q -c "SELECT (SUM(pg_total_relation_size(c.oid)) / 1048576)::bigint FROM pg_class c WHERE c.relkind = 'r' AND (c.relname = '$1' OR c.relname LIKE '$1\\_%')"; }
  occ_mb=$(mb occurrences); keys_mb=$(mb occurrence_keys); agg_mb=$(mb daily_counts)
  cells=$(psql_q -c 'SELECT COUNT(*) FROM daily_counts')
  t0=$(date +%s.%N)
  "$BIN" --database "$PG" --format json recap compute --quarter "$QUARTER" >"$OUT/scale-recap-$scale.json"
  recap=$(echo "$(date +%s.%N) - $t0" | bc)

  "$BIN" --database "$PG" serve --demo --addr "127.0.0.1:$PORT" >"$OUT/scale-serve-$scale.log" 2>&1 &
  pid=$!
  trap "kill $pid 2>/dev/null || true" EXIT
  for _ in $(seq 1 600); do curl -sf -o /dev/null "$BASE/ready" && break; sleep 0.2; done
  login comite demo-comite-7872 "$OUT/scale-comite.jar"
  login analista demo-analista-7872 "$OUT/scale-analista.jar"
  recap_first=$(ms "$OUT/scale-comite.jar" /recap)
  home_first=$(ms "$OUT/scale-analista.jar" /)
  # The worker's warm-up after the start: until `/metrics` says the caches are for the data version.
  for _ in $(seq 1 3000); do
    m=$(curl -s "$BASE/metrics")
    [ "$(echo "$m" | awk '$1 == "atalaia_data_version" {print $2}')" = \
      "$(echo "$m" | awk '$1 == "atalaia_cache_warmed_data_version" {print $2}')" ] && break
    sleep 0.2
  done
  recap_warm=$(ms "$OUT/scale-comite.jar" /recap)
  home_warm=$(ms "$OUT/scale-analista.jar" /)
  kill $pid 2>/dev/null || true
  wait $pid 2>/dev/null || true
  trap - EXIT
  printf '| %s | %s | %.0f | %s | %s | %s (%s) | %.2f | %s, %s | %s, %s |\n' "$scale" "$n" "$load" "$occ_mb" \
    "$keys_mb" "$agg_mb" "$cells" "$recap" "$recap_first" "$recap_warm" "$home_first" "$home_warm" | tee -a "$RESULTS"
done
