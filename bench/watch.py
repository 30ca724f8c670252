#!/usr/bin/env python3
"""The live seat map benchmark: what each WatchSeatMap stream costs.

For each watcher count (0, 100 and 1,000 by default) a fresh inventoryd and
one run of the load tool's `watch` scenario: a fresh trip (200 seats), that
many streams of its whole journey opened and given their first map, then
seat changes (holds, confirms, releases, cancels) in an open loop at the same
rate for the same time. Measured on inventoryd: resident memory once the
streams are open (after the set-up) and its peak during the changes, and
CPU seconds spent during the changes (/proc/<pid>/stat). From the runs side
by side:

- memory per watcher: (RSS with N watchers - RSS with none) / N, bytes;
- CPU per change fanned out: (CPU with N - CPU with none) / (changes x N),
  microseconds per change per watcher;

and the load tool's delivery latency (the change's answer to the watcher's
event showing it) p50/p99, its full maps by reason, and its check that every
watcher's copy ended equal to GetSeatMap. Figures, not pass/fail.

Usage: watch.py --cql HOST:PORT --redis HOST:PORT --out DIR
                [--watchers 0,100,1000] [--rate 50] [--seconds 30] [--seats 200]
                [--quick] [--build DIR]
"""

import argparse
import json
import os
import sys
import time

import bench
import overload

OUTSTANDING_CAP = 10_000  # the load tool's own limit on changes in flight: never the bottleneck
CLIENT_DEADLINE_MS = 5000


def one_run(build, cql, redis, keyspace, out, watchers, rate, seconds, seats):
    """A fresh inventoryd and one watch run with `watchers` streams; its figures."""
    service = bench.Service(build, cql, redis, keyspace, [], os.path.join(out, f"inventoryd-{watchers}.log"))
    marks = {}

    def on_start():
        marks["rss_start"] = overload.rss_bytes(service.proc.pid)
        marks["cpu_start"] = bench.cpu_seconds(service.proc.pid)
        marks["sampler"] = overload.RssSampler(service.proc.pid)

    def on_end():
        # The tool has compared the copies and closed its streams by now.
        marks["cpu_end"] = bench.cpu_seconds(service.proc.pid)
        marks["samples"] = marks["sampler"].finish()

    requests = max(1, int(rate * seconds))
    try:
        before, after, summary, code = bench.drive_load(
            build, service,
            ["--scenario", "watch", "--watchers", str(watchers), "--seats", str(seats), "--rate", f"{rate:g}",
             "--requests", str(requests), "--workers", str(OUTSTANDING_CAP), "--timeout-ms", str(CLIENT_DEADLINE_MS)],
            os.path.join(out, f"load-{watchers}.json"), on_start=on_start, on_end=on_end)
    finally:
        service.stop()
    report = summary["scenario_report"]
    d = lambda name, **m: bench.delta(before, after, name, **m)
    return {
        "watchers": watchers,
        "rate": rate,
        "seconds": seconds,
        "changes_answered": report["changes"]["answered"],
        "changes_failed": report["changes"]["failed"],
        "changes_turned_away": report["changes"]["turned_away"],
        "load_tool_pass": code == 0,
        "load_tool_failures": summary.get("failures", []),
        "rss_after_setup_bytes": marks["rss_start"],
        "rss_peak_during_changes_bytes": max((s[1] for s in marks["samples"]), default=0),
        "cpu_seconds_during_changes": marks["cpu_end"] - marks["cpu_start"],
        "change_latency_ms": summary["latency_ms"],
        "delivery_latency_ms": report["delivery_latency_ms"],
        "delivery_latency_from_request_ms": report["delivery_latency_from_request_ms"],
        "deliveries": report["deliveries"],
        "events": report["events"],
        "full_maps": report["full_maps"],
        "heartbeats": report["heartbeats"],
        "final_comparison": report["final_comparison"],
        "server": {
            "change_events": d("inventory_watch_change_events_total"),
            "deliveries": d("inventory_watch_deliveries_total"),
            "full_maps_behind": d("inventory_watch_full_maps_total", reason="behind"),
            "full_maps_refresh": d("inventory_watch_full_maps_total", reason="refresh"),
        },
    }


def derive(runs):
    """Per-watcher costs of each run against the run with no watchers."""
    base = next((r for r in runs if r["watchers"] == 0), None)
    for r in runs:
        r["per_watcher"] = None
        if base is None or r["watchers"] == 0:
            continue
        n = r["watchers"]
        changes = r["changes_answered"] or 1
        r["per_watcher"] = {
            "rss_bytes": (r["rss_after_setup_bytes"] - base["rss_after_setup_bytes"]) / n,
            "rss_peak_bytes": (r["rss_peak_during_changes_bytes"] - base["rss_peak_during_changes_bytes"]) / n,
            "cpu_us_per_change": 1e6 * (r["cpu_seconds_during_changes"] - base["cpu_seconds_during_changes"])
                                 / (changes * n),
        }
    return runs


def markdown(result):
    lines = ["# Live seat map: what a watcher costs", "",
             f"Command: `{result['command']}`", "",
             f"One trip of {result['seats']} seats; changes (hold, confirm, release, cancel) at "
             f"{result['rate']:g}/s for {result['seconds']} s in an open loop, the same in every run; each run "
             "a fresh inventoryd. RSS after the set-up (streams open, first maps sent) and its peak during the "
             "changes; CPU of inventoryd during the changes. Per watcher: against the run with none.", "",
             "| watchers | changes | turned away | RSS MiB | peak MiB | CPU s | bytes/watcher | peak bytes/watcher | "
             "µs CPU per change per watcher | delivery p50 ms | p99 ms | max ms | from request p50 ms | p99 ms | "
             "timed / expected | full maps behind | copies differing |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in result["runs"]:
        p = r["per_watcher"] or {}
        dl = r["delivery_latency_ms"]
        dr = r["delivery_latency_from_request_ms"]
        fmt_or = lambda key, spec: format(p[key], spec) if key in p else "–"
        delivered = f"{r['deliveries']['timed']} / {r['deliveries']['expected']}" if r["watchers"] else "–"
        lines.append(
            f"| {r['watchers']} | {r['changes_answered']} | {r['changes_turned_away']} | "
            f"{r['rss_after_setup_bytes'] / 2**20:.1f} | "
            f"{r['rss_peak_during_changes_bytes'] / 2**20:.1f} | {r['cpu_seconds_during_changes']:.2f} | "
            f"{fmt_or('rss_bytes', ',.0f')} | {fmt_or('rss_peak_bytes', ',.0f')} | "
            f"{fmt_or('cpu_us_per_change', '.2f')} | "
            + (f"{dl['p50']:.2f} | {dl['p99']:.2f} | {dl['max']:.2f} | {dr['p50']:.2f} | {dr['p99']:.2f} | "
               if r["watchers"] else "– | – | – | – | – | ")
            + f"{delivered} | {r['full_maps']['behind']} | "
            f"{r['final_comparison']['mismatched_watchers'] if r['watchers'] else '–'} |")
    failed = [r for r in result["runs"] if not r["load_tool_pass"]]
    lines.append("")
    if failed:
        for r in failed:
            why = "; ".join(r["load_tool_failures"])
            lines.append(f"- {r['watchers']} watchers: the load tool's check failed: {why}")
    else:
        lines.append("Every run: no change failed (those turned away, RESOURCE_EXHAUSTED, did nothing and are not "
                     "timed), no stream ended early, every copy equal to GetSeatMap at the end.")
    lines += ["", "Delivery latency: from the change's answer to the load tool to the event showing the seat's new "
              "status at each watcher (one client process on the same machine; an event that came before the "
              "answer counts as 0); \"from request\": from when the change was sent. CPU includes the load "
              "tool's final comparison and the streams' closing."]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cql", required=True)
    parser.add_argument("--redis", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--build", default=os.path.join(bench.ROOT, "build", "release"))
    parser.add_argument("--watchers", default="0,100,1000", help="watcher counts, one run each (include 0)")
    parser.add_argument("--rate", type=float, default=50, help="seat changes per second")
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--seats", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="10 s per run")
    parser.add_argument("--keyspace", default="inventory_watch")
    parser.add_argument("--command", default=" ".join(sys.argv))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    seconds = 10 if args.quick else args.seconds
    started = time.time()
    runs = []
    for n in [int(x) for x in args.watchers.split(",") if x]:
        bench.log(f"watch: {n} watchers, {args.rate:g} changes/s for {seconds} s")
        runs.append(one_run(args.build, args.cql, args.redis, args.keyspace, args.out, n, args.rate, seconds,
                            args.seats))
    result = {"command": args.command, "rate": args.rate, "seconds": seconds, "seats": args.seats,
              "runs": derive(runs), "took_seconds": time.time() - started}
    with open(os.path.join(args.out, "watch.json"), "w") as f:
        json.dump(result, f, indent=2)
    md = markdown(result)
    with open(os.path.join(args.out, "watch.md"), "w") as f:
        f.write(md)
    print(md)
    bench.log(f"watch: done in {time.time() - started:.0f} s: {args.out}/watch.json, watch.md")
    return 0 if all(r["load_tool_pass"] for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
