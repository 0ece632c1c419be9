#!/usr/bin/env python3
"""Times every page each demo role reaches by following links, on a running `atalaia serve`.

    python3 bench/pages.py --base http://127.0.0.1:18091 --label sqlite --urls OUT.json [--replay OUT.json]

For each role it signs in, walks the links of the pages it gets (same origin, GET, breadth first from `/`,
at most --per-template pages of one shape — `/reunioes/17` and `/reunioes/18` are one shape — and --limit
in all), and asks each page twice: `first` (whatever the server had cached) and `again`. With --replay it
asks the URLs a previous run saved instead of walking (after an import: the first load on a new data
version), once. Prints a Markdown table per role (p50, p95, max in milliseconds, the slowest pages) and
writes every measurement to --urls as JSON. Downloads (answers with `Content-Disposition: attachment`)
are listed apart with the time to their headers and to their last byte: how long one takes follows its
size, and the percentiles are of the pages. Standard library only.
"""
import argparse
import html.parser
import http.cookiejar
import json
import re
import statistics
import time
import urllib.error
import urllib.parse
import urllib.request

ROLES = [
    ("admin", "demo-admin-7872"),
    ("analista", "demo-analista-7872"),
    ("comite", "demo-comite-7872"),
    ("chefe1bpm", "demo-chefe-7872"),
    ("coordenador", "demo-coordenador-7872"),
    ("parceiro", "demo-parceiro-7872"),
    ("auditor", "demo-auditor-7872"),
]
# Links a crawler must not follow: they end the session.
SKIP = re.compile(r"^/(sair|logout)")


class Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def shape(path):
    """`/reunioes/17/ata.pdf?x=1` -> `/reunioes/#/ata.pdf`: pages of one shape."""
    p = urllib.parse.urlsplit(path).path
    return re.sub(r"/[0-9][0-9A-Za-z._-]*", "/#", p)


def opener():
    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))


def get(op, url):
    """(seconds to the last byte, status, content type, body, seconds to the headers or None when
    the answer is not a download)."""
    t0 = time.perf_counter()
    try:
        with op.open(url, timeout=600) as r:
            head = time.perf_counter() - t0
            attachment = "attachment" in r.headers.get("Content-Disposition", "")
            body = r.read()
            status, ctype = r.status, r.headers.get("Content-Type", "")
    except urllib.error.HTTPError as e:
        body, status, ctype = e.read(), e.code, e.headers.get("Content-Type", "")
        attachment = False
    return time.perf_counter() - t0, status, ctype, body, (head if attachment else None)


def login(base, user, password):
    op = opener()
    body = get(op, base + "/login")[3]
    token = re.search(rb'name="csrf_token" value="([0-9a-f]+)"', body)
    if not token:
        raise SystemExit("no CSRF token on /login")
    data = urllib.parse.urlencode(
        {"csrf_token": token.group(1).decode(), "login": user, "senha": password}
    ).encode()
    with op.open(urllib.request.Request(base + "/login", data=data), timeout=60) as r:
        r.read()
    _, status, _, _, _ = get(op, base + "/")
    if status != 200:
        raise SystemExit(f"{user}: home answered {status} after signing in")
    return op


def walk(base, op, limit, per_template):
    seen, order, queue, shapes = set(), [], ["/"], {}
    while queue and len(order) < limit:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        s = shape(path)
        if shapes.get(s, 0) >= per_template:
            continue
        shapes[s] = shapes.get(s, 0) + 1
        first, status, ctype, body, head = get(op, base + path)
        again = get(op, base + path)[0]
        order.append({"path": path, "status": status, "first": first, "again": again, "head": head})
        if "text/html" in ctype:
            p = Links()
            p.feed(body.decode("utf-8", "replace"))
            for href in p.hrefs:
                u = urllib.parse.urlsplit(urllib.parse.urljoin(base + path, href))
                if u.netloc != urllib.parse.urlsplit(base).netloc:
                    continue
                target = u.path + (("?" + u.query) if u.query else "")
                if not SKIP.match(u.path) and target not in seen:
                    queue.append(target)
    return order


def pct(values, q):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(q * (len(v) - 1))))]


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--base", required=True)
    a.add_argument("--label", required=True)
    a.add_argument("--urls", required=True)
    a.add_argument("--replay")
    a.add_argument("--limit", type=int, default=120)
    a.add_argument("--per-template", type=int, default=3)
    args = a.parse_args()
    previous = json.load(open(args.replay)) if args.replay else None
    results = {}
    print(f"\n| backend | role | pages | p50 ms | p95 ms | max ms | slowest | downloads: headers / whole ms |")
    print("| --- | --- | ---: | ---: | ---: | ---: | --- | --- |")
    for user, password in ROLES:
        op = login(args.base, user, password)
        if previous:
            rows = []
            for r in previous[user]:
                t, status, _, _, head = get(op, args.base + r["path"])
                rows.append({"path": r["path"], "status": status, "first": t, "head": head})
        else:
            rows = walk(args.base, op, args.limit, args.per_template)
        results[user] = rows
        pages = [r for r in rows if r.get("head") is None]
        downloads = sorted((r for r in rows if r.get("head") is not None), key=lambda r: -r["first"])
        times = [r["first"] * 1000 for r in pages]
        slow = sorted(pages, key=lambda r: -r["first"])[:3]
        slowest = ", ".join(f"`{r['path']}` {r['first'] * 1000:.0f}" for r in slow)
        bad = [r for r in rows if r["status"] >= 500]
        if bad:
            slowest += f"; **{len(bad)} answered 5xx**: " + ", ".join(r["path"] for r in bad[:3])
        heavy = ", ".join(
            f"`{r['path'].split('?')[0]}` {r['head'] * 1000:.0f} / {r['first'] * 1000:.0f}" for r in downloads[:3]
        )
        print(
            f"| {args.label} | {user} | {len(pages)} | {statistics.median(times):.0f} | "
            f"{pct(times, 0.95):.0f} | {max(times):.0f} | {slowest} | {heavy} |"
        )
    json.dump(results, open(args.urls, "w"), indent=1)


if __name__ == "__main__":
    main()
