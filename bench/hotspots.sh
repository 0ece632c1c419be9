#!/usr/bin/env bash
# Hot-spot speed beside the Python peers (issue #6), in one run: Gi* analytic at 10k/100k/1M cells (esda),
# queen weights (libpysal), 999 conditional permutations at 100k cells (esda + numba), point-in-polygon of
# 1M points into Minas Gerais' 853 municipalities (GeoPandas sjoin), and the quartic KDE of 1M points on a
# 50 km square at 100 m cells (numpy). Both sides read the same generated inputs (bench/hotspots_peer.py
# gen); each measurement is a separate process under /usr/bin/time -v (peak RSS), timed inside around the
# computation only. Appends the table to bench/out/hotspots.md; exits 1 if a cross-check fails.
#
#   bench/hotspots.sh              # RUNS=3: the fastest of three processes per measurement
#   RUNS=1 bench/hotspots.sh       # a quicker run
#
# Each measurement waits for a second with the CPUs at least 90 % idle (QUIET_WAIT=900 s in all at most).
# Environment: RUNS (3), QUIET_WAIT (900), CARGO_TARGET_DIR (/tmp/bench-target), ATALAIA_SHARED_DATA (/work/shared/data),
# PEER_PACKAGES (the pinned peers below), SKIP_LAT2W=1 (skip libpysal's lat2W: 15 s and 3.7 GB at 1M cells).
set -euo pipefail

cd "$(dirname "$0")/.."
OUT=bench/out
DATA=$OUT/hotspots
VENV=$OUT/venv-spatial
RUNS=${RUNS:-3}
SHARED=${ATALAIA_SHARED_DATA:-/work/shared/data}
GEOJSON=$SHARED/ibge-municipios-geojson/geojs-31-mun.json
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/tmp/bench-target}
BIN=$CARGO_TARGET_DIR/release/examples/hotspots_bench
PEER_PACKAGES=${PEER_PACKAGES:-"esda==2.9.0 libpysal==4.14.1 geopandas==1.2.0 shapely==2.2.0 pyogrio==0.13.0 \
numpy==2.4.6 scipy==1.17.1 pandas==3.1.1 numba==0.68.1 joblib"}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RUN=$OUT/runs/hotspots-$STAMP
RESULTS=$RUN/results.jsonl
mkdir -p "$DATA" "$RUN"

note() { echo "hotspots: $*" >&2; }

if [ ! -x /usr/bin/time ]; then
    if [ "$(id -u)" = 0 ]; then
        apt-get install -y time >&2 || { apt-get update >&2 && apt-get install -y time >&2; }
    else
        note "GNU time is missing: apt-get install -y time"
        exit 2
    fi
fi
[ -f "$GEOJSON" ] || { note "missing $GEOJSON (set ATALAIA_SHARED_DATA)"; exit 2; }

# The peers' virtualenv, created or completed when an import fails.
if ! "$VENV/bin/python" -c "import esda, libpysal, geopandas, shapely, numpy, scipy, numba" 2>/dev/null; then
    note "installing the peers into $VENV"
    python3 -m venv "$VENV"
    # shellcheck disable=SC2086
    "$VENV/bin/pip" install -q $PEER_PACKAGES >&2
fi
PY=$VENV/bin/python

note "building the release example (CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
cargo build -q --release -p atalaia-spatial --example hotspots_bench >&2

note "generating the inputs into $DATA"
"$PY" bench/hotspots_peer.py gen "$DATA" "$GEOJSON" > "$RUN/gen.json"

# idle_pct: the share of CPU time idle over the next second, from /proc/stat.
idle_pct() {
    local a b
    a=$(awk '/^cpu / {print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat)
    sleep 1
    b=$(awk '/^cpu / {print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat)
    echo "$a $b" | awk '{ d = $4 - $2; print (d > 0 ? int(100 * ($3 - $1) / d) : 100) }'
}

# wait_quiet: on a shared machine (another build or test suite running) timings say little; before each
# measurement, wait for a second with at least 90 % of the CPUs idle, spending at most QUIET_WAIT seconds
# (default 900; 0 = never wait) on such waits in the whole run.
noisy=0
quiet_left=${QUIET_WAIT:-900}
wait_quiet() {
    local idle
    while :; do
        idle=$(idle_pct)
        [ "$idle" -ge 90 ] && return 0
        if [ "$quiet_left" -le 0 ]; then
            noisy=$((noisy + 1))
            return 0
        fi
        quiet_left=$((quiet_left - 1))
    done
}

# measure NAME COMMAND…: runs it under /usr/bin/time -v, appends its JSON line plus rss_mb to RESULTS.
n=0
measure() {
    local name=$1
    shift
    n=$((n + 1))
    wait_quiet
    local tf=$RUN/$(printf %02d $n)-$name.time
    if ! /usr/bin/time -v -o "$tf" "$@" > "$RUN/$(printf %02d $n)-$name.json" 2> "$RUN/$(printf %02d $n)-$name.err"; then
        note "FAILED: $* (see $RUN/$(printf %02d $n)-$name.err)"
        exit 1
    fi
    local kb
    kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tf")
    sed "s/}\$/, \"rss_mb\": $((kb / 1024))}/" "$RUN/$(printf %02d $n)-$name.json" | tee -a "$RESULTS" >&2
}

SIZES="100 100
400 250
1000 1000"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
# keep OPTION FILE: in the first run only, the option that makes a side write its results (cross-checks).
keep() { if [ "$r" = 1 ]; then echo "$1" "$RUN/$2"; fi; }
for r in $(seq 1 "$RUNS"); do
    note "run $r of $RUNS"
    while read -r nx ny; do
        # shellcheck disable=SC2046
        measure "ours-gistar-$nx" "$BIN" gistar "$DATA" "$nx" "$ny" $(keep --z-out "z-ours-$nx.f64")
        # shellcheck disable=SC2046
        measure "esda-gistar-$nx" "$PY" bench/hotspots_peer.py gistar "$DATA" "$nx" "$ny" $(keep --z-out "z-esda-$nx.f64")
        if [ "${SKIP_LAT2W:-0}" != 1 ]; then
            measure "lat2w-$nx" "$PY" bench/hotspots_peer.py weights "$nx" "$ny"
        fi
    done <<< "$SIZES"
    # shellcheck disable=SC2046
    measure ours-perm "$BIN" perm "$DATA" 400 250 --perms 999 --threads 0 $(keep --p-out p-ours.f64)
    measure ours-perm-1 "$BIN" perm "$DATA" 400 250 --perms 999 --threads 1
    # shellcheck disable=SC2046
    measure esda-perm "$PY" bench/hotspots_peer.py perm "$DATA" 400 250 --perms 999 --n-jobs -1 $(keep --p-out p-esda.f64)
    measure esda-perm-1 "$PY" bench/hotspots_peer.py perm "$DATA" 400 250 --perms 999 --n-jobs 1
    # shellcheck disable=SC2046
    measure ours-pip "$BIN" pip "$DATA" "$GEOJSON" --threads 2 $(keep --pairs-out pairs-ours.i64)
    measure ours-pip-1 "$BIN" pip "$DATA" "$GEOJSON" --threads 1
    # shellcheck disable=SC2046
    measure geopandas-pip "$PY" bench/hotspots_peer.py pip "$DATA" "$GEOJSON" $(keep --pairs-out pairs-shapely.i64)
    # shellcheck disable=SC2046
    measure ours-kde "$BIN" kde "$DATA" $(keep --out kde-ours.f64)
    # shellcheck disable=SC2046
    measure numpy-kde "$PY" bench/hotspots_peer.py kde "$DATA" $(keep --out kde-numpy.f64)
done
measure baseline-esda "$PY" bench/hotspots_peer.py baseline esda
measure baseline-geopandas "$PY" bench/hotspots_peer.py baseline geopandas
measure baseline-numpy "$PY" bench/hotspots_peer.py baseline numpy
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

note "cross-checks"
while read -r nx ny; do
    "$PY" bench/hotspots_peer.py check z "$RUN/z-ours-$nx.f64" "$RUN/z-esda-$nx.f64" | tee -a "$RESULTS" >&2
done <<< "$SIZES"
"$PY" bench/hotspots_peer.py check p "$RUN/p-ours.f64" "$RUN/p-esda.f64" | tee -a "$RESULTS" >&2
"$PY" bench/hotspots_peer.py check pairs "$RUN/pairs-ours.i64" "$RUN/pairs-shapely.i64" | tee -a "$RESULTS" >&2
"$PY" bench/hotspots_peer.py check kde "$RUN/kde-ours.f64" "$RUN/kde-numpy.f64" | tee -a "$RESULTS" >&2
rm -f "$RUN"/*.f64 "$RUN"/*.i64

status=0
{
    echo
    echo "## Hot spots, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "$(nproc) CPUs ($(lscpu | sed -n 's/^Model name: *//p' | head -1)), $(free -g | awk '/^Mem:/ {print $2}') GiB;" \
        "$(rustc --version); Python $("$PY" -c 'import sys; print(sys.version.split()[0])');" \
        "$("$PY" -c 'import esda, libpysal, geopandas, shapely, numpy, numba; print(f"esda {esda.__version__}, libpysal {libpysal.__version__}, geopandas {geopandas.__version__}, shapely {shapely.__version__}, numpy {numpy.__version__}, numba {numba.__version__}")');" \
        "load average before ${LOAD_BEFORE}, after ${LOAD_AFTER}; ${noisy} of ${n} measurements started on a" \
        "busy machine (< 90 % idle, the QUIET_WAIT=${QUIET_WAIT:-900} s spent). Files: $RUN."
    echo
    "$PY" bench/hotspots_peer.py report "$RESULTS" || true
} | tee -a "$OUT/hotspots.md"
# The report's own status (the pipeline's is tee's).
"$PY" bench/hotspots_peer.py report "$RESULTS" > /dev/null || status=1
exit $status
