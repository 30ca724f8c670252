#!/usr/bin/env python3
"""The overload benchmark: more demand than capacity, with admission control
on and off, side by side.

1. Capacity: a closed loop of `spread` holds (each a different seat, so each
   goes to the database) against a fresh inventoryd: its throughput is the
   capacity C. Unloaded latency: an open loop at C/4; its p99 is U.
2. For each load (2 C and 5 C by default) and each mode (admission control
   on, off): a fresh inventoryd, an open loop at that rate for --seconds,
   then a tail at C/4 for 5 s. Calls carry a 2 s deadline, as a gateway's
   would. Reported: goodput (holds answered per second while the surge ran,
   and its share of C), p99 of the calls the service answered (and its ratio
   to U), what was turned away (RESOURCE_EXHAUSTED) or missed its deadline,
   any other error, resident memory at the start and the end of the surge,
   and the tail's first seconds (p99 and errors): how soon it was normal.

Figures, not pass/fail: the summary says which of the issue's expectations
held (goodput >= 80 % of C, answered p99 <= 2 U, no other errors, memory
flat, normal within 1 s after the surge).

Usage: overload.py --cql HOST:PORT --redis HOST:PORT --out DIR
                   [--loads 2,5] [--seconds 30] [--quick] [--build DIR]
"""

import argparse
import json
import os
import sys
import threading
import time

import bench

CLIENT_DEADLINE_MS = 2000
TAIL_SECONDS = 5
OUTSTANDING_CAP = 100_000  # the load tool's own limit: never the bottleneck


def rss_bytes(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class RssSampler:
    """Samples a process's resident memory every half second."""

    def __init__(self, pid):
        self.pid, self.samples, self.stop = pid, [], threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop.is_set():
            self.samples.append((time.time(), rss_bytes(self.pid)))
            self.stop.wait(0.5)

    def finish(self):
        self.stop.set()
        self.thread.join()
        return self.samples


def load_tool(build, service, args, json_path):
    """Runs inventory-load with `args`; returns (summary, metrics before, metrics after, rss samples)."""
    sampler = []
    before, after, summary, _ = bench.drive_load(
        build, service, args, json_path, on_start=lambda: sampler.append(RssSampler(service.proc.pid)),
        on_end=lambda: sampler[0].finish())
    return summary, before, after, sampler[0].samples


def capacity(build, cql, redis, keyspace, out, requests):
    service = bench.Service(build, cql, redis, keyspace, [], os.path.join(out, "inventoryd-capacity.log"))
    try:
        summary, _, _, _ = load_tool(build, service, ["--scenario", "spread", "--requests", str(requests),
                                                      "--workers", "64", "--pause-ms", "0", "--timeout-ms", "20000"],
                                     os.path.join(out, "load-capacity.json"))
        c = summary["throughput_rps"]
        light = max(1.0, c / 4)
        n = int(light * 10)
        summary_u, _, _, _ = load_tool(build, service, ["--scenario", "spread", "--rate", f"{light:.1f}",
                                                        "--requests", str(n), "--workers", str(OUTSTANDING_CAP),
                                                        "--timeout-ms", str(CLIENT_DEADLINE_MS)],
                                       os.path.join(out, "load-unloaded.json"))
        return c, summary_u["open_loop"]["answered_latency_ms"]["p99"], summary_u["open_loop"]["answered_latency_ms"]
    finally:
        service.stop()


def surge(build, cql, redis, keyspace, out, mode, factor, c, seconds, extra):
    flags = list(extra) + ([] if mode == "on" else ["--admission-control=off"])
    rate = c * factor
    light = max(1.0, c / 4)
    requests = int(rate * seconds)
    tail = int(light * TAIL_SECONDS)
    tag = f"{factor:g}x-{mode}"
    service = bench.Service(build, cql, redis, keyspace, flags, os.path.join(out, f"inventoryd-{tag}.log"))
    try:
        summary, before, after, samples = load_tool(
            build, service,
            ["--scenario", "spread", "--rate", f"{rate:.1f}", "--requests", str(requests),
             "--tail-rate", f"{light:.1f}", "--tail-requests", str(tail), "--workers", str(OUTSTANDING_CAP),
             "--timeout-ms", str(CLIENT_DEADLINE_MS)],
            os.path.join(out, f"load-{tag}.json"))
    finally:
        service.stop()
    timeline = summary["open_loop"]["timeline"]
    # Seconds [0, seconds) are the surge (answers land up to a deadline later);
    # the tail starts at `seconds`.
    surge_bins = timeline[:seconds]
    answered = sum(b["answered"] for b in surge_bins)
    tail_bins = timeline[seconds + 1: seconds + 1 + TAIL_SECONDS]  # the tail's seconds after the first
    first_tail = timeline[seconds] if len(timeline) > seconds else None
    by_code = summary["outcomes"]["errors_by_code"]
    other = sum(n for code, n in by_code.items() if code not in ("RESOURCE_EXHAUSTED", "DEADLINE_EXCEEDED"))
    surge_samples = [s for s in samples if s[1] > 0]
    rss_start = surge_samples[0][1] if surge_samples else 0
    rss_end = surge_samples[-1][1] if surge_samples else 0
    return {
        "mode": mode, "factor": factor, "offered_rps": rate, "seconds": seconds, "requests": requests,
        "goodput_rps": answered / seconds, "goodput_share": answered / seconds / c if c else 0,
        "answered_latency_ms": summary["open_loop"]["answered_latency_ms"],
        "resource_exhausted": by_code.get("RESOURCE_EXHAUSTED", 0),
        "deadline_exceeded": by_code.get("DEADLINE_EXCEEDED", 0),
        "other_errors": other, "errors_by_code": by_code,
        "rss_start_bytes": rss_start, "rss_end_bytes": rss_end, "rss_peak_bytes": max((s[1] for s in samples), default=0),
        "tail_first_second": first_tail, "tail_after": tail_bins,
        "shed_by_reason": {
            reason: bench.delta(before, after, "inventory_admission_shed_total", reason=reason)
            for reason in ("io_backlog", "queue_time", "queue_full")},
        "timeline": timeline,
    }


def markdown(result):
    c, u = result["capacity_rps"], result["unloaded_p99_ms"]
    lines = [f"# Overload: spread holds past capacity", "",
             f"Command: `{result['command']}`", "",
             f"Capacity C = {c:.0f} holds/s (closed loop, 64 in flight); unloaded p99 U = {u:.1f} ms "
             f"(open loop at C/4). Surges of {result['seconds']} s, client deadline {CLIENT_DEADLINE_MS} ms, "
             f"then {TAIL_SECONDS} s at C/4.", "",
             "| load | admission | offered/s | goodput/s | of C | answered p99 ms | ×U | shed | deadline | "
             "other errors | RSS start→end MiB | tail 1st s p99 ms | tail errors |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in result["surges"]:
        p99 = r["answered_latency_ms"]["p99"]
        first = r["tail_first_second"] or {}
        tail_errors = sum(b["shed"] + b["deadline"] + b["errors"] for b in r["tail_after"])
        lines.append(
            f"| {r['factor']:g}× | {r['mode']} | {r['offered_rps']:.0f} | {r['goodput_rps']:.0f} | "
            f"{100 * r['goodput_share']:.0f} % | {p99:.1f} | {p99 / u if u else 0:.1f} | {r['resource_exhausted']} | "
            f"{r['deadline_exceeded']} | {r['other_errors']} | {r['rss_start_bytes'] / 2**20:.0f}→"
            f"{r['rss_end_bytes'] / 2**20:.0f} | {first.get('p99_ms', 0):.1f} | {tail_errors} |")
    lines += ["", "Expectations (admission on): goodput ≥ 80 % of C, answered p99 ≤ 2 U, no errors but "
              "RESOURCE_EXHAUSTED and DEADLINE_EXCEEDED, memory flat, normal within 1 s after the surge.", ""]
    for r in result["surges"]:
        if r["mode"] != "on":
            continue
        p99 = r["answered_latency_ms"]["p99"]
        tail_errors = sum(b["shed"] + b["deadline"] + b["errors"] for b in r["tail_after"])
        checks = [("goodput ≥ 80 % of C", r["goodput_share"] >= 0.8),
                  ("answered p99 ≤ 2 U", p99 <= 2 * u),
                  ("no other errors", r["other_errors"] == 0),
                  ("memory flat (end ≤ start + 64 MiB)", r["rss_end_bytes"] <= r["rss_start_bytes"] + 64 * 2**20),
                  ("normal within 1 s after the surge", tail_errors == 0)]
        lines.append(f"- {r['factor']:g}×: " + "; ".join(f"{name}: {'yes' if ok else '**no**'}"
                                                        for name, ok in checks))
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cql", required=True)
    parser.add_argument("--redis", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--build", default=os.path.join(bench.ROOT, "build", "release"))
    parser.add_argument("--loads", default="2,5", help="surges as multiples of the capacity")
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--quick", action="store_true", help="5 s surges, a smaller capacity run")
    parser.add_argument("--keyspace", default="inventory_overload")
    parser.add_argument("--flags", default="", help="more inventoryd flags for the surges (space-separated)")
    parser.add_argument("--command", default=" ".join(sys.argv))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    seconds = 5 if args.quick else args.seconds
    started = time.time()
    bench.log("overload: measuring capacity (closed loop) and unloaded latency (open loop at C/4)")
    c, u, unloaded = capacity(args.build, args.cql, args.redis, args.keyspace, args.out, 2000 if args.quick else 8000)
    bench.log(f"overload: capacity {c:.0f} holds/s, unloaded p99 {u:.1f} ms")
    surges = []
    for factor in [float(x) for x in args.loads.split(",") if x]:
        for mode in ("on", "off"):
            bench.log(f"overload: {factor:g}× capacity ({c * factor:.0f}/s) for {seconds} s, admission {mode}")
            surges.append(surge(args.build, args.cql, args.redis, args.keyspace, args.out, mode, factor, c, seconds,
                                args.flags.split()))
    result = {"command": args.command, "flags": args.flags, "seconds": seconds, "capacity_rps": c, "unloaded_p99_ms": u,
              "unloaded_latency_ms": unloaded, "surges": surges, "took_seconds": time.time() - started}
    with open(os.path.join(args.out, "overload.json"), "w") as f:
        json.dump(result, f, indent=2)
    md = markdown(result)
    with open(os.path.join(args.out, "overload.md"), "w") as f:
        f.write(md)
    print(md)
    bench.log(f"overload: done in {time.time() - started:.0f} s: {args.out}/overload.json, overload.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
