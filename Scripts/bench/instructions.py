#!/usr/bin/env python3
"""Instructions per request: the node's cost as a count that does not wobble.

Runs `mockmcu serve` under valgrind's callgrind with instrumentation off,
sets it up, switches instrumentation on, warms up, zeroes the counters, does
N requests of one kind from one keep-alive connection, and dumps the count:
the instructions the node executed for them, divided by N. The same binary
and input give the same figure whatever else runs on the machine.

    python3 Scripts/bench/instructions.py --mockmcu .build/release/mockmcu [--compare OTHER] [-n 300]

Prints a table; --json FILE writes the figures; --budget FILE fails (exit 1)
when a figure grows more than 10% over its budget there.
"""
import argparse
import glob
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import ROOT, free_port  # noqa: E402  (the benchmark's own helpers)


class Client:
    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def call(self, method, path, body=None, token=None, expect=200):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["token"] = token
        self.conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        r = self.conn.getresponse()
        data = r.read()
        if r.status != expect:
            sys.exit(f"{method} {path} answered {r.status}, not {expect}: {data[:200]!r}")
        return json.loads(data or b"null")


API = "/api/client/v2/conferences"


def join(c, alias="meet"):
    return c.call("POST", f"{API}/{alias}/request_token", {"display_name": "bench"})["result"]["token"]


WORKLOADS = {
    # name: (setup(c) -> state, one(c, state) -> requests made)
    "request_token + release_token": (lambda c: None,
                                      lambda c, s: (c.call("POST", f"{API}/meet/release_token", token=join(c)), 2)[1]),
    "refresh_token": (lambda c: {"token": join(c)},
                      lambda c, s: (s.update(token=c.call("POST", f"{API}/meet/refresh_token", token=s["token"])["result"]["token"]), 1)[1]),
    "conference_status": (lambda c: {"token": join(c)},
                          lambda c, s: (c.call("GET", f"{API}/meet/conference_status", token=s["token"]), 1)[1]),
}


def callgrind_control(pid, *args):
    subprocess.run(["callgrind_control", *args, str(pid)], check=True, capture_output=True)


def stripped(binary, tmp):
    """A copy without debug info: valgrind 3.19 gives up on the DWARF 5 that Swift 6 writes."""
    copy = os.path.join(tmp, f"mockmcu-{abs(hash(os.path.realpath(binary)))}")
    if not os.path.exists(copy):
        subprocess.run(["strip", "--strip-debug", "-o", copy, binary], check=True)
    return copy


def measure(binary, n, workload, tmp, keep=None):
    binary = stripped(binary, tmp)
    port = free_port()
    out = os.path.join(tmp, f"cg-{port}.out")
    node = subprocess.Popen(["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
                             binary, "serve", "--port", str(port), "--log-level", "error", "--journal-limit", "1000"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        end = time.time() + 120
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.5).close()
                break
            except OSError:
                if time.time() > end or node.poll() is not None:
                    sys.exit(f"{binary} did not start under valgrind")
                time.sleep(0.2)
        c = Client(port)
        c.call("PUT", "/_mock/conferences/meet", {"keepalive_interval": 0, "expires": 3600})
        setup, one = WORKLOADS[workload]
        state = setup(c)
        callgrind_control(node.pid, "-i", "on")
        for _ in range(max(20, n // 10)):
            one(c, state)
        callgrind_control(node.pid, "-z")
        requests = sum(one(c, state) for _ in range(n))
        callgrind_control(node.pid, "-d")
        dumps = sorted(glob.glob(out + "*"), key=os.path.getmtime)
        if keep:
            os.makedirs(keep, exist_ok=True)
            name = re.sub(r"[^a-z0-9]+", "-", workload.lower()).strip("-")
            shutil.copy(dumps[-1], os.path.join(keep, f"{os.path.basename(binary)}-{name}.callgrind"))
        total = 0
        with open(dumps[-1]) as f:
            for line in f:
                m = re.match(r"(?:summary|totals):\s+(\d+)", line)
                if m:
                    total = int(m.group(1))
        return total / requests
    finally:
        node.terminate()
        try:
            node.wait(30)
        except subprocess.TimeoutExpired:
            node.kill()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mockmcu", default=os.path.join(ROOT, ".build", "release", "mockmcu"))
    ap.add_argument("--label", default="this build")
    ap.add_argument("--compare", metavar="BINARY")
    ap.add_argument("--compare-label", default="compared build")
    ap.add_argument("-n", type=int, default=300, help="requests of each kind measured")
    ap.add_argument("--json")
    ap.add_argument("--keep", metavar="DIR", help="keep each callgrind dump there (for callgrind_annotate)")
    ap.add_argument("--budget", help="a JSON file of instructions per request by workload; fail past +10%%")
    args = ap.parse_args()
    builds = ([(args.compare_label, args.compare)] if args.compare else []) + [(args.label, args.mockmcu)]
    figures = {}
    with tempfile.TemporaryDirectory(prefix="mockmcu-instr-") as tmp:
        for label, binary in builds:
            figures[label] = {}
            for workload in WORKLOADS:
                figures[label][workload] = measure(binary, args.n, workload, tmp, args.keep)
                print(f"{label}: {workload}: {figures[label][workload]:,.0f} instructions per request", flush=True)
    print("\n| workload | " + " | ".join(label for label, _ in builds) + " |")
    print("|---|" + "---|" * len(builds))
    for workload in WORKLOADS:
        print(f"| {workload} | " + " | ".join(f"{figures[label][workload]:,.0f}" for label, _ in builds) + " |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=2)
    if args.budget:
        with open(args.budget) as f:
            budget = json.load(f)
        mine = figures[args.label]
        over = [f"{w}: {mine[w]:,.0f} > {budget[w]:,.0f} + 10%" for w in budget if w in mine and mine[w] > budget[w] * 1.1]
        if over:
            print("over budget:\n  " + "\n  ".join(over))
            sys.exit(1)


if __name__ == "__main__":
    main()
