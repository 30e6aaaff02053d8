// JS Yjs replicas for the chaos test, driven by Python over stdin/stdout (one JSON request a
// line, one JSON answer a line). Replicas are keyed by the caller; each keeps its own Y.Doc.
//   {"op":"round","items":[{"key","clientId","deliver":[b64],"ops":n,"seed":s}]}
//       apply the delivered updates (in the given order), make n random edits,
//       answer {"results":{key:[b64 update per edit]}}
//   {"op":"sync","items":[{"key","deliver":[b64],"sv":b64}]}
//       apply, answer {key:{"sv":own state vector,"diff":update the given state vector lacks}}
//   {"op":"state","keys":[...]}   answer {key: the document as JSON} and forget the replicas
import * as readline from "node:readline";
import * as Y from "yjs";

const replicas = new Map();
const fromB64 = (text) => new Uint8Array(Buffer.from(text, "base64"));
const toB64 = (bytes) => Buffer.from(bytes).toString("base64");

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function replica(key, clientId) {
  let entry = replicas.get(key);
  if (!entry) {
    const doc = new Y.Doc({ guid: key }); // a given guid: lib0's uuidv4 is slow
    if (clientId) doc.clientID = clientId;
    entry = { doc, made: [] };
    doc.on("update", (update, origin) => {
      if (origin !== "remote") entry.made.push(toB64(update));
    });
    replicas.set(key, entry);
  }
  return entry;
}

function deliver(entry, updates) {
  // One transaction for the whole delivery, as a provider applying a burst would.
  Y.transact(entry.doc, () => {
    for (const update of updates || []) Y.applyUpdate(entry.doc, fromB64(update), "remote");
  }, "remote");
}

function edit(doc, random, tag) {
  const points = doc.getArray("waypoints");
  const notes = doc.getText("notes");
  const roll = random();
  const size = points.length;
  const int = (n) => Math.floor(random() * n);
  if (roll < 0.4 || size === 0) {
    const point = new Y.Map([["id", tag], ["lat", random() * 160 - 80], ["lon", random() * 360 - 180]]);
    points.insert(int(size + 1), [point]);
  } else if (roll < 0.55) {
    points.delete(int(size), 1);
  } else if (roll < 0.7) {
    const index = int(size);
    const moved = points.get(index);
    const copy = moved instanceof Y.Map ? new Y.Map(Object.entries(moved.toJSON())) : null;
    doc.transact(() => {
      points.delete(index, 1);
      if (copy) points.insert(int(size), [copy]);
    });
  } else if (roll < 0.8) {
    const point = points.get(int(size));
    if (point instanceof Y.Map) point.set("lat", random() * 160 - 80);
  } else if (roll < 0.9) {
    const at = int(notes.length + 1);
    if (notes.length > 0 && random() < 0.3) notes.delete(int(notes.length), 1);
    else notes.insert(at, "xy");
  } else {
    doc.getMap("meta").set("name", `name ${tag}`);
  }
}

function round(items) {
  const results = {};
  for (const item of items) {
    const entry = replica(item.key, item.clientId);
    deliver(entry, item.deliver);
    entry.made = [];
    const random = mulberry32(item.seed);
    for (let i = 0; i < item.ops; i++) edit(entry.doc, random, `${item.key}/${item.seed}/${i}`);
    results[item.key] = entry.made;
    entry.made = [];
  }
  return results;
}

function sync(items) {
  const results = {};
  for (const item of items) {
    const entry = replica(item.key, item.clientId);
    deliver(entry, item.deliver);
    entry.made = [];
    results[item.key] = {
      sv: toB64(Y.encodeStateVector(entry.doc)),
      diff: toB64(Y.encodeStateAsUpdate(entry.doc, item.sv ? fromB64(item.sv) : undefined)),
    };
  }
  return results;
}

function state(keys) {
  const results = {};
  for (const key of keys) {
    const { doc } = replica(key);
    results[key] = {
      waypoints: doc.getArray("waypoints").toJSON(),
      notes: doc.getText("notes").toString(),
      meta: doc.getMap("meta").toJSON(),
    };
    doc.destroy();
    replicas.delete(key);
  }
  return results;
}

const handlers = { round: (r) => round(r.items), sync: (r) => sync(r.items), state: (r) => state(r.keys) };
const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  let answer;
  try {
    const request = JSON.parse(line);
    answer = { result: handlers[request.op](request) };
  } catch (error) {
    answer = { error: String(error && error.stack ? error.stack : error) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
}
