#!/usr/bin/env python3
"""Peer side of the hot-spot benchmark (issue #6), run by bench/hotspots.sh in bench/out/venv-spatial.

Subcommands (each prints one JSON line; hotspots.sh wraps each run in /usr/bin/time -v for the peak RSS):

  gen DIR                       writes the inputs both sides read (raw little-endian float64, see below)
  weights NX NY                 libpysal lat2W(NY, NX, rook=False) alone (the classic W of dicts)
  baseline esda|geopandas|numpy a process that only imports what a case uses (its peak RSS)
  gistar DIR NX NY [--z-out F]  queen weights as a libpysal Graph (lat2SW + Graph.from_sparse), then
                                esda G_Local(y, w, transform='B', star=True, permutations=0)
  perm DIR NX NY [--perms 999] [--n-jobs -1]
                                the same with conditional permutations (numba), keep_simulations=False
  pip DIR GEOJSON [--pairs-out F]
                                GeoPandas sjoin(points, polygons, predicate='within'), then shapely's
                                STRtree.query(points, predicate='within') alone
  kde DIR [--out F]             quartic KDE of 1M points on a 50 km square at 100 m cells, in numpy
  check ...                     compares our outputs with the peers' (see hotspots.sh)
  report RESULTS.jsonl          prints the Markdown table of a run

Inputs written by `gen` (deterministic: numpy's PCG64 with fixed seeds):
  gistar-NXxNY.f64   counts per cell of an NX x NY lattice, row-major from the south-west (cell (i, j) at
                     j*NX + i, which is also libpysal lat2W's id of row j, column i): Poisson(2) background plus
                     planted clusters (one per 5,000 cells, Gaussian bumps of sigma 3 cells, peak 12).
  pip-points.f64     1,000,000 (lon, lat) pairs uniform in the bounding box of the GeoJSON's polygons.
  kde-points.f64     1,000,000 (x, y) metres in [0, 50,000)^2: half uniform, half in 40 Gaussian clusters.

Timings are `time.perf_counter()` around the computation only; reading inputs, imports and a warm-up on a
tiny problem (numba compiles esda's permutation kernel on first use) are outside.
"""
import argparse
import json
import os
import sys
import time
import warnings

import numpy as np

SIZES = [(100, 100), (400, 250), (1000, 1000)]
PIP_POINTS = 1_000_000
KDE_POINTS = 1_000_000
KDE_SIDE = 50_000.0
KDE_CELL = 100.0
KDE_BANDWIDTH = 1_000.0


def emit(**kv):
    print(json.dumps(kv), flush=True)


# ---------------------------------------------------------------------------------------------- inputs


def lattice_counts(nx, ny, seed):
    rng = np.random.default_rng(seed)
    lam = np.full((ny, nx), 2.0)
    clusters = max(1, nx * ny // 5000)
    sigma = 3.0
    r = int(4 * sigma)
    for _ in range(clusters):
        ci, cj = rng.integers(0, nx), rng.integers(0, ny)
        i0, i1 = max(0, ci - r), min(nx, ci + r + 1)
        j0, j1 = max(0, cj - r), min(ny, cj + r + 1)
        ii, jj = np.meshgrid(np.arange(i0, i1), np.arange(j0, j1))
        lam[j0:j1, i0:i1] += 12.0 * np.exp(-((ii - ci) ** 2 + (jj - cj) ** 2) / (2 * sigma**2))
    return rng.poisson(lam).astype("<f8").ravel()


def polygon_bbox(geojson):
    with open(geojson) as f:
        fc = json.load(f)
    xs, ys = [], []

    def walk(c):
        if isinstance(c[0], (int, float)):
            xs.append(c[0])
            ys.append(c[1])
        else:
            for x in c:
                walk(x)

    for feat in fc["features"]:
        walk(feat["geometry"]["coordinates"])
    return min(xs), min(ys), max(xs), max(ys), len(fc["features"])


def cmd_gen(a):
    os.makedirs(a.dir, exist_ok=True)
    for k, (nx, ny) in enumerate(SIZES):
        lattice_counts(nx, ny, 6000 + k).tofile(f"{a.dir}/gistar-{nx}x{ny}.f64")
    x0, y0, x1, y1, n_poly = polygon_bbox(a.geojson)
    rng = np.random.default_rng(6001)
    pts = np.empty((PIP_POINTS, 2), dtype="<f8")
    pts[:, 0] = rng.uniform(x0, x1, PIP_POINTS)
    pts[:, 1] = rng.uniform(y0, y1, PIP_POINTS)
    pts.tofile(f"{a.dir}/pip-points.f64")
    rng = np.random.default_rng(6002)
    half = KDE_POINTS // 2
    centres = rng.uniform(5_000, 45_000, (40, 2))
    spread = rng.uniform(500, 3_000, 40)
    which = rng.integers(0, 40, KDE_POINTS - half)
    clustered = centres[which] + rng.normal(size=(KDE_POINTS - half, 2)) * spread[which, None]
    kde = np.vstack([rng.uniform(0, KDE_SIDE, (half, 2)), clustered])
    np.clip(kde, 0.0, np.nextafter(KDE_SIDE, 0.0), out=kde)
    kde.astype("<f8").tofile(f"{a.dir}/kde-points.f64")
    emit(case="gen", polygons=n_poly, bbox=[x0, y0, x1, y1])


# ---------------------------------------------------------------------------------------------- Gi*


def g_local(y, w, **kw):
    from esda.getisord import G_Local

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return G_Local(y, w, transform="B", star=True, **kw)


def queen_graph(nx, ny):
    """Queen contiguity on the lattice as a libpysal Graph: esda's fastest path (G_Local on a W built by
    lat2W takes about 3x longer at 1M cells: its diagonal is filled through Python dicts). The id of row r,
    column c is r * ncols + c, so rows are our j (south to north) and columns our i."""
    from libpysal.graph import Graph
    from libpysal.weights import lat2SW

    return Graph.from_sparse(lat2SW(ny, nx, criterion="queen").tocsr())


def warm_up(perms=0, n_jobs=1):
    y = lattice_counts(20, 20, 1)
    g_local(y, queen_graph(20, 20), permutations=perms, n_jobs=n_jobs, seed=1, keep_simulations=False)


def cmd_weights(a):
    """libpysal's classic lattice weights (a W of dicts), timed alone: the Gi* runs use the Graph."""
    from libpysal.weights import lat2W

    lat2W(10, 10, rook=False)
    t0 = time.perf_counter()
    w = lat2W(a.ny, a.nx, rook=False)
    t1 = time.perf_counter()
    emit(case=f"lat2w-{a.nx * a.ny}", side="libpysal lat2W", seconds=t1 - t0, cells=w.n)


def cmd_baseline(a):
    """The peak RSS of a peer process that only imports what a case uses (subtract it to compare the work)."""
    if a.what == "esda":
        warm_up()
    elif a.what == "geopandas":
        import geopandas  # noqa: F401
        import shapely  # noqa: F401
    emit(case=f"baseline-{a.what}", side=a.what, seconds=0.0)


def cmd_gistar(a):
    y = np.fromfile(f"{a.dir}/gistar-{a.nx}x{a.ny}.f64", dtype="<f8")
    warm_up()
    t0 = time.perf_counter()
    w = queen_graph(a.nx, a.ny)
    t1 = time.perf_counter()
    g = g_local(y, w, permutations=0)
    t2 = time.perf_counter()
    if a.z_out:
        np.asarray(g.Zs, dtype="<f8").tofile(a.z_out)
    emit(case=f"gistar-{a.nx * a.ny}", side="esda", weights_s=t1 - t0, seconds=t2 - t1,
         cells=a.nx * a.ny)


def cmd_perm(a):
    y = np.fromfile(f"{a.dir}/gistar-{a.nx}x{a.ny}.f64", dtype="<f8")
    warm_up(perms=9, n_jobs=a.n_jobs)
    t0 = time.perf_counter()
    w = queen_graph(a.nx, a.ny)
    t1 = time.perf_counter()
    g = g_local(y, w, permutations=a.perms, n_jobs=a.n_jobs, seed=6003, keep_simulations=False)
    t2 = time.perf_counter()
    if a.p_out:
        np.asarray(g.p_sim, dtype="<f8").tofile(a.p_out)
    emit(case=f"perm-{a.nx * a.ny}", side=f"esda n_jobs={a.n_jobs}", weights_s=t1 - t0,
         seconds=t2 - t1, cells=a.nx * a.ny, permutations=a.perms)


# ---------------------------------------------------------------------------------------------- PIP


def cmd_pip(a):
    import geopandas as gpd
    import shapely

    pts = np.fromfile(f"{a.dir}/pip-points.f64", dtype="<f8").reshape(-1, 2)
    polys = gpd.read_file(a.geojson)
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(pts[:, 0], pts[:, 1]), crs=polys.crs)
    # Warm-up on a few points with a separate copy of the polygons (its spatial index is its own).
    gpd.sjoin(points.iloc[:100], polys.copy(), predicate="within")
    t0 = time.perf_counter()
    joined = gpd.sjoin(points, polys, predicate="within")
    t1 = time.perf_counter()
    geoms = np.asarray(polys.geometry.values)
    t2 = time.perf_counter()
    tree = shapely.STRtree(geoms)
    pairs = tree.query(np.asarray(points.geometry.values), predicate="within")
    t3 = time.perf_counter()
    assert len(pairs[0]) == len(joined)
    if a.pairs_out:
        key = np.sort(pairs[0].astype(np.int64) * 100_000 + pairs[1].astype(np.int64))
        key.astype("<i8").tofile(a.pairs_out)
    emit(case="pip", side="geopandas sjoin", seconds=t1 - t0, pairs=len(joined),
         strtree_s=t3 - t2, points=len(pts), polygons=len(polys))


# ---------------------------------------------------------------------------------------------- KDE


def cmd_kde(a):
    pts = np.fromfile(f"{a.dir}/kde-points.f64", dtype="<f8").reshape(-1, 2)
    n = int(round(KDE_SIDE / KDE_CELL))
    t0 = time.perf_counter()
    out = kde_numpy(pts[:, 0], pts[:, 1], n, KDE_CELL, KDE_BANDWIDTH)
    t1 = time.perf_counter()
    if a.out:
        out.astype("<f8").tofile(a.out)
    emit(case="kde", side="numpy", seconds=t1 - t0, points=len(pts), cells=n * n)


def kde_numpy(x, y, n, cell, h):
    """The same scatter as kde::quartic, vectorised over points for each cell offset of the window."""
    h2 = h * h
    norm = 3.0 / (np.pi * h2)
    reach = int(np.ceil(h / cell)) + 1
    ci = np.round(x / cell - 0.5).astype(np.int64)
    cj = np.round(y / cell - 0.5).astype(np.int64)
    out = np.zeros(n * n)
    for dj in range(-reach, reach + 1):
        j = cj + dj
        dy2 = ((j + 0.5) * cell - y) ** 2
        for di in range(-reach, reach + 1):
            if (max(abs(di) - 1, 0) * cell) ** 2 + (max(abs(dj) - 1, 0) * cell) ** 2 >= h2:
                continue  # no point can reach a cell this far from its nearest cell
            i = ci + di
            d2 = ((i + 0.5) * cell - x) ** 2 + dy2
            m = (d2 < h2) & (i >= 0) & (i < n) & (j >= 0) & (j < n)
            u = 1.0 - d2[m] / h2
            out += np.bincount(j[m] * n + i[m], weights=norm * u * u, minlength=n * n)
    return out


# ---------------------------------------------------------------------------------------------- checks


def cmd_check(a):
    if a.what == "z":
        ours, peer = np.fromfile(a.ours, "<f8"), np.fromfile(a.peer, "<f8")
        diff = float(np.max(np.abs(ours - peer)))
        ok = ours.shape == peer.shape and diff < 1e-9
        emit(check="gistar z vs esda", cells=len(peer), max_abs_diff=diff, ok=bool(ok))
    elif a.what == "p":
        # esda's p_sim is the folded one-sided count (m + 1) / (perms + 1); ours is twice it. Different random
        # draws, so only the agreement of the two estimates is reported, not equality.
        ours, peer = np.fromfile(a.ours, "<f8") / 2.0, np.fromfile(a.peer, "<f8")
        agree = float(np.mean((ours < 0.025) == (peer < 0.025)))
        emit(check="permutation p vs esda", cells=len(peer),
             mean_abs_diff=float(np.mean(np.abs(ours - peer))), same_side_of_0_05_two_sided=agree,
             ok=bool(agree > 0.97))
    elif a.what == "pairs":
        ours, peer = np.fromfile(a.ours, "<i8"), np.fromfile(a.peer, "<i8")
        same = ours.shape == peer.shape and bool(np.all(ours == peer))
        diff = len(np.setxor1d(ours, peer))
        emit(check="pip pairs vs shapely", pairs=len(peer), ours=len(ours), differing=diff,
             ok=bool(same or diff <= max(1, len(peer) // 100_000)))
    elif a.what == "kde":
        ours, peer = np.fromfile(a.ours, "<f8"), np.fromfile(a.peer, "<f8")
        rel = float(np.max(np.abs(ours - peer)) / np.max(np.abs(peer)))
        emit(check="kde vs numpy", cells=len(peer), max_rel_diff=rel, ok=bool(rel < 1e-9))


# ---------------------------------------------------------------------------------------------- report


def cmd_report(a):
    rows = [json.loads(line) for line in open(a.results) if line.strip()]
    by = {}
    for r in rows:
        if "case" not in r:
            continue
        key = (r["case"], r["side"])
        # Several runs of one measurement: the fastest time, the largest peak RSS.
        prev = by.get(key)
        if prev is None:
            by[key] = dict(r, runs=1)
        else:
            for f in ("seconds", "weights_s", "build_s", "query_s", "strtree_s"):
                if f in r:
                    prev[f] = min(prev[f], r[f])
            prev["rss_mb"] = max(prev["rss_mb"], r["rss_mb"])
            prev["runs"] += 1

    def fmt(s):
        return f"{s:.2f} s" if s >= 0.1 else f"{s * 1000:.1f} ms"

    def ratio(r):
        return f"{r:.1f}" if r < 10 else f"{r:,.0f}"

    out = ["| measurement | atalaia | time | peak RSS MB | peer | time | peak RSS MB | speed-up |",
           "| --- | --- | ---: | ---: | --- | ---: | ---: | ---: |"]

    def line(label, ours_key, peer_key, field="seconds", peer_field=None, ours_side=None, peer_side=None):
        o, p = by.get(ours_key), by.get(peer_key)
        if not o or not p:
            return
        os_, ps = o[field], p[peer_field or field]
        out.append(f"| {label} | {ours_side or o['side']} | {fmt(os_)} | {o['rss_mb']:.0f} | "
                   f"{peer_side or p['side']} | {fmt(ps)} | {p['rss_mb']:.0f} | **{ratio(ps / os_)}×** |")

    for nx, ny in SIZES:
        n = nx * ny
        line(f"Gi* analytic, {n:,} cells", (f"gistar-{n}", "gi_star"), (f"gistar-{n}", "esda"),
             peer_side="esda G_Local")
    for nx, ny in SIZES:
        n = nx * ny
        line(f"queen weights, {n:,} cells", (f"gistar-{n}", "gi_star"), (f"gistar-{n}", "esda"),
             field="weights_s", ours_side="Neighbours::queen",
             peer_side="libpysal lat2SW + Graph.from_sparse")
    for nx, ny in SIZES:
        n = nx * ny
        line(f"queen weights, {n:,} cells", (f"gistar-{n}", "gi_star"), (f"lat2w-{n}", "libpysal lat2W"),
             field="weights_s", peer_field="seconds", ours_side="Neighbours::queen")
    perms = sorted({r["case"] for r in by.values() if r["case"].startswith("perm-")})
    for case in perms:
        cells = int(case.split("-")[1])
        label = f"Gi* 999 permutations, {cells:,} cells"
        ours = sorted(k for k in by if k[0] == case and k[1].startswith("gi_star"))
        peers = sorted((k for k in by if k[0] == case and k[1].startswith("esda")),
                       key=lambda k: k[1].endswith("=1"))
        # Most threads against n_jobs=-1, one thread against n_jobs=1.
        for o, p in zip(sorted(ours, key=lambda k: "1 thread" in k[1]), peers):
            line(label, o, p)
    for key in sorted((k for k in by if k[0] == "pip" and k[1] != "geopandas sjoin"), reverse=True):
        line("point-in-polygon, 1M points, 853 polygons", key, ("pip", "geopandas sjoin"))
    for key in sorted((k for k in by if k[0] == "pip" and k[1] != "geopandas sjoin"), reverse=True):
        line("point-in-polygon, 1M points, 853 polygons", key, ("pip", "geopandas sjoin"),
             peer_field="strtree_s", peer_side="shapely STRtree + query alone")
    for key in sorted(k for k in by if k[0] == "kde" and k[1] != "numpy"):
        line("quartic KDE, 1M points, 500×500 cells, h = 1 km", key, ("kde", "numpy"),
             peer_side="numpy (same algorithm, vectorised)")
    print("\n".join(out))
    pip = by.get(("pip", "geopandas sjoin"))
    extra = []
    for k, r in sorted(by.items()):
        if k[0] == "pip" and "build_s" in r:
            extra.append(f"{r['side']}: index build {fmt(r['build_s'])}, queries {fmt(r['query_s'])}")
    if pip:
        extra.append(f"pairs found: {pip['pairs']:,} of {pip['points']:,} points")
    base = [r for k, r in sorted(by.items()) if k[0].startswith("baseline-")]
    if base:
        extra.append("peak RSS of a peer process that only imports (and, for esda, warms up on 400 cells): "
                     + ", ".join(f"{r['side']} {r['rss_mb']:.0f} MB" for r in base))
    runs = max((r["runs"] for k, r in by.items() if not k[0].startswith("baseline-")), default=0)
    extra.append(f"time: the fastest of {runs} runs per measurement, each a separate process; "
                 f"peak RSS: the largest")
    checks = [r for r in rows if "check" in r]
    print()
    for e in extra:
        print(f"- {e}")
    for c in checks:
        print(f"- {'PASS' if c['ok'] else 'FAIL'} {c['check']}: "
              + ", ".join(f"{k} {v}" for k, v in c.items() if k not in ("check", "ok")))
    return 1 if any(not c["ok"] for c in checks) else 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("gen")
    p.add_argument("dir")
    p.add_argument("geojson")
    p = sub.add_parser("weights")
    p.add_argument("nx", type=int)
    p.add_argument("ny", type=int)
    p = sub.add_parser("baseline")
    p.add_argument("what", choices=["esda", "geopandas", "numpy"])
    p = sub.add_parser("gistar")
    p.add_argument("dir")
    p.add_argument("nx", type=int)
    p.add_argument("ny", type=int)
    p.add_argument("--z-out")
    p = sub.add_parser("perm")
    p.add_argument("dir")
    p.add_argument("nx", type=int)
    p.add_argument("ny", type=int)
    p.add_argument("--perms", type=int, default=999)
    p.add_argument("--n-jobs", type=int, default=-1)
    p.add_argument("--p-out")
    p = sub.add_parser("pip")
    p.add_argument("dir")
    p.add_argument("geojson")
    p.add_argument("--pairs-out")
    p = sub.add_parser("kde")
    p.add_argument("dir")
    p.add_argument("--out")
    p = sub.add_parser("check")
    p.add_argument("what", choices=["z", "p", "pairs", "kde"])
    p.add_argument("ours")
    p.add_argument("peer")
    p = sub.add_parser("report")
    p.add_argument("results")
    a = ap.parse_args()
    commands = {"gen": cmd_gen, "baseline": cmd_baseline, "weights": cmd_weights, "gistar": cmd_gistar, "perm": cmd_perm,
                "pip": cmd_pip, "kde": cmd_kde, "check": cmd_check, "report": cmd_report}
    return commands[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
