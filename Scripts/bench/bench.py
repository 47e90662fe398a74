#!/usr/bin/env python3
"""MockMCU benchmark: token lifecycle rate against nginx, idle event streams
and their memory, and the time for one event to reach every stream.

Run through Scripts/benchmark.sh, which installs the tools and builds first.
Everything runs on 127.0.0.1 and stops by itself.
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"nothing listening on {port}")


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def http(port, method, path, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                                 headers={"Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"null")


def wrk(port, path, script, seconds, connections, threads, env=None):
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script:
        cmd += ["-s", script]
    cmd.append(f"http://127.0.0.1:{port}{path}")
    out = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **(env or {})}, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    p99 = re.search(r"99%\s+([\d.]+\w+)", out)
    return {"rate": rate, "non2xx": int(bad.group(1)) if bad else 0,
            "socket_errors": errors.group(1) if errors else "none", "p99": p99.group(1) if p99 else "?"}


def start_nginx(tmp, port, body, prefix=(), single_process=False):
    """nginx serving `body` as /token.json; `prefix` runs it under another program (valgrind),
    `single_process` in one process (no master, one worker) so that all its work is counted."""
    root = os.path.join(tmp, "www")
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, "token.json"), "w") as f:
        f.write(body)
    # nginx's workers run as another user when it is started by root: mkdtemp's mode 700 would
    # give them 403 for every request (and the baseline would be nginx's error page).
    for path, mode in ((tmp, 0o755), (root, 0o755), (os.path.join(root, "token.json"), 0o644)):
        os.chmod(path, mode)
    conf = os.path.join(tmp, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""
worker_processes {1 if single_process else 2};
{"master_process off;" if single_process else ""}
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log;
daemon off;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  default_type application/json;
  keepalive_requests 100000;
  client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy; fastcgi_temp_path {tmp}/fcgi;
  uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
  server {{ listen 127.0.0.1:{port}; root {root}; }}
}}
""")
    p = subprocess.Popen([*prefix, "nginx", "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port, timeout=120 if prefix else 10)
    return p


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGINT)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def baseline(args, tmp, body):
    """nginx serving the token-sized JSON file: the baseline of every ratio."""
    print(f"nginx serving a static {len(body)}-byte JSON file ({args.seconds}s)...", flush=True)
    port = free_port()
    nginx = start_nginx(tmp, port, body)
    try:
        result = wrk(port, "/token.json", os.path.join(HERE, "static.lua"), args.seconds, args.connections, 2)
    finally:
        stop(nginx)
    print(f"      {result['rate']:.0f} req/s", flush=True)
    return result


def start_node(binary, args):
    port = free_port()
    node = subprocess.Popen([binary, "serve", "--port", str(port), "--log-level", "error",
                             "--journal-limit", str(args.journal_limit)]
                            + (["--connection-memory", str(args.connection_memory)] if args.connection_memory else []),
                            stdout=subprocess.DEVNULL)
    wait_port(port)
    for i in range(1024):
        http(port, "PUT", f"/_mock/conferences/bench{i}", {"keepalive_interval": 0})
    http(port, "PUT", "/_mock/conferences/refresh", {})
    http(port, "PUT", "/_mock/conferences/streams", {})
    return node, port


def processor():
    """The processor's model name, as /proc/cpuinfo gives it."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown processor"


def cold_start(binary, runs=20):
    """Milliseconds from starting `mockmcu serve` to its first 200 (GET /api/client/v2/status), median and max."""
    times = []
    request = b"GET /api/client/v2/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    for _ in range(runs):
        port = free_port()
        began = time.perf_counter()
        node = subprocess.Popen([binary, "serve", "--port", str(port), "--log-level", "error"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while True:
                if time.perf_counter() - began > 10 or node.poll() is not None:
                    sys.exit(f"{binary} serve gave no answer within 10 s")
                try:
                    with socket.create_connection(("127.0.0.1", port), 1) as c:
                        c.sendall(request)
                        head = c.recv(64)
                    if head.startswith(b"HTTP/1.1 200"):
                        break
                except OSError:
                    time.sleep(0.0002)
            times.append((time.perf_counter() - began) * 1000)
        finally:
            stop(node)
    times.sort()
    return {"median_ms": times[len(times) // 2], "max_ms": times[-1], "runs": runs}


def measure(binary, label, args, tmp):
    """One build of the node: its cold start, its lifecycle and refresh rates, then its idle streams and a broadcast."""
    print(f"[{label}] cold start to the first answer (20 runs)...", flush=True)
    started = cold_start(binary)
    print(f"      median {started['median_ms']:.1f} ms, max {started['max_ms']:.1f} ms", flush=True)
    node, port = start_node(binary, args)
    results = {}
    try:
        if not args.skip_rates:
            print(f"[{label}] request_token + release_token ({args.seconds}s)...", flush=True)
            results["lifecycle"] = wrk(port, "/", os.path.join(HERE, "lifecycle.lua"), args.seconds, args.connections, 2)
            print(f"      {results['lifecycle']['rate']:.0f} req/s", flush=True)
            print(f"[{label}] refresh_token ({args.seconds}s)...", flush=True)
            results["refresh"] = wrk(port, "/", os.path.join(HERE, "refresh.lua"), args.seconds, args.connections, 2)
            print(f"      {results['refresh']['rate']:.0f} req/s", flush=True)
        print(f"[{label}] {args.streams} idle event streams, then one broadcast...", flush=True)
        results["streams"] = streams(node, port, args, tmp)
    finally:
        stop(node)
    results["cold_start"] = started
    return results


def streams(node, node_port, args, tmp):
    paths = []
    for i in range(args.stream_participants):
        r = http(node_port, "POST", "/api/client/v2/conferences/streams/request_token",
                 {"display_name": f"viewer{i}"})
        paths.append(f"/api/client/v2/conferences/streams/events?token={r['result']['token']}")
    with open(os.path.join(tmp, "paths"), "w") as f:
        f.write("\n".join(paths) + "\n")
    time.sleep(1)
    before = rss_kb(node.pid)
    load = subprocess.Popen([args.sseload, str(node_port), os.path.join(tmp, "paths"), str(args.streams)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    ready = load.stdout.readline().split()
    opened, open_seconds = int(ready[1]), float(ready[2])
    time.sleep(1)
    after = rss_kb(node.pid)
    held = sum(p["open_streams"] for p in http(node_port, "GET", "/_mock/participants?alias=streams"))
    trigger = json.dumps({"event": "bench", "data": {"n": 1}, "alias": "streams"}, separators=(",", ":"))
    load.stdin.write(f"POST /_mock/events {trigger}\n")
    load.stdin.flush()
    broadcast = json.loads(load.stdout.readline())
    load.stdin.close()
    load.wait(30)
    return {"opened": opened, "held": held, "open_seconds": open_seconds,
            "rss_before_kb": before, "rss_after_kb": after,
            "per_stream_kb": (after - before) / max(1, opened), **broadcast}


def rows(label, n, r):
    """The table rows of one build's results against the baseline `n`."""
    lc, rf, st = r.get("lifecycle"), r.get("refresh"), r["streams"]
    out = []
    if lc:
        out.append((f"{label}: request_token + release_token", f"{lc['rate']:.0f} req/s ({lc['rate'] / 2:.0f} lifecycles/s)",
                    f"{lc['rate'] / n['rate']:.2f}", "≥ 0.5", f"p99 {lc['p99']}, non-2xx {lc['non2xx']}"))
        out.append((f"{label}: refresh_token", f"{rf['rate']:.0f} req/s", f"{rf['rate'] / n['rate']:.2f}", "≥ 0.5",
                    f"p99 {rf['p99']}, non-2xx {rf['non2xx']}"))
    cs = r.get("cold_start")
    if cs:
        out.append((f"{label}: cold start of mockmcu serve to its first answer", f"median {cs['median_ms']:.1f} ms",
                    "", "< 20 ms", f"max {cs['max_ms']:.1f} ms over {cs['runs']} starts"))
    out += [
        (f"{label}: idle event streams held", f"{st['held']} of {st['opened']} opened in {st['open_seconds']:.1f}s", "",
         "10,000", ""),
        (f"{label}: node RSS per idle stream", f"{st['per_stream_kb']:.1f} KB",
         "", "≤ 10 KB", f"RSS {st['rss_before_kb'] // 1024} → {st['rss_after_kb'] // 1024} MB"),
        (f"{label}: one event to every stream", f"first {st['first_ms']:.1f} ms, last {st['last_ms']:.1f} ms", "",
         "last < 100 ms", f"{st['received']} of {st['streams']} received; node queued it in {st.get('queued_ms', -1):.1f} ms"),
    ]
    return out


def problems(label, r):
    """Answers that were not the expected ones: a figure measured on them means nothing."""
    found = []
    for name in ("nginx", "lifecycle", "refresh"):
        if name in r and (r[name]["non2xx"] or any(int(x) for x in re.findall(r"\d+", r[name]["socket_errors"]))):
            found.append(f"{label} {name}: {r[name]['non2xx']} non-2xx answers, socket errors: {r[name]['socket_errors']}")
    st = r.get("streams")
    if st and (st["held"] < st["opened"] or st["received"] < st["streams"]):
        found.append(f"{label} streams: {st['held']} of {st['opened']} held, {st['received']} of {st['streams']} got the event")
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--mockmcu", default=os.path.join(ROOT, ".build", "release", "mockmcu"))
    ap.add_argument("--label", default="this build", help="the name of --mockmcu in the table")
    ap.add_argument("--compare", metavar="BINARY", help="another mockmcu measured in the same run (e.g. a build of an older commit)")
    ap.add_argument("--compare-label", default="compared build")
    ap.add_argument("--sseload", required=True)
    ap.add_argument("--seconds", type=int, default=10, help="duration of each wrk run")
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--streams", type=int, default=10000)
    ap.add_argument("--stream-participants", type=int, default=10,
                    help="participants the streams are spread over (each stream's burst lists them all)")
    ap.add_argument("--journal-limit", type=int, default=10000)
    ap.add_argument("--connection-memory", type=int, default=None, help="passed to mockmcu serve")
    ap.add_argument("--skip-rates", action="store_true", help="only the stream measurements")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench-out", "results.md"))
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="mockmcu-bench-")
    builds = [(args.compare_label, args.compare)] if args.compare else []
    builds.append((args.label, args.mockmcu))
    results = {}
    try:
        node, port = start_node(args.mockmcu, args)
        try:
            sample = http(port, "POST", "/api/client/v2/conferences/bench0/request_token", {"display_name": "bench"})
        finally:
            stop(node)
        body = json.dumps(sample, separators=(",", ":"))
        results["nginx"] = {"rate": 1, "non2xx": 0, "socket_errors": "none", "p99": "-"} if args.skip_rates \
            else baseline(args, tmp, body)
        for label, binary in builds:
            results[label] = measure(binary, label, args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    n = results["nginx"]
    table = ["| measure | result | ratio to nginx | target | notes |", "|---|---|---|---|---|",
             f"| nginx, static token-sized JSON (baseline) | {n['rate']:.0f} req/s | 1.00 | | p99 {n['p99']}, non-2xx {n['non2xx']} |"]
    for label, _ in builds:
        table += [f"| {' | '.join(r)} |" for r in rows(label, n, results[label])]
    header = (f"MockMCU benchmark, {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores ({processor()}), "
              f"wrk -t2 -c{args.connections} -d{args.seconds}s, {args.streams} streams over "
              f"{args.stream_participants} participants, journal limit {args.journal_limit}")
    text = header + "\n\n" + "\n".join(table) + "\n"
    print("\n" + text)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(text)
    with open(os.path.splitext(args.out)[0] + ".json", "w") as f:
        json.dump(results, f, indent=2)
    found = problems("nginx", {"nginx": n}) + [p for label, _ in builds for p in problems(label, results[label])]
    if found:
        print("FAILED: answers were not the expected ones, so these figures mean nothing:\n  " + "\n  ".join(found))
        sys.exit(1)


if __name__ == "__main__":
    main()
