#!/usr/bin/env bash
# Smoke run of the benchmark suite (part of the test command): every scenario
# for a few seconds against the test Cassandra and Redis, and again on the
# embedded store, so the suite cannot rot. It checks that every run answered without errors and that the JSON,
# Markdown and PNG reports were written; the figures are not judged here.
# The watch benchmark runs in miniature (no watchers and 20, 2 s each): the
# load tool's watch scenario has its own tests, this keeps watch.py working.
#
#   smoke_e2etest.sh BUILD_DIR
set -euo pipefail
build="$1"
here="$(cd "$(dirname "$0")" && pwd)"
out="$(mktemp -d "${TMPDIR:-/tmp}/bench-smoke.XXXXXX")"
trap 'rm -rf "$out"' EXIT

python3 "$here/bench.py" --quick --build "$build" \
  --cql "${INVENTORY_TEST_CQL_HOST:-127.0.0.1}:${INVENTORY_TEST_CQL_PORT:-9042}" \
  --redis "${INVENTORY_TEST_REDIS_HOST:-127.0.0.1}:${INVENTORY_TEST_REDIS_PORT:-6379}" \
  --keyspace "bench_smoke_$$" --out "$out" --store cql,embedded

python3 "$here/watch.py" --build "$build" --watchers 0,20 --seconds 2 \
  --cql "${INVENTORY_TEST_CQL_HOST:-127.0.0.1}:${INVENTORY_TEST_CQL_PORT:-9042}" \
  --redis "${INVENTORY_TEST_REDIS_HOST:-127.0.0.1}:${INVENTORY_TEST_REDIS_PORT:-6379}" \
  --keyspace "bench_smoke_$$" --out "$out/watch"

python3 - "$out" <<'PY'
import json, os, sys
out = sys.argv[1]
r = json.load(open(os.path.join(out, "results.json")))
runs = {(x["scenario"], x["mode"]) for x in r["runs"]}
want = {("hot-seat", "on"), ("hot-seat", "off"), ("spread", "on"), ("seatmap", "on"), ("seatmap", "off"),
        ("funnel", "on"), ("big-trip", "on")}
want |= {(s, m + ", embedded") for s, m in want}
assert runs == want, f"runs {sorted(runs)}"
for x in r["runs"]:
    assert x["outcomes"]["errors"] == 0, x
    assert x["server"]["requests"] >= x["requests"], x
assert len(r["raw_lwt"]) == 2 and all(x["applied"] == x["requests"] for x in r["raw_lwt"]), r["raw_lwt"]
for mode in ("on", "on, embedded"):
    hot = next(x for x in r["runs"] if x["scenario"] == "hot-seat" and x["mode"] == mode)
    assert hot["outcomes"]["success"] == 1, (mode, hot["outcomes"])
summary = open(os.path.join(out, "summary.md")).read()
assert "| scenario | target |" in summary and "req/s embedded" in summary
png = open(os.path.join(out, "latency.png"), "rb").read()
assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000, len(png)
w = json.load(open(os.path.join(out, "watch", "watch.json")))
assert [x["watchers"] for x in w["runs"]] == [0, 20], w["runs"]
assert all(x["load_tool_pass"] and x["changes_answered"] > 0 for x in w["runs"]), w["runs"]
assert w["runs"][1]["per_watcher"] is not None and w["runs"][1]["delivery_latency_ms"]["count"] > 0, w["runs"][1]
assert "| watchers |" in open(os.path.join(out, "watch", "watch.md")).read()
print("bench smoke: 7 runs on each store and the watch benchmark, reports written")
PY
