// A Pexip client in the browser: fetch for requests, the browser's own
// EventSource for the event stream, no library. Written from
// docs/client-api.md and docs/driver-protocol.md; driven through the web
// bridge (Examples/web-bridge), which delivers runner messages to
// window.mockmcu.onmessage and carries window.mockmcu.send back.
"use strict";

const REFRESH_RETRIES = 4;       // retries of one refresh on 502/503/504 or no answer
const MAX_STREAM_FAILURES = 5;   // failed stream connections in a row before giving up
const EVENTS = ["participant_sync_begin", "participant_create", "participant_update", "participant_delete",
                "participant_sync_end", "message_received", "disconnect", "conference_update", "refer"];

const say = (type, fields = {}) => window.mockmcu.send({ type, ...fields });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Runner messages, awaited by type; others are dropped with a note.
const inbox = [];
let waiting = null;
window.mockmcu.onmessage = (msg) => {
  if (waiting && waiting.types.includes(msg.type)) {
    const w = waiting;
    waiting = null;
    w.resolve(msg);
  } else if (session) {
    session.command(msg);
  } else {
    inbox.push(msg);
  }
};
function next(types) {
  const i = inbox.findIndex((m) => types.includes(m.type));
  if (i >= 0) return Promise.resolve(inbox.splice(i, 1)[0]);
  return new Promise((resolve) => { waiting = { types, resolve }; });
}

class Failure extends Error {
  constructor(reason, detail) { super(detail); this.reason = reason; }
}

class Node {
  constructor(base) { this.base = base.replace(/\/$/, ""); }
  path(alias, request) { return `/api/client/v2/conferences/${encodeURIComponent(alias)}/${request}`; }
  // Returns {status, result}; throws on no answer.
  async call(method, path, { token, body, headers = {} } = {}) {
    const h = { Accept: "application/json", ...headers };
    if (token) h.token = token;
    const init = { method, headers: h };
    if (body !== undefined) {
      h["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(this.base + path, init);
    let result = null;
    try { result = (await response.json()).result; } catch (e) { /* not JSON */ }
    return { status: response.status, result };
  }
}

async function join(node, alias, start, oneTimeToken) {
  const body = { display_name: start.display_name || "web-client" };
  if (oneTimeToken) body.token = oneTimeToken;  // from a refer: admits without a PIN
  if (start.extension) body.conference_extension = start.extension;
  let pin = start.pin;
  let asked = false;
  for (;;) {
    const headers = {};
    if (pin !== undefined && pin !== null) headers.pin = pin.trim() || "none";
    let r;
    try {
      r = await node.call("POST", node.path(alias, "request_token"), { body, headers });
    } catch (e) {
      throw new Failure("unreachable", `request_token got no answer: ${e}`);
    }
    const result = r.result;
    if (r.status === 200 && result && result.token) return result;
    if (r.status === 403 && result && typeof result === "object" && "pin" in result) {
      if (pin !== undefined && pin !== null) throw new Failure("invalid_pin", "the node asked again for a PIN after one was sent");
      asked = true;
      say("pin_required", { guest_pin: result.guest_pin === "none" ? "none" : "required" });
      const answer = await next(["pin", "leave"]);
      if (answer.type === "leave") return null;
      pin = answer.pin || "";
      continue;
    }
    if (r.status === 403 && result && typeof result === "object" && "conference_extension" in result) {
      if ("conference_extension" in body) throw new Failure("not_found", "the reception asked again for an extension");
      say("extension_required");
      const answer = await next(["extension", "leave"]);
      if (answer.type === "leave") return null;
      body.conference_extension = answer.extension || "";
      continue;
    }
    if (r.status === 403 && result === "Invalid PIN") throw new Failure("invalid_pin", "Invalid PIN" + (asked ? " (after the prompt)" : ""));
    if (r.status === 403) throw new Failure("forbidden", `request_token answered 403: ${JSON.stringify(result)}`);
    if (r.status === 404) throw new Failure("not_found", `request_token answered 404: ${JSON.stringify(result)}`);
    if (r.status === 401 || r.status === 407) throw new Failure("forbidden", `a proxy refused the request (HTTP ${r.status})`);
    if (r.status >= 500) throw new Failure("unreachable", `request_token answered HTTP ${r.status}`);
    throw new Failure("protocol", `request_token answered HTTP ${r.status}`);
  }
}

class Session {
  constructor(node, alias, joined, displayName) {
    this.displayName = displayName;
    this.node = node;
    this.alias = alias;
    this.token = joined.token;
    this.expires = Number(joined.expires) || 120;
    this.issued = performance.now();
    this.active = true;
    this.refreshing = null;   // the refresh on the wire, if any
    this.roster = new Map();
    this.syncing = null;
    this.stream = null;
    this.failures = 0;
    this.lost = false;
    this.scheduleRefresh();
    this.openStream();
  }

  // The newest token, after any refresh on the wire.
  async currentToken() {
    while (this.refreshing) await this.refreshing;
    return this.token;
  }

  scheduleRefresh() {
    const due = this.issued + this.expires * 500;
    this.refreshTimer = setTimeout(() => {
      if (!this.active) return;
      this.refreshing = this.refresh(this.token).finally(() => {
        this.refreshing = null;
        if (this.active) this.scheduleRefresh();
      });
    }, Math.max(0, due - performance.now()));
  }

  async refresh(used) {
    for (let attempt = 0; ; attempt++) {
      let status = null, result = null;
      try {
        ({ status, result } = await this.node.call("POST", this.node.path(this.alias, "refresh_token"), { token: used }));
      } catch (e) { result = String(e); }
      if (status === 200 && result && result.token) {
        this.token = result.token;  // also after leave began: the release must carry the newest
        this.expires = Number(result.expires) || this.expires;
        this.issued = performance.now();
        return;
      }
      if (!this.active) return;
      if (status === 403) return this.endDisconnected(typeof result === "string" ? result : "Invalid token");
      if (status !== null && ![502, 503, 504].includes(status)) {
        return this.endFailed("protocol", `refresh_token answered HTTP ${status}`);
      }
      const left = this.issued + this.expires * 1000 - performance.now();
      if (attempt + 1 > REFRESH_RETRIES || left <= 0) return this.endFailed("unreachable", `token refresh kept failing (${status})`);
      console.log(`refresh got ${status}; retrying`);
      await sleep(Math.min(250 * 2 ** attempt, Math.max(50, left / 2)));
    }
  }

  async openStream() {
    if (!this.active) return;
    const token = await this.currentToken();
    const url = `${this.node.base}${this.node.path(this.alias, "events")}?token=${encodeURIComponent(token)}`;
    const es = new EventSource(url);
    this.stream = es;
    es.onopen = () => {
      this.failures = 0;
      if (this.lost) {
        this.lost = false;
        say("reconnected");
      }
    };
    for (const name of EVENTS) {
      es.addEventListener(name, (e) => {
        let data = null;
        try { data = JSON.parse(e.data); } catch (err) { data = e.data; }
        this.handle(name, data);
      });
    }
    es.onerror = async () => {
      // The browser would reconnect by itself, with the token in the URL it first had;
      // this client reconnects itself, with the newest token and a growing delay.
      es.close();
      if (this.stream !== es || !this.active) return;
      this.stream = null;
      this.lost = true;
      this.failures += 1;
      // EventSource does not say why it failed: a 403 (the token no longer works, as after an
      // ejection) ends the session; ask the node with the same token to tell which.
      try {
        const check = await this.node.call("GET", this.node.path(this.alias, "conference_status"), { token: await this.currentToken() });
        if (check.status === 403) return this.endDisconnected(typeof check.result === "string" ? check.result : "Invalid token");
      } catch (e) { /* no answer: the node is away; try the stream again below */ }
      if (!this.active) return;
      if (this.failures > MAX_STREAM_FAILURES) {
        return this.endFailed("unreachable", `event stream lost ${this.failures} times in a row`);
      }
      const delay = Math.min(5000, 500 * this.failures) * (0.8 + 0.4 * Math.random());
      console.log(`event stream lost; again in ${Math.round(delay)} ms`);
      setTimeout(() => this.openStream(), delay);
    };
  }

  handle(event, data) {
    if (!this.active) return;
    if (event === "participant_sync_begin") {
      this.syncing = new Map();
    } else if ((event === "participant_create" || event === "participant_update") && data && data.uuid) {
      if (this.syncing) this.syncing.set(data.uuid, data);
      else { this.roster.set(data.uuid, data); this.reportRoster(); }
    } else if (event === "participant_delete" && data) {
      if (this.syncing) this.syncing.delete(data.uuid);
      else if (this.roster.delete(data.uuid)) this.reportRoster();
    } else if (event === "participant_sync_end") {
      this.roster = this.syncing || new Map();
      this.syncing = null;
      this.reportRoster();
    } else if (event === "message_received" && data && typeof data === "object") {
      say("message", { origin: data.origin || "", uuid: data.uuid || "", text: data.payload || "" });
    } else if (event === "disconnect") {
      this.endDisconnected((data && data.reason) || "Disconnected by remote host");
    } else if (event === "refer" && data && data.alias && data.token) {
      this.handOver(data.alias, data.token);
    }
  }

  reportRoster() {
    say("roster", { participants: [...this.roster.values()].map((p) => ({ uuid: p.uuid, display_name: p.display_name || "", role: p.role || "" })) });
  }

  stop() {
    if (!this.active) return false;
    this.active = false;
    clearTimeout(this.refreshTimer);
    if (this.stream) { this.stream.close(); this.stream = null; }
    return true;
  }

  // A refer (a host's transfer): release this token, join the alias with the one-time token,
  // report joined again. Runner messages wait in the inbox meanwhile.
  async handOver(alias, oneTimeToken) {
    if (!this.stop()) return;
    session = null;
    const token = await this.currentToken();
    try {
      const r = await this.node.call("POST", this.node.path(this.alias, "release_token"), { token });
      console.log(`referred to ${alias}; release_token answered ${r.status}`);
    } catch (e) { console.log(`release_token got no answer: ${e}`); }
    await begin(this.node, alias, { display_name: this.displayName }, oneTimeToken);
  }

  endDisconnected(reason) { if (this.stop()) say("disconnected", { reason }); }
  endFailed(reason, detail) { if (this.stop()) say("failed", { reason, detail }); }

  async command(msg) {
    if (msg.type === "leave") {
      if (!this.stop()) return;
      const token = await this.currentToken();  // waits for a refresh on the wire: its token is the newest
      try {
        const r = await this.node.call("POST", this.node.path(this.alias, "release_token"), { token });
        console.log(`release_token answered ${r.status}`);
      } catch (e) { console.log(`release_token got no answer: ${e}`); }
      say("left");
    } else if (msg.type === "send_message" && this.active) {
      const token = await this.currentToken();
      try {
        const r = await this.node.call("POST", this.node.path(this.alias, "message"), { token, body: { type: "text/plain", payload: msg.text || "" } });
        if (r.status !== 200) console.log(`message answered ${r.status}`);
      } catch (e) { console.log(`message got no answer: ${e}`); }
    }
  }
}

let session = null;

(async () => {
  const start = await next(["start"]);
  if (start.protocol !== 1) return say("failed", { reason: "protocol", detail: `protocol ${start.protocol} is not supported` });
  if (!start.node) return say("failed", { reason: "protocol", detail: "no node in start (SRV discovery is not possible in a browser)" });
  const node = new Node(start.node);
  await begin(node, start.conference || "", start);
})();

// Joins (with a refer's one-time token, when following one), reports joined and starts the session.
async function begin(node, alias, start, oneTimeToken) {
  let joined;
  try {
    joined = await join(node, alias, start, oneTimeToken);
  } catch (e) {
    console.log(`could not join: ${e.message}`);
    return say("failed", { reason: e.reason || "protocol", detail: e.message });
  }
  if (joined === null) return say("left");  // told to leave at a prompt: no token to release
  say("joined", { participant_uuid: joined.participant_uuid, role: joined.role || "",
                  service_type: joined.current_service_type || joined.service_type || "conference",
                  display_name: joined.display_name || start.display_name || "" });
  session = new Session(node, alias, joined, start.display_name);
  // Commands that came while joining (a leave, a message) are handled now, in order.
  for (const msg of inbox.splice(0)) await session.command(msg);
}
