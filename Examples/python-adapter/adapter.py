#!/usr/bin/env python3
"""A Pexip client on Python's standard library, speaking the MockMCU client
driver protocol v1 (docs/driver-protocol.md) so that `mockmcu run` can test it.

Written from docs/driver-protocol.md and docs/client-api.md. It joins (PIN
and Virtual Reception prompts, SRV discovery, HTTPS with a given CA, Basic
credentials for a proxy), keeps its token alive (refresh every expires/2,
retries while the token lives), follows the event stream (roster, chat,
disconnect; reconnects with a growing delay), sends chat, and releases its
token on leave.

    mockmcu run -- python3 Examples/python-adapter/adapter.py

Logs go to stderr; stdout carries only the protocol.
"""

import base64
import http.client
import json
import os
import queue
import random
import socket
import ssl
import struct
import sys
import threading
import time
import urllib.parse

REQUEST_TIMEOUT = 10.0   # seconds for one API request
STREAM_IDLE = 30.0       # seconds without a byte (keep-alives come every 10 s) before a stream counts as lost
REFRESH_RETRIES = 4      # retries of one refresh on 502/503/504 or no answer
MAX_STREAM_FAILURES = 5  # failed stream connections in a row before giving up


def log(*parts):
    print("adapter:", *parts, file=sys.stderr, flush=True)


_out = threading.Lock()


def say(type_, **fields):
    """Writes one protocol message on stdout."""
    with _out:
        sys.stdout.write(json.dumps(dict(type=type_, **fields)) + "\n")
        sys.stdout.flush()


def finish(code):
    """Ends the program at once: background threads may be blocked on sockets."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


class Failure(Exception):
    """The client gives up: `reason` is one of the protocol's failed reasons."""

    def __init__(self, reason, detail):
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


# ---------------------------------------------------------------- commands

class Commands:
    """Runner messages from stdin, read on a thread of their own."""

    def __init__(self):
        self.queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in sys.stdin:
            line = line.strip()
            if not line:
                continue
            try:
                message = json.loads(line)
            except ValueError:
                log("ignoring a line that is not JSON:", line[:200])
                continue
            if isinstance(message, dict):
                self.queue.put(message)
        self.queue.put({"type": "leave"})  # end of input means leave

    def next(self, wanted):
        """The next message of one of the `wanted` types; others are dropped."""
        while True:
            message = self.queue.get()
            if message.get("type") in wanted:
                return message
            log("ignoring", message.get("type"))


# ---------------------------------------------------------------- HTTP

class Node:
    """The node's client API over HTTP(S): one connection per request."""

    def __init__(self, base, tls_ca=None, proxy_auth=None):
        url = urllib.parse.urlsplit(base)
        self.secure = url.scheme == "https"
        self.host = url.hostname
        self.port = url.port or (443 if self.secure else 80)
        self.context = None
        if self.secure:
            self.context = ssl.create_default_context(cadata=tls_ca) if tls_ca else ssl.create_default_context()
        self.auth = None
        if proxy_auth:
            pair = "%s:%s" % (proxy_auth.get("username", ""), proxy_auth.get("password", ""))
            self.auth = "Basic " + base64.b64encode(pair.encode()).decode()

    def connection(self, timeout):
        if self.secure:
            return http.client.HTTPSConnection(self.host, self.port, timeout=timeout, context=self.context)
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def headers(self, token=None, extra=None):
        h = {"Accept": "application/json"}
        if token:
            h["token"] = token
        if self.auth:
            h["Authorization"] = self.auth
        h.update(extra or {})
        return h

    @staticmethod
    def path(alias, request):
        return "/api/client/v2/conferences/%s/%s" % (urllib.parse.quote(alias, safe=""), request)

    def call(self, method, path, token=None, body=None, extra=None):
        """Returns (status, result); raises OSError when no answer came."""
        conn = self.connection(REQUEST_TIMEOUT)
        try:
            headers = self.headers(token, extra)
            data = None
            if body is not None:
                data = json.dumps(body).encode()
                headers["Content-Type"] = "application/json"
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            raw = response.read()
        except (http.client.HTTPException, ssl.SSLError) as e:
            raise OSError(str(e))
        finally:
            conn.close()
        try:
            result = json.loads(raw).get("result") if raw else None
        except (ValueError, AttributeError):
            result = None
        return response.status, result


# ---------------------------------------------------------------- discovery

def dns_query(server, name, qtype):
    """One DNS question over UDP; returns the answer and additional records as (type, rdata offset, message)."""
    host, port = server.rsplit(":", 1)
    ident = random.randrange(65536)
    question = b"".join(bytes([len(p)]) + p.encode() for p in name.rstrip(".").split(".")) + b"\0"
    packet = struct.pack(">HHHHHH", ident, 0x0100, 1, 0, 0, 0) + question + struct.pack(">HH", qtype, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(3)
        s.sendto(packet, (host, int(port)))
        message, _ = s.recvfrom(4096)
    _, flags, qd, an, ns, ar = struct.unpack(">HHHHHH", message[:12])
    offset = 12
    for _ in range(qd):
        offset = skip_name(message, offset) + 4
    records = []
    for _ in range(an + ns + ar):
        offset = skip_name(message, offset)
        rtype, _, _, length = struct.unpack(">HHIH", message[offset:offset + 10])
        offset += 10
        records.append((rtype, offset, length))
        offset += length
    return message, records


def skip_name(message, offset):
    while True:
        n = message[offset]
        if n == 0:
            return offset + 1
        if n & 0xC0 == 0xC0:
            return offset + 2
        offset += n + 1


def read_name(message, offset):
    labels = []
    while True:
        n = message[offset]
        if n == 0:
            return ".".join(labels)
        if n & 0xC0 == 0xC0:
            offset = ((n & 0x3F) << 8) | message[offset + 1]
            continue
        labels.append(message[offset + 1:offset + 1 + n].decode())
        offset += n + 1


def discover(domain, server):
    """Node base URLs for `domain` from its _pexapp._tcp SRV records, best first."""
    message, records = dns_query(server, "_pexapp._tcp." + domain, 33)
    targets = []
    for rtype, offset, _ in records:
        if rtype == 33:
            priority, weight, port = struct.unpack(">HHH", message[offset:offset + 6])
            targets.append((priority, -weight, read_name(message, offset + 6), port))
    if not targets:
        return ["https://%s" % domain]
    urls = []
    for _, _, target, port in sorted(targets):
        address = target
        try:
            a_message, a_records = dns_query(server, target, 1)
            for rtype, offset, length in a_records:
                if rtype == 1 and length == 4:
                    address = socket.inet_ntoa(a_message[offset:offset + 4])
                    break
        except OSError as e:
            log("no address for", target, e)
        urls.append("%s://%s:%d" % ("https" if port == 443 else "http", address, port))
    return urls


# ---------------------------------------------------------------- the session

class Session:
    def __init__(self, node, alias, joined, commands):
        self.node = node
        self.alias = alias
        self.commands = commands
        self.uuid = joined["participant_uuid"]
        self.lock = threading.Condition()
        self.token = joined["token"]
        self.expires = float(joined.get("expires") or 120)
        self.issued = time.monotonic()
        self.refreshing = False   # while True, requests wait for the new token
        self.active = True
        self.stream = None        # the open event stream's connection
        # Each room's roster (uuid -> participant object) and its sync in progress: the main room
        # ("main") and the breakout rooms the node gave us an identity in (breakout_begin).
        self.rooms = {"main": {"roster": {}, "syncing": None}}
        self.room = "main"        # the room we are in (breakout_refer moves us)
        self.referred = False     # ended by a refer, to be followed

    # tokens

    def current_token(self):
        """The newest token, after any refresh on the wire."""
        with self.lock:
            while self.refreshing:
                self.lock.wait()
            return self.token

    def refresh_loop(self):
        while True:
            with self.lock:
                due = self.issued + self.expires / 2
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            with self.lock:
                if not self.active:
                    return
                self.refreshing = True
                used = self.token
            try:
                self.refresh(used)
            finally:
                with self.lock:
                    self.refreshing = False
                    self.lock.notify_all()

    def refresh(self, used):
        attempt = 0
        while True:
            try:
                status, result = self.node.call("POST", Node.path(self.alias, "refresh_token"), token=used)
            except OSError as e:
                status, result = None, str(e)
            with self.lock:
                if not self.active:
                    if status == 200 and isinstance(result, dict) and result.get("token"):
                        self.token = result["token"]  # the release must carry the newest
                    return
            if status == 200 and isinstance(result, dict) and result.get("token"):
                with self.lock:
                    self.token = result["token"]
                    self.expires = float(result.get("expires") or self.expires)
                    self.issued = time.monotonic()
                return
            if status == 403:
                return self.end_disconnected(result if isinstance(result, str) else "Invalid token")
            if status not in (None, 502, 503, 504):
                return self.end_failed("protocol", "refresh_token answered HTTP %s" % status)
            attempt += 1
            with self.lock:
                left = self.issued + self.expires - time.monotonic()
            if attempt > REFRESH_RETRIES or left <= 0:
                return self.end_failed("unreachable", "token refresh kept failing (%s)" % status)
            log("refresh got", status, "- retrying")
            time.sleep(min(0.25 * 2 ** (attempt - 1), max(0.05, left / 2)))

    # the event stream

    def stream_loop(self):
        failures = 0
        lost = False
        while self.is_active():
            token = self.current_token()
            conn = self.node.connection(STREAM_IDLE)
            try:
                conn.request("GET", Node.path(self.alias, "events"),
                             headers=self.node.headers(token, {"Accept": "text/event-stream", "Cache-Control": "no-cache"}))
                response = conn.getresponse()
                if response.status in (401, 403):
                    return self.end_disconnected("Invalid token")
                if response.status != 200:
                    raise OSError("the event stream answered HTTP %d" % response.status)
                with self.lock:
                    self.stream = conn
                if lost:
                    say("reconnected")
                    log("event stream re-established")
                for event, data in read_events(response):
                    failures = 0
                    self.handle(event, data)
                    if not self.is_active():
                        return
                why = "ended"
            except (OSError, http.client.HTTPException, ValueError) as e:
                why = str(e)
            finally:
                with self.lock:
                    self.stream = None
                conn.close()
            if not self.is_active():
                return
            lost = True
            failures += 1
            if failures > MAX_STREAM_FAILURES:
                return self.end_failed("unreachable", "event stream lost %d times in a row (%s)" % (failures, why))
            delay = min(5.0, 0.5 * failures) * random.uniform(0.8, 1.2)
            log("event stream lost (%s); again in %.2f s" % (why, delay))
            time.sleep(delay)

    def handle(self, event, data, room="main"):
        state = self.rooms.setdefault(room, {"roster": {}, "syncing": None})
        here = room == self.room
        if event == "participant_sync_begin":
            state["syncing"] = {}
        elif event in ("participant_create", "participant_update") and isinstance(data, dict) and "uuid" in data:
            if state["syncing"] is not None:
                state["syncing"][data["uuid"]] = data
            else:
                state["roster"][data["uuid"]] = data
                if here:
                    self.report_roster()
        elif event == "participant_delete" and isinstance(data, dict):
            if state["syncing"] is not None:
                state["syncing"].pop(data.get("uuid"), None)
            elif state["roster"].pop(data.get("uuid"), None) is not None and here:
                self.report_roster()
        elif event == "participant_sync_end":
            state["roster"], state["syncing"] = state["syncing"] or {}, None
            if here:
                self.report_roster()
        elif room != "main":
            # Of a breakout room's other events, only its chat, and only while we are there.
            if here and event == "message_received" and isinstance(data, dict):
                say("message", origin=data.get("origin", ""), uuid=data.get("uuid", ""), text=data.get("payload", ""))
        elif event == "breakout_begin" and isinstance(data, dict) and data.get("breakout_uuid"):
            self.rooms[data["breakout_uuid"]] = {"roster": {}, "syncing": None}
        elif event == "breakout_event" and isinstance(data, dict) and data.get("breakout_uuid"):
            self.handle(data.get("event"), data.get("data"), room=data["breakout_uuid"])
        elif event == "breakout_refer" and isinstance(data, dict) and data.get("breakout_uuid"):
            self.room = data["breakout_uuid"]  # "main" brings us back
            self.rooms.setdefault(self.room, {"roster": {}, "syncing": None})
            self.report_roster()
        elif event == "breakout_end" and isinstance(data, dict) and data.get("breakout_uuid"):
            self.rooms.pop(data["breakout_uuid"], None)
            if self.room == data["breakout_uuid"]:
                self.room = "main"
                self.report_roster()
        elif event == "message_received" and isinstance(data, dict):
            say("message", origin=data.get("origin", ""), uuid=data.get("uuid", ""), text=data.get("payload", ""))
        elif event == "disconnect":
            reason = data.get("reason") if isinstance(data, dict) else None
            self.end_disconnected(reason or "Disconnected by remote host")
        elif event == "refer" and isinstance(data, dict) and data.get("alias") and data.get("token"):
            self.hand_over(data["alias"], data["token"])
        # every other event is ignored

    def report_roster(self):
        roster = self.rooms[self.room]["roster"]
        say("roster", participants=[{"uuid": p["uuid"], "display_name": p.get("display_name", ""),
                                     "role": p.get("role", "")} for p in roster.values()])

    # endings

    def is_active(self):
        with self.lock:
            return self.active

    def stop(self):
        """Stops the background work; True if this call did (the session was active)."""
        with self.lock:
            if not self.active:
                return False
            self.active = False
            stream = self.stream
        if stream is not None and stream.sock is not None:
            try:
                stream.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        return True

    def end_disconnected(self, reason):
        if self.stop():
            say("disconnected", reason=reason)
            finish(0)

    def end_failed(self, reason, detail):
        if self.stop():
            say("failed", reason=reason, detail=detail)
            finish(1)

    def leave(self):
        if not self.stop():
            return
        token = self.current_token()  # waits for a refresh on the wire: its token is the newest
        try:
            status, _ = self.node.call("POST", Node.path(self.alias, "release_token"), token=token)
            log("release_token answered", status)
        except OSError as e:
            log("release_token got no answer:", e)
        say("left")
        finish(0)

    def hand_over(self, alias, one_time_token):
        """A refer (a host's transfer): release this token, then let main join `alias` with the one-time token."""
        if not self.stop():
            return
        self.referred = True
        token = self.current_token()
        try:
            status, _ = self.node.call("POST", Node.path(self.alias, "release_token"), token=token)
            log("referred to", alias, "; release_token answered", status)
        except OSError as e:
            log("release_token got no answer:", e)
        self.commands.queue.put({"type": "_referred", "alias": alias, "token": one_time_token})

    def send_message(self, text):
        token = self.current_token()
        try:
            request = "message" if self.room == "main" else "breakouts/%s/message" % self.room
            status, result = self.node.call("POST", Node.path(self.alias, request), token=token,
                                            body={"type": "text/plain", "payload": text})
            if status != 200:
                log("message answered", status, result)
        except OSError as e:
            log("message got no answer:", e)


def read_events(response):
    """(event, data) pairs from a text/event-stream answer (W3C framing)."""
    event, data = "", []
    while True:
        raw = response.readline()
        if not raw:
            return
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        if line == "":
            if data:
                text = "\n".join(data)
                try:
                    payload = json.loads(text)
                except ValueError:
                    payload = text
                yield event or "message", payload
            event, data = "", []
        elif line.startswith(":"):
            continue  # a keep-alive comment
        else:
            name, _, value = line.partition(":")
            if value.startswith(" "):
                value = value[1:]
            if name == "event":
                event = value
            elif name == "data":
                data.append(value)


# ---------------------------------------------------------------- joining

def join(node, alias, start, commands, one_time_token=None):
    """Asks for a token, answering PIN, extension and single sign-on prompts; returns the token's result."""
    body = {"display_name": start.get("display_name") or "python-adapter"}
    if one_time_token:
        body["token"] = one_time_token  # from a refer: admits without a PIN
    if start.get("extension"):
        body["conference_extension"] = start["extension"]
    pin = start.get("pin")
    pin_asked = False
    while True:
        extra = {}
        if pin is not None:
            extra["pin"] = pin.strip() or "none"
        try:
            status, result = node.call("POST", Node.path(alias, "request_token"), body=body, extra=extra)
        except OSError as e:
            raise Failure("unreachable", "request_token got no answer: %s" % e)
        if status == 200 and isinstance(result, dict) and result.get("token"):
            return result
        if status == 403 and isinstance(result, dict) and "pin" in result:
            if pin is not None:
                raise Failure("invalid_pin", "the node asked again for a PIN after one was sent")
            pin_asked = True
            say("pin_required", guest_pin="none" if result.get("guest_pin") == "none" else "required")
            answer = commands.next(("pin", "leave"))
            if answer["type"] == "leave":
                return None
            pin = answer.get("pin") or ""
            continue
        if status == 403 and isinstance(result, dict) and "redirect_url" in result:
            # Sign in at the provider the node sends us to; the runner plays the user there.
            if body.get("sso_token"):
                raise Failure("forbidden", "the node asked to sign in again")
            idp = result.get("redirect_idp") or {}
            say("sso_required", redirect_url=result["redirect_url"], idp=idp)
            answer = commands.next(("sso", "leave"))
            if answer["type"] == "leave" or not answer.get("sso_token"):
                return None
            body["chosen_idp"] = idp.get("uuid") or result.get("idp_uuid")
            body["sso_token"] = answer["sso_token"]
            continue
        if status == 403 and isinstance(result, dict) and "idp" in result:
            if body.get("chosen_idp"):
                raise Failure("forbidden", "the node asked again for an identity provider")
            if not result["idp"]:
                raise Failure("forbidden", "single sign-on is required, but the node offers no identity provider")
            say("sso_required", idps=result["idp"])
            answer = commands.next(("sso", "leave"))
            if answer["type"] == "leave" or not answer.get("idp"):
                return None
            body["chosen_idp"] = answer["idp"]
            continue
        if status == 403 and isinstance(result, dict) and "conference_extension" in result:
            if "conference_extension" in body:
                raise Failure("not_found", "the reception asked again for an extension")
            say("extension_required")
            answer = commands.next(("extension", "leave"))
            if answer["type"] == "leave":
                return None
            body["conference_extension"] = answer.get("extension") or ""
            continue
        if status == 403 and result == "Invalid PIN":
            raise Failure("invalid_pin", "Invalid PIN" + (" (after the prompt)" if pin_asked else ""))
        if status == 403:
            raise Failure("forbidden", "request_token answered 403: %s" % (result,))
        if status == 404:
            raise Failure("not_found", "request_token answered 404: %s" % (result,))
        if status in (401, 407):
            raise Failure("forbidden", "a proxy refused the credentials (HTTP %d)" % status)
        if status >= 500:
            raise Failure("unreachable", "request_token answered HTTP %d" % status)
        raise Failure("protocol", "request_token answered HTTP %d: %s" % (status, result))


def find_node(start):
    """The node to use and the alias: from `node`, or by SRV discovery when `dns` is given."""
    conference = start.get("conference") or ""
    dns = (start.get("dns") or {}).get("server")
    if start.get("node"):
        return Node(start["node"], start.get("tls_ca"), start.get("proxy_auth")), conference
    if not dns or "@" not in conference:
        raise Failure("protocol", "start has neither a node nor dns with conference alias@domain")
    alias, _, domain = conference.rpartition("@")
    tried = []
    for url in discover(domain, dns):
        node = Node(url, start.get("tls_ca"), start.get("proxy_auth"))
        try:
            status, _ = node.call("GET", "/api/client/v2/status")
            if status == 200:
                return node, alias
        except OSError as e:
            log("node", url, "did not answer:", e)
        tried.append(url)
    raise Failure("unreachable", "no node for %s answered (tried %s)" % (domain, ", ".join(tried)))


def main():
    commands = Commands()
    start = commands.queue.get()
    if start.get("type") != "start":
        say("failed", reason="protocol", detail="the first message must be start")
        finish(1)
    if start.get("protocol") != 1:
        say("failed", reason="protocol", detail="protocol %r is not supported (this adapter speaks 1)" % start.get("protocol"))
        finish(1)
    try:
        node, alias = find_node(start)
        joined = join(node, alias, start, commands)
    except Failure as f:
        log("could not join:", f.detail)
        say("failed", reason=f.reason, detail=f.detail)
        finish(1)
    if joined is None:  # told to leave at a prompt: no token to release
        say("left")
        finish(0)
    session = begin(node, alias, start, joined, commands)
    while True:
        message = commands.next(("send_message", "leave", "_referred"))
        if message["type"] == "leave":
            session.leave()  # reports left and exits, unless the session had ended
            if session.referred:  # its token released; the new alias not joined yet
                say("left")
            finish(0)
        if message["type"] == "_referred":
            alias = message["alias"]
            try:
                joined = join(node, alias, {"display_name": start.get("display_name")}, commands, message["token"])
            except Failure as f:
                say("failed", reason=f.reason, detail="following a refer to %s: %s" % (alias, f.detail))
                finish(1)
            if joined is None:
                say("left")
                finish(0)
            session = begin(node, alias, start, joined, commands)
            continue
        session.send_message(message.get("text", ""))


def begin(node, alias, start, joined, commands):
    """Reports joined and starts the session's refresh and stream threads."""
    say("joined", participant_uuid=joined["participant_uuid"], role=joined.get("role", ""),
        service_type=joined.get("current_service_type") or joined.get("service_type") or "conference",
        display_name=joined.get("display_name") or start.get("display_name", ""))
    session = Session(node, alias, joined, commands)
    threading.Thread(target=session.refresh_loop, daemon=True).start()
    threading.Thread(target=session.stream_loop, daemon=True).start()
    return session


if __name__ == "__main__":
    main()
