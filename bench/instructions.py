#!/usr/bin/env python3
"""Instructions per request in inventoryd, counted by valgrind's callgrind.

Timings on a shared 2-core machine are noisy; instruction counts are not.
For each scenario this starts inventoryd under callgrind, lets inventory-load
create its trip, zeroes the counters, sends the load, dumps the counters, and
divides every instruction the process executed (all threads: gRPC, the io
thread, Redis and CQL clients) by the requests sent.

Cassandra and Redis must be running (e.g. scripts/deps.sh up).

Usage: instructions.py [--cql HOST:PORT] [--redis HOST:PORT] [--build DIR]
                       [--only hot-seat,seatmap,spread]
"""

import argparse
import glob
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (free_port, http_get)

# scenario, requests, in flight
RUNS = [("hot-seat", 4000, 50), ("seatmap", 4000, 64), ("spread", 1000, 64)]


def count(build, cql, redis, scenario, requests, workers, work_dir):
    grpc_port, http_port = bench.free_port(), bench.free_port()
    out = os.path.join(work_dir, f"callgrind.{scenario}")
    service = subprocess.Popen(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}.%p",
         os.path.join(build, "src", "inventoryd"), "--grpc-port", str(grpc_port), "--http-port", str(http_port),
         "--listen-address", "127.0.0.1", "--scylla-hosts", cql, "--scylla-keyspace", "inventory_instructions",
         "--redis-addr", redis, "--log-level", "warn"],
        stdout=subprocess.DEVNULL, stderr=open(f"{out}.log", "w"))
    try:
        deadline = time.time() + 300
        while True:
            try:
                if bench.http_get(f"http://127.0.0.1:{http_port}/health", timeout=1)[0] == 200:
                    break
            except Exception:  # not listening yet
                pass
            if service.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"inventoryd under callgrind did not start; see {out}.log")
            time.sleep(0.5)
        load = subprocess.Popen(
            [os.path.join(build, "tools", "load", "inventory-load"), "--target", f"127.0.0.1:{grpc_port}",
             "--scenario", scenario, "--requests", str(requests), "--workers", str(workers), "--pause-ms", "0",
             "--timeout-ms", "60000", "--wait-after-prepare"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for line in load.stderr:
            if "prepared" in line and "Enter" in line:
                subprocess.run(["callgrind_control", "-z", str(service.pid)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
                load.stdin.write("\n")
                load.stdin.flush()
                break
            sys.stderr.write("  " + line)
        for line in load.stderr:
            sys.stderr.write("  " + line)
        if load.wait() != 0:
            raise RuntimeError(f"inventory-load {scenario} exited with {load.returncode}")
        subprocess.run(["callgrind_control", "-d", str(service.pid)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    finally:
        service.terminate()
        service.wait()
    total = 0
    for path in glob.glob(f"{out}.*.1"):
        with open(path) as f:
            for line in f:
                if line.startswith(("summary:", "totals:")):
                    total = max(total, int(line.split()[1]))
    return total


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cql", default="127.0.0.1:9042")
    parser.add_argument("--redis", default="127.0.0.1:6379")
    parser.add_argument("--build", default=os.path.join(bench.ROOT, "build", "release"))
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    only = {s for s in args.only.split(",") if s}
    rows = []
    with tempfile.TemporaryDirectory(prefix="instructions.") as work_dir:
        for scenario, requests, workers in RUNS:
            if only and scenario not in only:
                continue
            print(f"instructions: {scenario}: {requests} requests under callgrind ...", file=sys.stderr, flush=True)
            total = count(args.build, args.cql, args.redis, scenario, requests, workers, work_dir)
            rows.append((scenario, requests, total))
    print("| scenario | requests | instructions | per request |")
    print("|---|---:|---:|---:|")
    for scenario, requests, total in rows:
        print(f"| {scenario} | {requests} | {total:,} | {total // requests:,} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
