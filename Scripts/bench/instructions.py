#!/usr/bin/env python3
"""Instructions per request: the node's cost as a count that does not wobble.

Runs `mockmcu serve` under valgrind's callgrind with instrumentation off,
sets it up, switches instrumentation on, warms up, zeroes the counters, does
N requests of one kind from one keep-alive connection, and dumps the count:
the instructions the node executed for them (every thread), divided by N.
The same binary and input give the same figure whatever else runs on the
machine (Swift's hashing is made deterministic for it). The baseline is
nginx (one process) serving a token-sized JSON file the same way.

    python3 Scripts/bench/instructions.py [--mockmcu .build/release/mockmcu] [--compare OTHER] [-n 300]

Prints a table; --json FILE writes the figures; --budget FILE fails (exit 1)
when a figure grows more than 10% over its budget there (--write-budget FILE
writes this build's figures as the new budget).
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
from bench import ROOT, free_port, start_nginx  # noqa: E402  (the benchmark's own helpers)


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


FANOUT_STREAMS = 100


class Streams:
    """Event streams held open by as many participants, each read (de-chunked) until an event arrives."""

    def __init__(self, c, port, n):
        self.socks, self.raw, self.text = [], [], []
        for i in range(n):
            token = join(c)
            sock = socket.create_connection(("127.0.0.1", port), 60)
            sock.sendall(f"GET {API}/meet/events?token={token} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            self.socks.append(sock)
            self.raw.append(b"")
            self.text.append(None)  # None until the head is read
        for i in range(n):
            self.read_until(i, b"event: participant_sync_end")

    def decode(self, i):
        """Moves complete chunks from the raw bytes to the text (chunk sizes can cut an event anywhere)."""
        raw = self.raw[i]
        if self.text[i] is None:
            head, sep, rest = raw.partition(b"\r\n\r\n")
            if not sep:
                return
            if not head.startswith(b"HTTP/1.1 200"):
                sys.exit(f"stream {i} answered {head[:60]!r}")
            self.text[i], raw = b"", rest
        while True:
            size_line, sep, rest = raw.partition(b"\r\n")
            if not sep:
                break
            size = int(size_line, 16)
            if len(rest) < size + 2:
                break
            self.text[i] += rest[:size]
            raw = rest[size + 2:]
        self.raw[i] = raw

    def read_until(self, i, marker):
        while self.text[i] is None or marker not in self.text[i]:
            chunk = self.socks[i].recv(65536)
            if not chunk:
                sys.exit(f"stream {i} ended before {marker!r}")
            self.raw[i] += chunk
            self.decode(i)
        self.text[i] = self.text[i].split(marker, 1)[1]

    def every_one_gets(self, c, event):
        c.call("POST", "/_mock/events", {"event": event, "data": {"n": 1}, "alias": "meet"})
        for i in range(len(self.socks)):
            self.read_until(i, f"event: {event}".encode())
        return 1


WORKLOADS = {
    # name: (setup(c, port) -> state, one(c, state) -> requests made)
    "request_token + release_token": (lambda c, port: None,
                                      lambda c, s: (c.call("POST", f"{API}/meet/release_token", token=join(c)), 2)[1]),
    "refresh_token": (lambda c, port: {"token": join(c)},
                      lambda c, s: (s.update(token=c.call("POST", f"{API}/meet/refresh_token", token=s["token"])["result"]["token"]), 1)[1]),
    "conference_status": (lambda c, port: {"token": join(c)},
                          lambda c, s: (c.call("GET", f"{API}/meet/conference_status", token=s["token"]), 1)[1]),
    # Per event: the control request and the writes to every stream (all of them received).
    f"one event to {FANOUT_STREAMS} streams": (lambda c, port: Streams(c, port, FANOUT_STREAMS),
                                               lambda c, s: s.every_one_gets(c, "bench")),
}
BASELINE = "nginx: static token-sized JSON (baseline)"
# Deterministic hashing: Swift seeds its hasher per process, which moves dictionary probes.
# No `rep stosb`/`rep movsb` in glibc's memset and memcpy: valgrind counts each repetition
# as an instruction (a 6 KB memset would count 6,000), and the CPU decides when they are used.
ENV = {**os.environ, "SWIFT_DETERMINISTIC_HASHING": "1",
       "GLIBC_TUNABLES": "glibc.cpu.x86_rep_stosb_threshold=1000000000:glibc.cpu.x86_rep_movsb_threshold=1000000000"}


def callgrind_control(pid, *args):
    subprocess.run(["callgrind_control", *args, str(pid)], check=True, capture_output=True)


def stripped(binary, tmp):
    """A copy without debug info: valgrind 3.19 gives up on the DWARF 5 that Swift 6 writes."""
    copy = os.path.join(tmp, f"mockmcu-{abs(hash(os.path.realpath(binary)))}")
    if not os.path.exists(copy):
        subprocess.run(["strip", "--strip-debug", "-o", copy, binary], check=True)
    return copy


def valgrind(out):
    return ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}"]


def wait_listening(proc, port, what):
    end = time.time() + 120
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            if time.time() > end or proc.poll() is not None:
                sys.exit(f"{what} did not start under valgrind")
            time.sleep(0.2)


def count(proc, out, n, one, keep, name):
    """Warms up, zeroes, runs `one` until n requests, dumps; instructions per request."""
    callgrind_control(proc.pid, "-i", "on")
    for _ in range(max(20, n // 10)):
        one()
    callgrind_control(proc.pid, "-z")
    requests = 0
    while requests < n:
        requests += one()
    callgrind_control(proc.pid, "-d")
    dumps = sorted(glob.glob(out + "*"), key=os.path.getmtime)
    if keep:
        os.makedirs(keep, exist_ok=True)
        shutil.copy(dumps[-1], os.path.join(keep, f"{name}.callgrind"))
    total = 0
    with open(dumps[-1]) as f:
        for line in f:
            m = re.match(r"(?:summary|totals):\s+(\d+)", line)
            if m:
                total = int(m.group(1))
    return total / requests


def finish(proc):
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def measure(binary, n, workload, tmp, keep=None):
    binary = stripped(binary, tmp)
    port = free_port()
    out = os.path.join(tmp, f"cg-{port}.out")
    node = subprocess.Popen([*valgrind(out), binary, "serve", "--port", str(port), "--log-level", "error",
                             "--journal-limit", "1000"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    try:
        wait_listening(node, port, binary)
        c = Client(port)
        c.call("PUT", "/_mock/conferences/meet", {"keepalive_interval": 0, "expires": 3600})
        setup, one = WORKLOADS[workload]
        state = setup(c, port)
        name = os.path.basename(binary) + "-" + re.sub(r"[^a-z0-9]+", "-", workload.lower()).strip("-")
        return count(node, out, n, lambda: one(c, state), keep, name)
    finally:
        finish(node)


def token_body(binary):
    """The node's request_token answer, the size of body nginx serves."""
    port = free_port()
    node = subprocess.Popen([binary, "serve", "--port", str(port), "--log-level", "error"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_listening(node, port, binary)
        c = Client(port)
        c.call("PUT", "/_mock/conferences/meet", {})
        c.conn.request("POST", f"{API}/meet/request_token", body=b'{"display_name":"bench"}',
                       headers={"Content-Type": "application/json"})
        return c.conn.getresponse().read().decode()
    finally:
        finish(node)


def measure_nginx(body, n, tmp, keep=None):
    if not shutil.which("nginx"):
        sys.exit("nginx is not installed (./Scripts/setup.sh nginx-light installs it)")
    port = free_port()
    where = tempfile.mkdtemp(prefix="nginx-", dir=tmp)
    out = os.path.join(where, "cg.out")
    proc = start_nginx(where, port, body, prefix=["env", f"GLIBC_TUNABLES={ENV['GLIBC_TUNABLES']}", *valgrind(out)],
                       single_process=True)
    try:
        c = Client(port)

        def one():
            c.conn.request("GET", "/token.json")
            r = c.conn.getresponse()
            data = r.read()
            if r.status != 200 or data.decode() != body:
                sys.exit(f"nginx answered {r.status} with {len(data)} bytes, not the {len(body)}-byte file")
            return 1
        return count(proc, out, n, one, keep, "nginx")
    finally:
        finish(proc)


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
    ap.add_argument("--write-budget", metavar="FILE", help="write this build's figures there as the budget")
    ap.add_argument("--no-baseline", action="store_true", help="skip nginx")
    ap.add_argument("--only", metavar="TEXT", help="only the workloads whose name contains TEXT")
    args = ap.parse_args()
    workloads = [w for w in WORKLOADS if not args.only or args.only in w]
    if not workloads:
        sys.exit(f"no workload's name contains {args.only!r}; they are: " + ", ".join(WORKLOADS))
    for binary in [args.mockmcu] + ([args.compare] if args.compare else []):
        if not os.access(binary, os.X_OK):
            sys.exit(f"{binary}: not an executable (swift build -c release --product mockmcu --static-swift-stdlib makes it)")
    if not shutil.which("valgrind"):
        sys.exit("valgrind is not installed (./Scripts/setup.sh valgrind installs it)")
    builds = ([(args.compare_label, args.compare)] if args.compare else []) + [(args.label, args.mockmcu)]
    figures = {}
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="mockmcu-instr-") as tmp:
        os.chmod(tmp, 0o755)  # nginx's workers read its files as another user
        baseline = None
        if not args.no_baseline:
            baseline = measure_nginx(token_body(args.mockmcu), args.n, tmp, args.keep)
            print(f"{BASELINE}: {baseline:,.0f} instructions per request", flush=True)
        for label, binary in builds:
            figures[label] = {}
            for workload in workloads:
                figures[label][workload] = measure(binary, args.n // 10 if "streams" in workload else args.n,
                                                   workload, tmp, args.keep)
                print(f"{label}: {workload}: {figures[label][workload]:,.0f} instructions per request", flush=True)
    print(f"\n({time.time() - started:.0f} s)\n")
    print("| workload | " + " | ".join(label for label, _ in builds) + " |")
    print("|---|" + "---|" * len(builds))
    if baseline:
        print(f"| {BASELINE} | " + " | ".join(f"{baseline:,.0f}" for _ in builds) + " |")
    for workload in workloads:
        cells = []
        for label, _ in builds:
            v = figures[label][workload]
            cells.append(f"{v:,.0f}" + (f" (nginx/node {baseline / v:.2f})" if baseline and "streams" not in workload else ""))
        print(f"| {workload} | " + " | ".join(cells) + " |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"baseline": baseline, "builds": figures}, f, indent=2)
    mine = figures[args.label]
    if args.write_budget:
        with open(args.write_budget, "w") as f:
            json.dump({w: round(v) for w, v in mine.items()}, f, indent=2)
            f.write("\n")
        print(f"budget written to {args.write_budget}")
    if args.budget:
        with open(args.budget) as f:
            budget = json.load(f)
        missing = [w for w in budget if w not in mine]
        over = [f"{w}: {mine[w]:,.0f} > {budget[w]:,.0f} + 10%" for w in budget if w in mine and mine[w] > budget[w] * 1.1]
        if missing:
            print("budget names workloads this script does not run: " + ", ".join(missing))
            sys.exit(1)
        if over:
            print("over budget (lower it in the same commit when the code gets faster; raise it only with a reason):\n  "
                  + "\n  ".join(over))
            sys.exit(1)
        print(f"within budget ({args.budget}): " + ", ".join(f"{w} {mine[w] / budget[w]:.0%}" for w in budget))


if __name__ == "__main__":
    main()
