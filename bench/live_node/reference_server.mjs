// The reference peer of bench/live.py: a minimal live broadcast server on Node.js and `ws`.
//
// It speaks the frames of docs/live-protocol.md that the load generator uses, on the same
// paths: a rider's hello gets a welcome, each batch is decoded (deltas to absolute values),
// acknowledged with its sequence number and broadcast once-encoded as
// {"type":"msg","seq":...,"data":{...}} to the viewers of that ride; a viewer's hello gets a
// welcome. No database, no history, no authentication: the floor a real server is measured
// against.
//
// Run: node reference_server.mjs PORT

import http from "node:http";
import { WebSocketServer } from "ws";

const port = Number(process.argv[2] ?? 8090);
const PATH = /^\/api\/v1\/live\/sessions\/([0-9a-fA-F-]{1,64})\/(ride|watch)$/;
const channels = new Map(); // session id -> {seq, lastBatch, viewers: Set<WebSocket>}

function channel(id) {
  let found = channels.get(id);
  if (found === undefined) {
    found = { seq: 0, lastBatch: 0, viewers: new Set() };
    channels.set(id, found);
  }
  return found;
}

function undelta(values, scale, digits) {
  const out = new Array(values.length);
  let total = 0;
  for (let i = 0; i < values.length; i++) {
    total += values[i];
    out[i] = scale === 1 ? total : Number((total * scale).toFixed(digits));
  }
  return out;
}

function positions(id, frame) {
  const data = { kind: "positions", session: id, batch: frame.batch, t: undelta(frame.t, 1, 0) };
  if (frame.lat) data.lat = undelta(frame.lat, 1e-7, 7);
  if (frame.lon) data.lon = undelta(frame.lon, 1e-7, 7);
  if (frame.ele) data.ele = undelta(frame.ele, 0.1, 1);
  for (const key of ["hr", "pwr", "cad"]) if (frame[key]) data[key] = frame[key];
  return data;
}

function serveRider(socket, id, state) {
  socket.on("message", (raw, isBinary) => {
    let frame;
    try {
      frame = JSON.parse(raw);
    } catch {
      socket.send('{"type":"error","code":"malformed","detail":"expected JSON"}');
      return;
    }
    if (isBinary || frame.type !== "batch" || !Array.isArray(frame.t)) {
      if (frame.type === "ping") socket.send('{"type":"pong"}');
      return;
    }
    if (frame.batch <= state.lastBatch) {
      socket.send(`{"type":"ack","batch":${frame.batch},"seq":null,"duplicate":true}`);
      return;
    }
    state.lastBatch = frame.batch;
    const seq = ++state.seq;
    const message = Buffer.from(
      `{"type":"msg","seq":${seq},"data":${JSON.stringify(positions(id, frame))}}`,
    );
    for (const viewer of state.viewers) viewer.send(message, { binary: false });
    socket.send(`{"type":"ack","batch":${frame.batch},"seq":${seq},"duplicate":false}`);
  });
}

function hello(socket, id, role) {
  socket.once("message", (raw) => {
    let frame;
    try {
      frame = JSON.parse(raw);
    } catch {
      socket.close(1008, "expected a hello frame");
      return;
    }
    if (frame.type !== "hello") {
      socket.close(1008, "expected a hello frame");
      return;
    }
    const state = channel(id);
    if (role === "ride") {
      socket.send(
        JSON.stringify({
          type: "welcome",
          session: id,
          last_batch: state.lastBatch,
          last_time_ms: null,
        }),
      );
      serveRider(socket, id, state);
      return;
    }
    socket.send(
      JSON.stringify({
        type: "welcome",
        channel: `ride:${id}`,
        epoch: "reference",
        seq: state.seq,
        first_seq: 1,
        resumed: false,
      }),
    );
    state.viewers.add(socket);
    socket.on("close", () => state.viewers.delete(socket));
  });
}

const server = http.createServer((_request, response) => {
  response.writeHead(200, { "content-type": "text/plain" });
  response.end("ok\n");
});
const wss = new WebSocketServer({ server, maxPayload: 64 * 1024 });
wss.on("connection", (socket, request) => {
  const match = PATH.exec(request.url ?? "");
  if (match === null) {
    socket.close(4004, "no such session");
    return;
  }
  socket.on("error", () => {});
  hello(socket, match[1], match[2]);
});
server.listen(port, "127.0.0.1", () => {
  process.stderr.write(`reference server on 127.0.0.1:${port}\n`);
});
process.on("SIGTERM", () => process.exit(0));
