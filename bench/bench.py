#!/usr/bin/env python3
"""The benchmark suite: runs each scenario against a fresh inventoryd, reads
its /metrics before and after the load, and writes results.json, summary.md
and latency.png into the output folder.

Cassandra and Redis must be running (scripts/bench.sh starts its own and
calls this). Every figure that is a count (database operations, Redis
commands, cache loads) comes from the service's exact counters, taken after
the scenario's set-up and after its load, so set-up work is not counted.

Usage: bench.py --cql HOST:PORT --redis HOST:PORT --out DIR [--quick]
                [--only hot-seat,spread,seatmap,funnel] [--build DIR]
       bench.py --cluster --cql H1:P,H2:P,H3:P --redis HOST:PORT --out DIR [--quick]

--cluster runs `spread` on a cluster (keyspace RF 3, QUORUM, SERIAL) twice,
with token-aware routing (LWTs to the first replica of their partition) and
with round robin over the nodes, side by side.
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# name, mode, inventoryd flags, requests (full, quick), in flight, pause ms.
# A mechanism-off run measures the bare path: admission control is off too
# (it would turn away what queues past its budget; bench/overload.py is
# where it is measured). Every run is a closed loop (a fixed number of
# callers, each waiting for its answer): there is no overload beyond them, so
# calls may queue for up to 2 s, as a patient caller would let them, instead
# of the default 100 ms, which two shared cores exceed now and then at full
# load (0.2 % of spread's holds and most of big-trip's 256 readers turned
# away with the default here).
PATIENT = ["--admission-queue-ms=2000"]
RUNS = [
    ("hot-seat", "on", PATIENT, (200_000, 3_000), 500),
    ("hot-seat", "off", ["--prelock=off", "--edge-short-circuit=off", "--admission-control=off"], (20_000, 1_000), 500),
    ("spread", "on", PATIENT, (20_000, 400), 64),
    ("seatmap", "on", PATIENT, (100_000, 3_000), 256),
    ("seatmap", "off", ["--seatmap-cache=off", "--admission-control=off"], (10_000, 500), 256),
    ("funnel", "on", PATIENT, (6_000, 200), 64),
    ("big-trip", "on", PATIENT, (50_000, 2_000), 256),
]
SEATMAP_TTL_MS = 5000

# On a 3-node cluster: the same spread, routed by token or round robin.
CLUSTER_FLAGS = ["--scylla-replication", "SimpleStrategy:3", "--scylla-consistency", "QUORUM",
                 "--scylla-serial-consistency", "SERIAL"]
CLUSTER_RUNS = [
    ("spread", "token-aware", CLUSTER_FLAGS, (20_000, 400), 64),
    ("spread", "round-robin", CLUSTER_FLAGS + ["--scylla-token-aware=off"], (20_000, 400), 64),
]


def log(text):
    print(f"bench: {text}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=5.0):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read().decode()


# --- Prometheus text ---

def parse_metrics(text):
    """{(name, frozenset(labels.items())): value} of every sample."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        head, _, value = line.rpartition(" ")
        labels = {}
        name = head
        if "{" in head:
            name, _, rest = head.partition("{")
            rest = rest.rstrip("}")
            i = 0
            while i < len(rest):
                eq = rest.index("=", i)
                key = rest[i:eq].strip().lstrip(",").strip()
                j = eq + 2  # past ="
                out = []
                while rest[j] != '"':
                    if rest[j] == "\\":
                        j += 1
                        out.append({"n": "\n"}.get(rest[j], rest[j]))
                    else:
                        out.append(rest[j])
                    j += 1
                labels[key] = "".join(out)
                i = j + 1
        samples[(name, frozenset(labels.items()))] = float(value)
    return samples


def total(samples, name, **match):
    """Sum of the samples of `name` whose labels include `match`."""
    want = set(match.items())
    return sum(v for key, v in samples.items()
               if isinstance(key, tuple) and key[0] == name and want <= key[1])


def delta(before, after, name, **match):
    return total(after, name, **match) - total(before, name, **match)


# --- One run ---

class Service:
    """A fresh inventoryd with its own ports, stopped on exit."""

    def __init__(self, build, cql, redis, keyspace, flags, log_path, embedded_path=None):
        self.grpc_port = free_port()
        self.http_port = free_port()
        if embedded_path:  # the embedded store: a fresh file, no Cassandra, no Redis
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(embedded_path + suffix):
                    os.remove(embedded_path + suffix)
            store = ["--store", "embedded", "--embedded-path", embedded_path]
        else:
            store = ["--scylla-hosts", cql, "--scylla-keyspace", keyspace, "--redis-addr", redis]
        args = [os.path.join(build, "src", "inventoryd"),
                "--grpc-port", str(self.grpc_port), "--http-port", str(self.http_port),
                "--listen-address", "127.0.0.1"] + store + [
                "--seatmap-cache-ttl-ms", str(SEATMAP_TTL_MS),
                "--log-level", "warn"] + flags
        self.log = open(log_path, "w")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 90
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"inventoryd exited with {self.proc.returncode}; see {log_path}")
            try:
                status, _ = http_get(self.url("/health"), timeout=1)
                if status == 200:
                    break
            except (urllib.error.URLError, ConnectionError, socket.timeout):
                pass
            if time.time() > deadline:
                raise RuntimeError(f"inventoryd not healthy after 90 s; see {log_path}")
            time.sleep(0.2)

    def url(self, path):
        return f"http://127.0.0.1:{self.http_port}{path}"

    def metrics(self):
        _, text = http_get(self.url("/metrics"))
        return parse_metrics(text)

    def peak_rss_bytes(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
        return 0

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def run_load(build, service, scenario, requests, workers, json_path, cassandra_pid):
    """Runs inventory-load; scrapes the metrics between set-up and load.
    Returns (before, after, summary json, exit code)."""
    args = ["--scenario", scenario, "--requests", str(requests), "--workers", str(workers), "--pause-ms", "0",
            "--timeout-ms", "20000"]
    cpu = {}
    before, after, summary, code = drive_load(
        build, service, args, json_path, on_start=lambda: cpu.setdefault("before", cpu_seconds(cassandra_pid)),
        on_end=lambda: cpu.setdefault("after", cpu_seconds(cassandra_pid)))
    before["cassandra_cpu"] = cpu["before"]
    after["cassandra_cpu"] = cpu["after"]
    return before, after, summary, code


def drive_load(build, service, args, json_path, on_start=None, on_end=None):
    """Runs inventory-load with `args` against `service`, reading its metrics
    once the set-up is done (then calling on_start) and after the load (after
    calling on_end). Returns (before, after, summary json, exit code)."""
    cmd = [os.path.join(build, "tools", "load", "inventory-load"),
           "--target", f"127.0.0.1:{service.grpc_port}", "--json", json_path, "--wait-after-prepare"] + args
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, bufsize=1)
    before = None
    for line in proc.stderr:
        sys.stderr.write("  " + line)
        if "prepared" in line and "Enter" in line:
            before = service.metrics()
            if on_start:
                on_start()
            proc.stdin.write("\n")
            proc.stdin.flush()
            break
    if before is None:
        proc.wait()
        raise RuntimeError(f"inventory-load {' '.join(args)}: set-up failed (exit {proc.returncode})")
    for line in proc.stderr:
        sys.stderr.write("  " + line)
    table = proc.stdout.read()
    proc.wait()
    if on_end:
        on_end()
    after = service.metrics()
    sys.stderr.write(table)
    with open(json_path) as f:
        summary = json.load(f)
    return before, after, summary, proc.returncode


def figures(scenario, mode, summary, before, after, peak_rss, load_exit, store="cql"):
    requests = summary["completed"]
    d = lambda name, **m: delta(before, after, name, **m)
    # The repairer's reads of intents and its shared progress, and the
    # clock's reads of the database's time, run in the background whatever
    # the load: counted apart.
    background = (d("inventory_db_operations_total", kind="read", table="intents") +
                  d("inventory_db_operations_total", table="repair_progress") +
                  d("inventory_db_operations_total", kind="read", table="system"))
    db = d("inventory_db_operations_total") - background
    if store == "embedded":
        # One SQLite transaction per store call (the health probe's and the
        # repairer's included: a few a second).
        db = d("inventory_embedded_commits_total")
    redis = d("inventory_redis_commands_total")
    cpu = d("process_cpu_seconds_total")
    hits = d("inventory_seatmap_cache_hits_total")
    misses = d("inventory_seatmap_cache_misses_total")
    per = lambda x: x / requests if requests else 0.0
    cassandra_cpu = after["cassandra_cpu"] - before["cassandra_cpu"]
    return {
        "scenario": scenario,
        "mode": mode,
        "store": store,
        "requests": requests,
        "in_flight": summary["workers"],
        "elapsed_seconds": summary["elapsed_seconds"],
        "throughput_rps": summary["throughput_rps"],
        "latency_ms": summary["latency_ms"],
        "outcomes": summary["outcomes"],
        "load_tool_pass": load_exit == 0,
        "load_tool_failures": summary.get("failures", []),
        "db_operations": {
            "total": db,
            "background": background,
            "per_request": per(db),
            "lwt": d("inventory_db_operations_total", kind="lwt"),
            "lwt_seat_segments": d("inventory_db_operations_total", kind="lwt", table="seat_segments"),
            "lwt_user_ledger": d("inventory_db_operations_total", kind="lwt", table="user_ledger"),
            "read": d("inventory_db_operations_total", kind="read"),
            "serial_read": d("inventory_db_operations_total", kind="serial_read"),
            "write": d("inventory_db_operations_total", kind="write"),
        },
        "redis_commands": {"total": redis, "per_request": per(redis)},
        "edge": {
            "rejected_inflight": d("inventory_edge_rejections_total", layer="inflight"),
            "rejected_seatmap": d("inventory_edge_rejections_total", layer="seatmap"),
            "rejected_redis_marker": d("inventory_edge_rejections_total", layer="redis_marker"),
            "prelock_acquired": d("inventory_prelock_total", outcome="acquired"),
            "prelock_contended": d("inventory_prelock_total", outcome="contended"),
            "prelock_skipped": d("inventory_prelock_total", outcome="skipped"),
        },
        "seatmap_cache": {
            "hits": hits, "misses": misses,
            "loads": d("inventory_seatmap_cache_loads_total"),
            "answers_built": d("inventory_seatmap_answers_total", source="built"),
            "answers_reused": d("inventory_seatmap_answers_total", source="reused"),
            "hit_ratio": hits / (hits + misses) if hits + misses else 0.0,
        },
        "server": {
            "requests": d("inventory_requests_total"),
            "errors": d("inventory_requests_total", outcome="error"),
            "cpu_seconds": cpu,
            "cpu_seconds_per_1000_requests": 1000 * per(cpu),
            "resident_memory_bytes": total(after, "process_resident_memory_bytes"),
            "peak_resident_memory_bytes": peak_rss,
        },
        "cassandra_cpu_seconds_per_1000_requests": 1000 * per(cassandra_cpu),
        # Where the database requests went (per-node counters, summed).
        "routing": {
            "replica": d("inventory_db_node_requests_total", route="replica"),
            "non_replica": d("inventory_db_node_requests_total", route="non_replica"),
            "unrouted": d("inventory_db_node_requests_total", route="unrouted"),
            "lwt_primary": d("inventory_db_node_lwt_total", coordinator="primary"),
            "lwt_replica": d("inventory_db_node_lwt_total", coordinator="replica"),
            "lwt_non_replica": d("inventory_db_node_lwt_total", coordinator="non_replica"),
            "db_errors": d("inventory_db_node_errors_total"),
        },
    }


def cpu_seconds(pid):
    """User + system CPU seconds of a process so far (0 when unknown)."""
    if not pid:
        return 0.0
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def run_lwt_bench(build, cql, keyspace, requests, in_flight, out_dir, label, cassandra_pid):
    host, _, port = cql.rpartition(":")
    json_path = os.path.join(out_dir, f"lwt-bench-{label}.json")
    args = [os.path.join(build, "tools", "lwt-bench", "inventory-lwt-bench"),
            "--hosts", host, "--port", port, "--keyspace", f"{keyspace}_lwt_{os.getpid()}",
            "--requests", str(requests), "--in-flight", str(in_flight), "--segments", "3", "--json", json_path]
    log(f"raw LWT rate ({label} spread): {requests} conditional batches, {in_flight} in flight")
    cpu_before = cpu_seconds(cassandra_pid)
    subprocess.run(args, check=True)
    with open(json_path) as f:
        result = json.load(f)
    # Includes loading the rows; a rough upper bound per LWT.
    result["cassandra_cpu_seconds"] = cpu_seconds(cassandra_pid) - cpu_before
    return result


# --- Targets ---

def find(runs, scenario, mode):
    for r in runs:
        if r["scenario"] == scenario and r["mode"] == mode:
            return r
    return None


def targets(runs, lwt):
    """[(scenario, target, measured, met)]"""
    out = []
    hot, hot_off = find(runs, "hot-seat", "on"), find(runs, "hot-seat", "off")
    if hot:
        out.append(("hot-seat", "exactly 1 success", f"{hot['outcomes']['success']}",
                    hot["outcomes"]["success"] == 1))
        out.append(("hot-seat", "≤ 5 database operations for the storm", f"{hot['db_operations']['total']:.0f}",
                    hot["db_operations"]["total"] <= 5))
        out.append(("hot-seat", "≤ 1 Redis command per request", f"{hot['redis_commands']['per_request']:.4f}",
                    hot["redis_commands"]["per_request"] <= 1))
        if hot_off:
            ratio = hot["throughput_rps"] / hot_off["throughput_rps"] if hot_off["throughput_rps"] else 0
            out.append(("hot-seat", "throughput ≥ 5× mechanism off", f"{ratio:.1f}×", ratio >= 5))
    spread = find(runs, "spread", "on")
    if spread:
        if lwt:
            # Against the better of the two raw measurements (before and after).
            raw = max(x["lwt_per_second"] for x in lwt)
            ratio = spread["throughput_rps"] / raw if raw else 0
            out.append(("spread", "throughput ≥ 0.8× raw LWT rate",
                        f"{ratio:.2f}× ({spread['throughput_rps']:.0f} vs {raw:.0f}/s)", ratio >= 0.8))
        held = spread["outcomes"]["success"]
        seat_lwt = spread["db_operations"]["lwt_seat_segments"]
        out.append(("spread", "exactly one seat LWT per held seat", f"{seat_lwt:.0f} for {held} held",
                    seat_lwt == held))
    seatmap, seatmap_off = find(runs, "seatmap", "on"), find(runs, "seatmap", "off")
    if seatmap:
        c = seatmap["seatmap_cache"]
        out.append(("seatmap", "cache hit ratio ≥ 99%", f"{100 * c['hit_ratio']:.3f}%", c["hit_ratio"] >= 0.99))
        allowed = seatmap["elapsed_seconds"] / (SEATMAP_TTL_MS / 1000) + 1
        out.append(("seatmap", "loads ≤ run time ÷ TTL + 1", f"{c['loads']:.0f} (allowed {allowed:.1f})",
                    c["loads"] <= allowed))
        if seatmap_off:
            ratio = seatmap["throughput_rps"] / seatmap_off["throughput_rps"] if seatmap_off["throughput_rps"] else 0
            out.append(("seatmap", "throughput ≥ 10× cache off", f"{ratio:.1f}×", ratio >= 10))
    aware, robin = find(runs, "spread", "token-aware"), find(runs, "spread", "round-robin")
    if aware:
        rt = aware["routing"]
        lwts = rt["lwt_primary"] + rt["lwt_replica"] + rt["lwt_non_replica"]
        share = rt["lwt_primary"] / lwts if lwts else 0
        out.append(("spread (cluster)", "LWTs at the first replica ≥ 99% (token-aware)", f"{100 * share:.2f}%",
                    share >= 0.99))
        if robin and robin["throughput_rps"]:
            ratio = aware["throughput_rps"] / robin["throughput_rps"]
            out.append(("spread (cluster)", "throughput token-aware ≥ round robin", f"{ratio:.2f}×", ratio >= 1))
    funnel = find(runs, "funnel", "on")
    if funnel:
        out.append(("funnel", "zero errors", f"{funnel['outcomes']['errors']}", funnel["outcomes"]["errors"] == 0))
    big = find(runs, "big-trip", "on")
    if big:
        # Every 100th request is a hold: a change of the trip.
        c = big["seatmap_cache"]
        changes = max(1, big["requests"] // 100)
        built = c["answers_built"]
        out.append(("big-trip", "≤ 1 serialization of the seat map per change or reload",
                    f"{built:.0f} for {changes} changes and {c['loads']:.0f} loads", built <= changes + c["loads"]))
        allowed = big["elapsed_seconds"] / (SEATMAP_TTL_MS / 1000) + 1
        out.append(("big-trip", "loads ≤ run time ÷ TTL + 1, none waited for", f"{c['loads']:.0f} (allowed "
                    f"{allowed:.1f}), {c['misses']:.0f} waited", c["loads"] <= allowed and c["misses"] == 0))
    return out


# --- Reports ---

def markdown(runs, lwt, goals, command):
    lines = ["# Benchmark results", "",
             f"Command: `{command}`", "",
             "| scenario | mode | requests | in flight | req/s | p50 ms | p99 ms | p99.9 ms | "
             "DB ops/req | Redis cmds/req | CPU s/1k req | RSS MiB | Cassandra CPU s/1k req | errors |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in runs:
        l = r["latency_ms"]
        lines.append(
            f"| {r['scenario']} | {r['mode']} | {r['requests']} | {r['in_flight']} | {r['throughput_rps']:.0f} | "
            f"{l['p50']:.2f} | {l['p99']:.2f} | {l['p99_9']:.2f} | {r['db_operations']['per_request']:.4f} | "
            f"{r['redis_commands']['per_request']:.4f} | {r['server']['cpu_seconds_per_1000_requests']:.3f} | "
            f"{r['server']['resident_memory_bytes'] / 2**20:.0f} | {r['cassandra_cpu_seconds_per_1000_requests']:.2f} | "
            f"{r['outcomes']['errors']} |")
    for label, x in zip(("before", "after"), lwt or []):
        lines += ["", f"Raw LWT rate {label} the spread run (same Cassandra, project CQL client, the service's "
                      f"seat-hold statement, {x.get('in_flight', '?')} in flight, {x['requests']} seats): "
                      f"**{x['lwt_per_second']:.0f} LWT/s**, p50 {x['latency_ms']['p50']:.2f} ms, "
                      f"p99 {x['latency_ms']['p99']:.2f} ms."]
    pairs = [(r, find(runs, r["scenario"], r["mode"] + ", embedded")) for r in runs if r.get("store") == "cql"]
    pairs = [(c, e) for c, e in pairs if e]
    if pairs:
        lines += ["", "The same scenarios on the embedded store (SQLite, no Cassandra, no Redis; its DB ops are "
                      "committed transactions, the health probe's and the repairer's included):", "",
                  "| scenario | mode | req/s cql | req/s embedded | ratio | p99 ms cql | p99 ms embedded | "
                  "CPU s/1k req cql (+ Cassandra) | CPU s/1k req embedded |",
                  "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
        for c, e in pairs:
            ratio = e["throughput_rps"] / c["throughput_rps"] if c["throughput_rps"] else 0
            lines.append(
                f"| {c['scenario']} | {c['mode']} | {c['throughput_rps']:.0f} | {e['throughput_rps']:.0f} | "
                f"{ratio:.1f}× | {c['latency_ms']['p99']:.2f} | {e['latency_ms']['p99']:.2f} | "
                f"{c['server']['cpu_seconds_per_1000_requests']:.3f} "
                f"(+ {c['cassandra_cpu_seconds_per_1000_requests']:.2f}) | "
                f"{e['server']['cpu_seconds_per_1000_requests']:.3f} |")
    lines += ["", "| scenario | target | measured | met |", "|---|---|---|---|"]
    for scenario, goal, measured, met in goals:
        lines.append(f"| {scenario} | {goal} | {measured} | {'yes' if met else '**no**'} |")
    lines += ["", "Per-run counts (from /metrics, load phase only):", ""]
    for r in runs:
        db, e, c = r["db_operations"], r["edge"], r["seatmap_cache"]
        lines.append(
            f"- {r['scenario']} ({r['mode']}): outcomes {r['outcomes']['success']} success / "
            f"{r['outcomes']['contention']} contention / {r['outcomes']['not_available']} not available / "
            f"{r['outcomes']['errors']} errors; DB {db['total']:.0f} (lwt {db['lwt']:.0f}: seat "
            f"{db['lwt_seat_segments']:.0f}, ledger {db['lwt_user_ledger']:.0f}; read {db['read']:.0f}, "
            f"serial {db['serial_read']:.0f}, write {db['write']:.0f}); Redis {r['redis_commands']['total']:.0f}; "
            f"refused in process {e['rejected_inflight']:.0f}, by seat map {e['rejected_seatmap']:.0f}, "
            f"by Redis marker {e['rejected_redis_marker']:.0f}; cache hits {c['hits']:.0f}, "
            f"misses {c['misses']:.0f}, loads {c['loads']:.0f}; seat-map answers built {c['answers_built']:.0f}, "
            f"reused {c['answers_reused']:.0f}")
        rt = r.get("routing", {})
        if rt:
            lwt_total = rt["lwt_primary"] + rt["lwt_replica"] + rt["lwt_non_replica"]
            lines.append(
                f"  routing: {rt['replica']:.0f} to a replica, {rt['non_replica']:.0f} to another node, "
                f"{rt['unrouted']:.0f} without a token; LWTs and SERIAL reads to the first replica "
                f"{rt['lwt_primary']:.0f} of {lwt_total:.0f}; database errors {rt['db_errors']:.0f}")
    return "\n".join(lines) + "\n"


def chart(runs, out_dir):
    data = os.path.join(out_dir, "latency.dat")
    with open(data, "w") as f:
        f.write("# run p50 p99 p99_9\n")
        for r in runs:
            l = r["latency_ms"]
            f.write(f"\"{r['scenario']} ({r['mode']})\" {max(l['p50'], 0.001)} {max(l['p99'], 0.001)} "
                    f"{max(l['p99_9'], 0.001)}\n")
    png = os.path.join(out_dir, "latency.png")
    script = f"""
set terminal pngcairo size 1100,560 font ",10"
set output "{png}"
set title "inventoryd latency percentiles by scenario (client-side, ms, log scale)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y
set ylabel "milliseconds"
set grid ytics
set key top left
set xtics rotate by -20
plot "{data}" using 2:xtic(1) title "p50", "" using 3 title "p99", "" using 4 title "p99.9"
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=True)
    return png


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cql", required=True, help="Cassandra host:port")
    parser.add_argument("--redis", required=True, help="Redis host:port")
    parser.add_argument("--out", required=True, help="folder for results.json, summary.md, latency.png")
    parser.add_argument("--build", default=os.path.join(ROOT, "build", "release"))
    parser.add_argument("--quick", action="store_true", help="a few seconds per scenario (smoke run)")
    parser.add_argument("--only", default="", help="comma-separated scenarios to run")
    parser.add_argument("--keyspace", default="inventory_bench")
    parser.add_argument("--cassandra-pid", type=int, default=0,
                        help="pid of the Cassandra node, to report its CPU per request")
    parser.add_argument("--command", default=" ".join(sys.argv), help="command shown in the summary")
    parser.add_argument("--cluster", action="store_true",
                        help="--cql lists a cluster's nodes: spread with token-aware routing on and off")
    parser.add_argument("--store", default="cql",
                        help="comma-separated stores to run every scenario on: cql, embedded")
    args = parser.parse_args()
    only = {s for s in args.only.split(",") if s}
    os.makedirs(args.out, exist_ok=True)

    runs, lwt = [], None
    stores = [s for s in args.store.split(",") if s]
    if any(s not in ("cql", "embedded") for s in stores) or (args.cluster and stores != ["cql"]):
        parser.error("--store: cql and/or embedded (a cluster is cql)")
    plan = [(store,) + r for store in stores for r in (CLUSTER_RUNS if args.cluster else RUNS)
            if not only or r[0] in only]
    keyspace = args.keyspace + ("_rf3" if args.cluster else "")
    started = time.time()
    for i, (store, scenario, mode, flags, counts, workers) in enumerate(plan, 1):
        requests = counts[1] if args.quick else counts[0]
        name = f"{scenario}-{mode}" + ("-embedded" if store == "embedded" else "")
        log(f"[{i}/{len(plan)}] {scenario} ({mode}, {store}{': ' + ' '.join(flags) if flags else ''}): "
            f"{requests} requests, {workers} in flight")
        embedded_path = os.path.join(args.out, f"embedded-{name}.db") if store == "embedded" else None
        service = Service(args.build, args.cql, args.redis, keyspace, flags,
                          os.path.join(args.out, f"inventoryd-{name}.log"), embedded_path)
        raw = scenario == "spread" and not args.cluster and store == "cql"
        try:
            json_path = os.path.join(args.out, f"load-{name}.json")
            if raw:
                lwt = [run_lwt_bench(args.build, args.cql, args.keyspace, requests, workers, args.out, "before",
                                     args.cassandra_pid)]
            before, after, summary, code = run_load(args.build, service, scenario, requests, workers, json_path,
                                                    args.cassandra_pid if store == "cql" else 0)
            runs.append(figures(scenario, mode if store == "cql" else f"{mode}, embedded", summary, before, after,
                                service.peak_rss_bytes(), code, store))
        finally:
            service.stop()
        if raw:
            lwt.append(run_lwt_bench(args.build, args.cql, args.keyspace, requests, workers, args.out, "after",
                                     args.cassandra_pid))

    goals = targets(runs, lwt)
    result = {"command": args.command, "quick": args.quick, "seconds": time.time() - started,
              "seatmap_cache_ttl_ms": SEATMAP_TTL_MS, "runs": runs, "raw_lwt": lwt,
              "targets": [{"scenario": s, "target": t, "measured": m, "met": ok} for s, t, m, ok in goals]}
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(result, f, indent=2)
    md = markdown(runs, lwt, goals, args.command)
    with open(os.path.join(args.out, "summary.md"), "w") as f:
        f.write(md)
    chart(runs, args.out)
    print(md)
    log(f"done in {time.time() - started:.0f} s: {args.out}/results.json, summary.md, latency.png")
    errors = sum(r["outcomes"]["errors"] for r in runs)
    # A benchmark reports figures; it fails only when it could not measure
    # (a run's load tool failed its own expectation, or errors were answered).
    failed = [f"{r['scenario']} ({r['mode']})" for r in runs if not r["load_tool_pass"]]
    if failed or errors:
        log(f"runs that did not meet their scenario's expectation: {', '.join(failed) or 'none'}; errors {errors}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
