#!/usr/bin/env bash
# Writes every output a refactoring must keep byte-identical into one folder: the JSON of each CLI command,
# the CSV of those that write one, and the PDF and XLSX downloads of a RECAP and an IPEI run, all on the
# demo data set at a frozen clock.
#
#   bench/outputs.sh BIN OUT          # one build's outputs into OUT (the folder is emptied first)
#   bench/outputs.sh --compare REV    # builds REV in a worktree and the working tree, runs both, diffs
#
# The clock is frozen with libfaketime (apt-get install faketime) because a saved run stamps its PDF with
# the time it was saved; everything else is already deterministic for the demo's seed and date.
set -euo pipefail
cd "$(dirname "$0")/.."
TODAY=${TODAY:-2026-11-20}
PORT=${PORT:-18097}
FAKETIME_LIB=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -1 || true)
[ -n "$FAKETIME_LIB" ] || { echo "libfaketime missing: apt-get install faketime"; exit 1; }

if [ "${1:-}" = "--compare" ]; then
  rev=${2:?usage: bench/outputs.sh --compare REV}
  work=$(mktemp -d /tmp/atalaia-outputs.XXXXXX)
  git worktree add -q --detach "$work/tree" "$rev"
  trap 'git worktree remove --force "$work/tree"' EXIT
  echo "== building $rev"
  # A target folder of its own, kept between comparisons: only what changed is rebuilt.
  repo=$PWD
  (cd "$work/tree" && CARGO_TARGET_DIR="$repo/target/outputs-base" cargo build -q --release -p atalaia)
  base_bin=target/outputs-base/release/atalaia
  echo "== building the working tree"
  cargo build -q --release -p atalaia
  "$0" "$base_bin" "$work/before" >/dev/null
  "$0" target/release/atalaia "$work/after" >/dev/null
  echo "== $(ls "$work/before" | wc -l) outputs of $rev against the working tree:"
  if diff -r "$work/before" "$work/after"; then
    (cd "$work/after" && for f in *; do printf '%s  %s\n' "$(sha256sum < "$f" | cut -c1-16)" "$f"; done)
    echo "== all byte-identical"
  else
    echo "== DIFFERENT (outputs kept in $work)"
    exit 1
  fi
  exit 0
fi

BIN=$(realpath "${1:?usage: bench/outputs.sh BIN OUT}")
OUT=${2:?usage: bench/outputs.sh BIN OUT}
rm -rf "$OUT" && mkdir -p "$OUT"
OUT=$(realpath "$OUT")
scratch=$(mktemp -d /tmp/atalaia-outputs-run.XXXXXX)
DB="sqlite://$scratch/demo.db"
export LD_PRELOAD=$FAKETIME_LIB FAKETIME="$TODAY 10:00:00" FAKETIME_DONT_FAKE_MONOTONIC=1

cli() { # cli NAME ARGS… : the command's JSON (or, when it refuses, its exit code and message)
  local name=$1; shift
  local rc=0
  "$BIN" --database "$DB" --format json "$@" > "$OUT/$name.json" 2> "$scratch/$name.err" || rc=$?
  if [ "$rc" != 0 ]; then { echo "exit $rc"; cat "$scratch/$name.err"; } >> "$OUT/$name.json"; fi
}

"$BIN" --database "$DB" demo --today "$TODAY" > "$OUT/demo.txt"
cli recap-compute recap compute --quarter 2026-Q3
cli recap-compute-previous recap compute --quarter 2026-Q3 --baseline previous_quarter
cli recap-compute-open recap compute --quarter 2026-Q4
cli recap-save recap compute --quarter 2026-Q3 --save
cli recap-payroll recap payroll --quarter 2026-Q3
cli recap-payroll-run recap payroll --quarter 2026-Q3 --run 1
crime=$(sqlite3 "$scratch/demo.db" "select crime from recap_run_sources limit 1" 2>/dev/null || true)
cli recap-trace recap trace --run 1 --area AISP1 --crime "${crime:-homicidio_doloso}"
cli recap-trace-base recap trace --run 1 --area AISP1 --crime "${crime:-homicidio_doloso}" --period base
cli ipei-result ipei result --month 2026-10
cli ipei-result-open ipei result --month 2026-11
cli ipei-payroll ipei payroll --month 2026-10
cli evaluate evaluate --area AISP1 --start 2026-03-01 --months 6
cli hotspots-area hotspots area --area 5208707 --from 2026-01 --to 2026-06 --cell 1000
cli calendar-holidays calendar holidays --state GO --municipality 5208707 --from 2026 --to 2026
cli calendar-business-day calendar business-day --state GO --month 2026-12 --nth 5
cli reminders reminders list
csv() { # csv NAME ARGS… : the command's CSV (or its exit code)
  local name=$1; shift
  "$BIN" --database "$DB" --format csv "$@" > "$OUT/$name.csv" 2> "$scratch/$name.err" || echo "exit $?" >> "$OUT/$name.csv"
}
csv recap-compute recap compute --quarter 2026-Q3
csv recap-payroll-run recap payroll --quarter 2026-Q3 --run 1
csv recap-trace recap trace --run 1 --area AISP1 --crime "${crime:-homicidio_doloso}"
csv ipei-result ipei result --month 2026-10
csv ipei-payroll ipei payroll --month 2026-10
csv calendar-holidays calendar holidays --state GO --municipality 5208707 --from 2026 --to 2026
csv calendar-business-day calendar business-day --state GO --month 2026-12 --nth 5
cli audit-verify audit verify
awk 'BEGIN { print "x;y"; s = 7872; for (i = 0; i < 400; i++) { s = (s * 1103515245 + 12345) % 2147483648;
  x = 680000 + (s % 5000); s = (s * 1103515245 + 12345) % 2147483648; y = 8150000 + (s % 5000);
  if (i % 3 == 0) { x = 682000 + (x % 400); y = 8152000 + (y % 400) } print x ";" y } }' > "$scratch/points.csv"
cli hotspots-gistar hotspots gistar --points "$scratch/points.csv" --cell 250
"$BIN" --database "$DB" --format geojson hotspots gistar --points "$scratch/points.csv" --cell 250 > "$OUT/hotspots-gistar.geojson" 2>/dev/null

# The web downloads, signed in as the committee.
"$BIN" --database "$DB" serve --demo --addr "127.0.0.1:$PORT" > "$scratch/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$scratch"' EXIT
for _ in $(seq 1 150); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/health" && break; sleep 0.2; done
jar="$scratch/jar"
base="http://127.0.0.1:$PORT"
tok=$(curl -s -c "$jar" -b "$jar" "$base/login" | grep -o 'name="csrf_token" value="[0-9a-f]*"' | grep -o '[0-9a-f]\{64\}')
curl -s -o /dev/null -c "$jar" -b "$jar" --data-urlencode "csrf_token=$tok" -d "login=comite&senha=demo-comite-7872" "$base/login"
csrf() { curl -s -b "$jar" "$base$1" | grep -o 'name="csrf_token" value="[0-9a-f]*"' | head -1 | grep -o '[0-9a-f]\{64\}'; }
signin() {
  rm -f "$jar"
  local t; t=$(curl -s -c "$jar" -b "$jar" "$base/login" | grep -o 'name="csrf_token" value="[0-9a-f]*"' | grep -o '[0-9a-f]\{64\}')
  curl -s -o /dev/null -c "$jar" -b "$jar" --data-urlencode "csrf_token=$t" -d "login=$1&senha=$2" "$base/login"
}
# October's IPEI cycle with deadlines still ahead, the 1st BPM's delivery, then the run.
tok=$(csrf "/ipei?mes=2026-10")
curl -s -o /dev/null -b "$jar" -d "csrf_token=$tok&mes=2026-10&prazo_1=14&prazo_2=15&prazo_3=16&prazo_4=17&prazo_5=18&prazo_6=19" "$base/ipei/ciclo"
signin chefe1bpm demo-chefe-7872
tok=$(csrf "/ipei/unidade?mes=2026-10")
curl -s -o /dev/null -b "$jar" -d "csrf_token=$tok&mes=2026-10&unidade=PM-1BPM&justificativa=" "$base/ipei/unidade/envio"
signin comite demo-comite-7872
tok=$(csrf "/ipei?mes=2026-10")
curl -s -o /dev/null -b "$jar" -d "csrf_token=$tok&mes=2026-10" "$base/ipei/execucoes"
get() { curl -s -b "$jar" -o "$OUT/$2" -w "%{http_code} $1\n" "$base$1" >> "$OUT/web-status.txt"; }
get /recap/execucoes/1/resultado.pdf recap-run.pdf
get /recap/execucoes/1/resultado.xlsx recap-run.xlsx
get /ipei/execucoes/1/resultado.pdf ipei-run.pdf
get /ipei/execucoes/1/folha.xlsx ipei-run.xlsx
cli ipei-payroll-run ipei payroll --month 2026-10 --run 1
cp fixtures/rj-isp/population.csv "$scratch/population.csv"
(cd "$OUT" && cli import-population import population "$scratch/population.csv" --rejects population.rejects.csv)
ls "$OUT"
