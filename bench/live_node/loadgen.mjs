// The load generator of bench/live.py: riders and viewers speaking docs/live-protocol.md.
//
// One process, driven over stdin/stdout: each input line is a JSON command with an "id",
// each output line the JSON reply with the same id (logs go to stderr). Riders send one
// delta-encoded batch of `points` positions every 1/rate_hz s, keep every unacknowledged
// batch and resend them after a reconnect. Viewers check that sequence numbers arrive once
// and in order (or are named by a gap / new_epoch notice) and time each message from its
// rider's send to their receive, both in this process (performance.now()).
//
// Commands: riders, viewers, snapshot, stop_riders, drain, close_viewers, close_riders, exit.
// Run: node loadgen.mjs   (bench/live.py starts it)

import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import WebSocket from "ws";

const MSG_PREFIX = Buffer.from('{"type":"msg","seq":');
const BATCH_KEY = Buffer.from('"batch":');
const POINT_STEP_MS = 100;
const counters = {
  ackedBatches: 0,
  ackedPositions: 0,
  duplicates: 0,
  refused: 0,
  delivered: 0,
  violations: 0,
  gaps: 0,
  newEpochs: 0,
  riderReconnects: 0,
  viewerReconnects: 0,
  viewerFailures: 0,
};
let latencies = {}; // tag -> [rider send -> viewer receive, ms] since the last snapshot
let ackLatencies = []; // rider send -> ack, ms
let deflate = true; // offer permessage-deflate, as browsers do
const riders = new Map(); // ride index -> Rider
const viewers = [];

function readInt(buf, pos) {
  let i = pos;
  let value = 0;
  while (i < buf.length) {
    const c = buf[i];
    if (c < 48 || c > 57) break;
    value = value * 10 + (c - 48);
    i++;
  }
  return i === pos ? -1 : value;
}

function backoffMs(attempt) {
  return Math.random() * Math.min(2000, 100 * 2 ** attempt);
}

class Rider {
  constructor(spec, rateHz, points) {
    this.url = spec.url;
    this.token = spec.token;
    this.ride = spec.ride;
    this.rateHz = rateHz;
    this.points = points;
    this.batchNo = 0;
    this.clockMs = Date.now() - 24 * 3600 * 1000 + spec.ride * 1000; // ride time, in the past
    this.unacked = []; // [{batch, frame, sentAt}]
    this.sendTimes = new Map(); // batch -> performance.now() of its first send
    this.lastSeq = 0;
    this.socket = null;
    this.ready = false;
    this.stopped = false;
    this.closing = false;
    this.attempt = 0;
    this.timer = null;
    this.starter = null;
  }

  connect() {
    return new Promise((resolve) => {
      const socket = new WebSocket(this.url, { perMessageDeflate: deflate, handshakeTimeout: 30000 });
      this.socket = socket;
      let welcomed = false;
      socket.on("open", () => socket.send(JSON.stringify({ type: "hello", token: this.token })));
      socket.on("message", (raw) => {
        const message = JSON.parse(raw);
        if (!welcomed && message.type === "welcome") {
          welcomed = true;
          this.ready = true;
          this.attempt = 0;
          for (const item of this.unacked) socket.send(item.frame);
          resolve(true);
          return;
        }
        this.onMessage(message);
      });
      socket.on("error", () => {});
      socket.on("close", () => {
        this.ready = false;
        if (!welcomed) resolve(false);
        if (this.closing) return;
        counters.riderReconnects++;
        this.attempt++;
        setTimeout(() => this.connect(), backoffMs(this.attempt));
      });
    });
  }

  start(offsetMs) {
    this.stopped = false;
    this.starter = setTimeout(() => {
      this.tick();
      this.timer = setInterval(() => this.tick(), 1000 / this.rateHz);
    }, offsetMs);
  }

  frame() {
    const n = ++this.batchNo;
    const p = this.points;
    const first = (n - 1) * p;
    const t0 = this.clockMs + first * POINT_STEP_MS;
    const lat0 = 515000000 + first * 72 + this.ride * 1000;
    const lon0 = -1200000 + first * 10;
    const ele0 = 1000 + (first % 50);
    const rest = (delta) => `,${delta}`.repeat(p - 1);
    const hr = Array.from({ length: p }, (_, i) => 120 + ((first + i) % 40)).join(",");
    const pwr = Array.from({ length: p }, (_, i) => 200 + ((first + i) % 50)).join(",");
    return (
      `{"type":"batch","batch":${n},"t":[${t0}${rest(POINT_STEP_MS)}],` +
      `"lat":[${lat0}${rest(72)}],"lon":[${lon0}${rest(10)}],"ele":[${ele0}${rest(0)}],` +
      `"hr":[${hr}],"pwr":[${pwr}],"cad":[${"85,".repeat(p - 1)}85]}`
    );
  }

  tick() {
    if (this.stopped) return;
    const batch = this.batchNo + 1;
    const frame = this.frame();
    const now = performance.now();
    this.unacked.push({ batch, frame, sentAt: now });
    this.sendTimes.set(batch, now);
    this.sendTimes.delete(batch - 600);
    if (this.ready) this.socket.send(frame);
  }

  onMessage(message) {
    if (message.type === "ack") {
      while (this.unacked.length > 0 && this.unacked[0].batch <= message.batch) {
        const item = this.unacked.shift();
        if (item.batch === message.batch) ackLatencies.push(performance.now() - item.sentAt);
        if (message.duplicate) {
          counters.duplicates++;
        } else {
          counters.ackedBatches++;
          counters.ackedPositions += this.points;
        }
      }
      if (message.seq !== null) this.lastSeq = Math.max(this.lastSeq, message.seq);
    } else if (message.type === "error") {
      if (message.code === "unavailable") return; // the server closes with 1013; we resend
      counters.refused++;
      process.stderr.write(`rider ${this.ride}: ${JSON.stringify(message)}\n`);
      this.unacked.shift();
    }
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.starter);
    clearInterval(this.timer);
  }

  close() {
    this.stop();
    this.closing = true;
    this.socket?.close(1000);
  }
}

class Viewer {
  constructor(url, ride, tag) {
    this.url = url;
    this.samples = latencies[tag] ?? (latencies[tag] = []);
    this.tag = tag;
    this.rider = riders.get(ride) ?? null;
    this.epoch = null;
    this.lastSeq = null;
    this.startSeq = null;
    this.violations = 0;
    this.gaps = 0;
    this.socket = null;
    this.closing = false;
    this.welcomed = false;
    this.attempt = 0;
  }

  connect() {
    return new Promise((resolve) => {
      const socket = new WebSocket(this.url, { perMessageDeflate: deflate, handshakeTimeout: 20000 });
      this.socket = socket;
      let welcomed = false;
      socket.on("open", () => {
        const hello = { type: "hello", epoch: this.epoch, last_seq: this.lastSeq };
        socket.send(JSON.stringify(hello));
      });
      socket.on("message", (raw) => {
        if (raw.indexOf(MSG_PREFIX) === 0) {
          this.onMsg(raw);
          return;
        }
        const message = JSON.parse(raw);
        if (message.type === "welcome" && !welcomed) {
          welcomed = true;
          this.welcomed = true;
          this.attempt = 0;
          resolve(true);
        }
        this.onNotice(message);
      });
      socket.on("error", () => {});
      socket.on("close", () => {
        if (!welcomed) resolve(false);
        if (this.closing || !welcomed) return;
        counters.viewerReconnects++;
        this.attempt++;
        setTimeout(() => this.connect(), backoffMs(this.attempt));
      });
    });
  }

  onMsg(raw) {
    const seq = readInt(raw, MSG_PREFIX.length);
    counters.delivered++;
    if (this.lastSeq !== null && seq !== this.lastSeq + 1) {
      this.violations++;
      counters.violations++;
    }
    this.lastSeq = seq;
    if (this.rider === null) return;
    const at = raw.indexOf(BATCH_KEY);
    if (at < 0) return;
    const sentAt = this.rider.sendTimes.get(readInt(raw, at + BATCH_KEY.length));
    if (sentAt !== undefined) this.samples.push(performance.now() - sentAt);
  }

  onNotice(message) {
    if (message.type === "welcome") {
      if (this.epoch === null || this.lastSeq === null) {
        this.epoch = message.epoch;
        this.startSeq = message.seq;
        this.lastSeq = message.seq;
      }
    } else if (message.type === "gap") {
      this.gaps++;
      counters.gaps++;
      this.lastSeq = message.missed_to;
    } else if (message.type === "new_epoch") {
      counters.newEpochs++;
      this.epoch = message.epoch;
      this.lastSeq = message.first_seq === null ? null : message.first_seq - 1;
    }
  }

  close() {
    this.closing = true;
    this.socket?.close(1000);
  }
}

const rounded = (values) => values.map((ms) => Math.round(ms * 1000) / 1000);

async function connectAll(items, concurrency, deadline = Infinity) {
  let next = 0;
  let failed = 0;
  async function worker() {
    while (next < items.length && performance.now() < deadline) {
      const item = items[next++];
      let ok = false;
      for (let attempt = 0; attempt < 5 && !ok; attempt++) {
        ok = await item.connect();
        if (!ok) await new Promise((r) => setTimeout(r, backoffMs(attempt + 2)));
      }
      if (!ok) failed++;
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  const skipped = items.length - next;
  items.splice(next); // never started: not part of the run
  return failed + skipped;
}

function startRiders(list) {
  list.forEach((rider, i) => rider.start(((i / list.length) * 1000) / rider.rateHz));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const commands = {
  async riders({ riders: specs, rate_hz: rateHz, points, deflate: offer }) {
    if (offer !== undefined) deflate = offer;
    const added = specs.map((spec) => new Rider(spec, rateHz, points));
    for (const rider of added) riders.set(rider.ride, rider);
    const started = performance.now();
    const failed = await connectAll(added, 20);
    startRiders(added);
    return { connected: added.length - failed, failed, seconds: (performance.now() - started) / 1000 };
  },

  // Connects viewers `concurrency` at a time; with `pause`, riders stop sending meanwhile
  // (connecting is measured apart from the steady load); none are started after `timeout_s`.
  async viewers({ groups, concurrency, deflate: offer, pause, timeout_s: timeoutS }) {
    if (offer !== undefined) deflate = offer;
    const added = [];
    for (const { url, ride, count, tag } of groups) {
      for (let i = 0; i < count; i++) added.push(new Viewer(url, ride, tag ?? "main"));
    }
    const requested = added.length;
    const paused = pause ? [...riders.values()] : [];
    for (const rider of paused) rider.stop();
    const started = performance.now();
    await connectAll(added, concurrency ?? 100, started + (timeoutS ?? 1e9) * 1000);
    const seconds = (performance.now() - started) / 1000;
    startRiders(paused);
    const connected = added.filter((viewer) => viewer.welcomed);
    viewers.push(...connected);
    counters.viewerFailures += requested - connected.length;
    return { connected: connected.length, failed: requested - connected.length, seconds };
  },

  async snapshot() {
    const usage = process.cpuUsage();
    const reply = {
      ...counters,
      latency_ms: Object.fromEntries(
        Object.entries(latencies).map(([tag, values]) => [tag, rounded(values)]),
      ),
      ack_latency_ms: rounded(ackLatencies),
      cpu_s: (usage.user + usage.system) / 1e6,
    };
    for (const values of Object.values(latencies)) values.length = 0;
    ackLatencies = [];
    return reply;
  },

  async stop_riders({ timeout_s: timeoutS }) {
    for (const rider of riders.values()) rider.stop();
    const deadline = performance.now() + timeoutS * 1000;
    const pending = () => [...riders.values()].reduce((n, r) => n + r.unacked.length, 0);
    while (pending() > 0 && performance.now() < deadline) await sleep(50);
    return { unacked: pending() };
  },

  async drain({ timeout_s: timeoutS }) {
    const watched = viewers.filter((v) => v.rider !== null && !v.closing);
    const behind = () => watched.filter((v) => v.lastSeq === null || v.lastSeq < v.rider.lastSeq);
    const deadline = performance.now() + timeoutS * 1000;
    while (behind().length > 0 && performance.now() < deadline) await sleep(100);
    const complete = watched.filter(
      (v) => v.lastSeq !== null && v.lastSeq >= v.rider.lastSeq && v.violations === 0,
    );
    return {
      viewers: watched.length,
      complete: complete.length,
      behind: behind().length,
      with_violations: watched.filter((v) => v.violations > 0).length,
      with_gaps: watched.filter((v) => v.gaps > 0).length,
      gaps: watched.reduce((n, v) => n + v.gaps, 0),
    };
  },

  async close_viewers() {
    for (const viewer of viewers) viewer.close();
    viewers.length = 0;
    await sleep(500);
    return { closed: true };
  },

  async close_riders() {
    for (const rider of riders.values()) rider.close();
    riders.clear();
    await sleep(200);
    return { closed: true };
  },

  async exit() {
    setTimeout(() => process.exit(0), 50);
    return { bye: true };
  },
};

const lines = createInterface({ input: process.stdin });
let queue = Promise.resolve();
lines.on("line", (line) => {
  if (!line.trim()) return;
  const command = JSON.parse(line);
  queue = queue.then(async () => {
    let reply;
    try {
      reply = { id: command.id, ok: true, ...(await commands[command.cmd](command)) };
    } catch (error) {
      reply = { id: command.id, ok: false, error: String(error?.stack ?? error) };
    }
    process.stdout.write(`${JSON.stringify(reply)}\n`);
  });
});
lines.on("close", () => process.exit(0));
