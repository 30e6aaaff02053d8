// bench/planner.py's Node.js side: real y-websocket clients against one room.
//   node bench.mjs converge '{"serverUrl","room","params":{"token"},"clients":10,"waypoints":1000}'
//       10 clients join, then all insert their share of the waypoints at once (one
//       transaction each); prints {"ms": time until every client holds all of them}
//   node bench.mjs latency '{"serverUrl","room","params","trips":500}'
//       two clients; one edits, the other sees it: prints {"ms":[round trip per edit]}
import WebSocket from "ws";
import { WebsocketProvider } from "y-websocket";
import * as Y from "yjs";

const [mode, raw] = process.argv.slice(2);
const config = JSON.parse(raw);

function join() {
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(config.serverUrl, config.room, doc, {
    params: config.params || {},
    WebSocketPolyfill: WebSocket,
    disableBc: true,
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no sync within 30 s")), 30_000);
    provider.on("sync", (synced) => {
      if (synced) {
        clearTimeout(timer);
        resolve({ doc, provider });
      }
    });
  });
}

async function converge() {
  const clients = await Promise.all(Array.from({ length: config.clients }, join));
  const per = Math.ceil(config.waypoints / config.clients);
  const total = clients[0].doc.getArray("waypoints").length + per * config.clients;
  const done = clients.map(
    ({ doc }) =>
      new Promise((resolve) => {
        const points = doc.getArray("waypoints");
        const check = () => points.length >= total && resolve();
        points.observe(check);
        check();
      }),
  );
  const started = performance.now();
  clients.forEach(({ doc }, c) => {
    const points = doc.getArray("waypoints");
    for (let i = 0; i < per; i++) {
      const point = new Y.Map([["id", `c${c}-${i}`], ["lat", 46 + Math.random()], ["lon", 7 + Math.random()]]);
      points.insert(Math.floor(Math.random() * (points.length + 1)), [point]);
    }
  });
  await Promise.all(done);
  const ms = performance.now() - started;
  const lengths = clients.map(({ doc }) => doc.getArray("waypoints").length);
  clients.forEach(({ provider }) => provider.destroy());
  return { ms, lengths };
}

async function latency() {
  const [a, b] = [await join(), await join()];
  const ms = [];
  const mapA = a.doc.getMap("bench");
  const mapB = b.doc.getMap("bench");
  for (let i = 0; i < config.trips; i++) {
    const seen = new Promise((resolve) => {
      const check = () => {
        if (mapB.get("n") === i) {
          mapB.unobserve(check);
          resolve();
        }
      };
      mapB.observe(check);
    });
    const started = performance.now();
    mapA.set("n", i);
    await seen;
    ms.push(performance.now() - started);
  }
  a.provider.destroy();
  b.provider.destroy();
  return { ms };
}

const result = await (mode === "converge" ? converge() : latency());
process.stdout.write(JSON.stringify(result) + "\n");
process.exit(0);
