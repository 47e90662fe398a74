#!/usr/bin/env python3
"""Soak: many simulated clients against one node for a while.

Each client joins one of the conferences (request_token), opens its event
stream, refreshes its token every expires/2, chats now and then, and after a
random stay releases its token (reading its stream to the clean end) and joins
again, until the run ends. A reader follows the node's journal (GET
/_mock/journal, page by page) and counts the message_received events the node
wrote to each participant's stream; every client counts the ones it read.

Pass: no request failed, no stream broke, every event the node delivered was
read (none lost), the journal reader missed no entry (the node keeps the
newest 20,000, so that its memory can level off), and the node's memory
after the first 10 s stays flat (its RSS at the end within 10% + 8 MB of its
RSS at 10 s). Standard library only.
"""

import argparse
import asyncio
import json
import os
import random
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
from bench import rss_kb  # noqa: E402  (the benchmark's reader of a process's RSS)


class Stats:
    def __init__(self):
        self.requests = {}
        self.failures = []
        self.received = {}      # participant uuid -> message_received events read
        self.delivered = {}     # participant uuid -> delivered message_received in the journal
        self.joins = 0
        self.dropped = 0

    def count(self, name, status):
        ok, bad = self.requests.get(name, (0, 0))
        self.requests[name] = (ok + 1, bad) if status == 200 else (ok, bad + 1)

    def fail(self, what):
        if len(self.failures) < 50:
            self.failures.append(what)
        else:
            self.failures.append("…")
            self.failures = self.failures[:51]


class Connection:
    """One keep-alive HTTP/1.1 connection for a client's requests."""

    def __init__(self, port):
        self.port = port
        self.reader = self.writer = None

    async def request(self, method, path, body=None, headers=None):
        for attempt in (0, 1):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            data = b"" if body is None else json.dumps(body).encode()
            head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(data)}\r\n"
            if body is not None:
                head += "Content-Type: application/json\r\n"
            for k, v in (headers or {}).items():
                head += f"{k}: {v}\r\n"
            try:
                self.writer.write(head.encode() + b"\r\n" + data)
                await self.writer.drain()
                status_line = await self.reader.readline()
                if not status_line:
                    raise ConnectionError("closed")
                status = int(status_line.split()[1])
                length, close = 0, False
                while True:
                    line = await self.reader.readline()
                    if line in (b"\r\n", b"\n", b""):
                        break
                    k, _, v = line.decode().partition(":")
                    if k.lower() == "content-length":
                        length = int(v)
                    elif k.lower() == "connection" and "close" in v.lower():
                        close = True
                payload = await self.reader.readexactly(length) if length else b""
                if close:
                    self.close()
                return status, (json.loads(payload) if payload else None)
            except (ConnectionError, asyncio.IncompleteReadError):
                # A keep-alive connection the server closed while idle: once more on a new one.
                self.close()
                if attempt == 1:
                    raise
        raise ConnectionError("unreachable")

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def read_stream(port, alias, token, ready, stats, uuid, end):
    """Reads the event stream to its end; returns how it ended."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET /api/client/v2/conferences/{alias}/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 f"token: {token}\r\n\r\n".encode())
    await writer.drain()
    status = int((await reader.readline()).split()[1])
    if status != 200:
        stats.fail(f"events for {uuid}: status {status}")
        ready.set()
        writer.close()
        return "refused"
    while (await reader.readline()) not in (b"\r\n", b""):
        pass
    event, buffered = None, b""
    try:
        while True:
            size_line = await reader.readline()
            if not size_line:
                return "cut"
            size = int(size_line.strip() or b"0", 16)
            if size == 0:
                return "clean"
            buffered += await reader.readexactly(size)
            await reader.readexactly(2)
            while b"\n" in buffered:
                line, _, buffered = buffered.partition(b"\n")
                line = line.rstrip(b"\r").decode()
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line == "":
                    if event == "message_received":
                        stats.received[uuid] = stats.received.get(uuid, 0) + 1
                    elif event == "participant_sync_end":
                        ready.set()
                    event = None
    except (ConnectionError, asyncio.IncompleteReadError):
        return "cut"
    finally:
        ready.set()
        writer.close()


async def client(n, port, aliases, expires, end, stats):
    rng = random.Random(n)
    conn = Connection(port)
    await asyncio.sleep(rng.uniform(0, 3))  # spread the joins
    while time.monotonic() < end - 2:
        alias = rng.choice(aliases)
        base = f"/api/client/v2/conferences/{alias}"
        status, reply = await conn.request("POST", f"{base}/request_token", {"display_name": f"soak{n}"})
        stats.count("request_token", status)
        if status != 200:
            stats.fail(f"client {n}: request_token {status}")
            await asyncio.sleep(1)
            continue
        stats.joins += 1
        token, uuid = reply["result"]["token"], reply["result"]["participant_uuid"]
        ready = asyncio.Event()
        stream = asyncio.ensure_future(read_stream(port, alias, token, ready, stats, uuid, end))
        await ready.wait()
        leave_at = min(end, time.monotonic() + rng.uniform(15, 40))
        next_refresh = time.monotonic() + expires / 2
        next_chat = time.monotonic() + rng.uniform(1, 8)
        while time.monotonic() < leave_at and not stream.done():
            await asyncio.sleep(max(0, min(next_refresh, next_chat, leave_at) - time.monotonic()))
            now = time.monotonic()
            if now >= next_refresh:
                status, reply = await conn.request("POST", f"{base}/refresh_token", headers={"token": token})
                stats.count("refresh_token", status)
                if status == 200:
                    token = reply["result"]["token"]
                else:
                    stats.fail(f"client {n}: refresh_token {status}")
                next_refresh = now + expires / 2
            if now >= next_chat and now < leave_at:
                status, _ = await conn.request("POST", f"{base}/message", {"type": "text/plain", "payload": f"m{n}"},
                                               headers={"token": token})
                stats.count("message", status)
                if status != 200:
                    stats.fail(f"client {n}: message {status}")
                next_chat = now + rng.uniform(2, 8)
        if stream.done():
            stats.fail(f"client {n}: stream of {uuid} ended early ({stream.result()})")
        status, _ = await conn.request("POST", f"{base}/release_token", headers={"token": token})
        stats.count("release_token", status)
        if status != 200:
            stats.fail(f"client {n}: release_token {status}")
        how = await asyncio.wait_for(stream, 10)
        if how != "clean":
            stats.fail(f"client {n}: stream of {uuid} ended {how}, not cleanly, after release")
        stats.received.setdefault(uuid, 0)
    conn.close()


async def follow_journal(port, stop, stats):
    conn = Connection(port)
    after = 0
    while True:
        status, page = await conn.request("GET", f"/_mock/journal?after={after}&limit=10000")
        if status != 200:
            stats.fail(f"journal: status {status}")
            return
        if page["entries"] and page["entries"][0]["seq"] > after + 1:
            stats.dropped += page["entries"][0]["seq"] - after - 1  # trimmed before the reader saw them
        for e in page["entries"]:
            if e.get("kind") == "event" and e.get("event") == "message_received" and e.get("delivered"):
                p = e.get("participant")
                stats.delivered[p] = stats.delivered.get(p, 0) + 1
        after = page["next"]
        if not page["more"]:
            if stop.is_set():
                return
            await asyncio.sleep(0.25)


async def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mockmcu", default=".build/release/mockmcu")
    ap.add_argument("--clients", type=int, default=1000)
    ap.add_argument("--conferences", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--expires", type=int, default=10, help="token lifetime; clients refresh every half")
    ap.add_argument("--out", default="soak-out")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    aliases = [f"soak{i}" for i in range(args.conferences)]
    config = os.path.join(args.out, "conferences.yaml")
    with open(config, "w") as f:
        f.write("conferences:\n" + "".join(f"  - alias: {a}\n    expires: {args.expires}\n" for a in aliases))
    node = subprocess.Popen([args.mockmcu, "serve", "--port", "0", "--config", config, "--log-level", "warning",
                             "--journal-limit", "20000"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    port = None
    for line in node.stdout:
        m = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        if m:
            port = int(m.group(1))
            break
    if port is None:
        sys.exit("the node did not start")
    stats = Stats()
    start = time.monotonic()
    end = start + args.seconds
    stop = asyncio.Event()
    journal = asyncio.ensure_future(follow_journal(port, stop, stats))
    samples = []

    async def sample():
        while time.monotonic() < end + 3:
            samples.append((time.monotonic() - start, rss_kb(node.pid)))
            await asyncio.sleep(1)

    sampler = asyncio.ensure_future(sample())
    results = await asyncio.gather(*(client(n, port, aliases, args.expires, end, stats) for n in range(args.clients)),
                                   return_exceptions=True)
    for r in results:
        if isinstance(r, BaseException):
            stats.fail(f"a client crashed: {r!r}")
    stop.set()
    await journal
    await sampler
    node.terminate()
    node.wait(10)

    lost = {p: stats.delivered.get(p, 0) - stats.received.get(p, 0)
            for p in set(stats.delivered) | set(stats.received)
            if stats.delivered.get(p, 0) != stats.received.get(p, 0)}
    at10 = next((kb for t, kb in samples if t >= 10), samples[0][1])
    after10 = [kb for t, kb in samples if t >= 10]
    final = samples[-1][1]
    flat = final <= at10 * 1.10 + 8 * 1024
    total_requests = sum(ok + bad for ok, bad in stats.requests.values())
    report = {
        "clients": args.clients, "conferences": args.conferences, "seconds": args.seconds,
        "joins": stats.joins, "requests": {k: {"ok": ok, "failed": bad} for k, (ok, bad) in stats.requests.items()},
        "requests_per_second": round(total_requests / args.seconds, 1),
        "events_delivered": sum(stats.delivered.values()), "events_read": sum(stats.received.values()),
        "lost": sum(v for v in lost.values() if v > 0), "participants_with_mismatch": len(lost),
        "journal_entries_missed": stats.dropped, "failures": stats.failures,
        "rss_mb": {"at_10s": round(at10 / 1024, 1), "max_after_10s": round(max(after10) / 1024, 1),
                   "end": round(final / 1024, 1),
                   "every_5s": [round(kb / 1024, 1) for t, kb in samples if int(t) % 5 == 0][:40]},
        "memory_flat": flat,
    }
    report["pass"] = not stats.failures and not lost and stats.dropped == 0 and flat
    with open(os.path.join(args.out, "soak.json"), "w") as f:
        json.dump(report, f, indent=2)
    print(json.dumps(report, indent=2))
    return 0 if report["pass"] else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
