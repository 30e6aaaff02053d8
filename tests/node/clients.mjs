// Real y-websocket clients (npm yjs + y-websocket + ws) driven by Python over stdin/stdout:
// one JSON request a line, one JSON answer a line. Each client is a Y.Doc with a
// WebsocketProvider connected to serverUrl/roomname?token=... (or ?ticket=...)
//   {"op":"connect","name","serverUrl","room","token"|"ticket"} answer once synced
//   {"op":"edit","name","edits":[...]}                        local edits (online or offline)
//   {"op":"disconnect","name"} / {"op":"reconnect","name"}    go offline / back (answer once synced)
//   {"op":"move","name","serverUrl"}                          reconnect to another node (synced)
//   {"op":"state","name"}                                     the document as JSON
//   {"op":"awareness","name","state":{...}}                   set the local awareness state
//   {"op":"peers","name"}                                     awareness states of the others
//   {"op":"close","name"}
// Edits: {"insert":index,"id","lat","lon"} {"delete":index} {"move":[from,to]}
//        {"set":index,"lat","lon"} {"name":text} {"notes":text} (appended)
import * as readline from "node:readline";
import WebSocket from "ws";
import { WebsocketProvider } from "y-websocket";
import * as Y from "yjs";

const clients = new Map();
const SYNC_TIMEOUT_MS = 20_000;

function whenSynced(provider) {
  if (provider.synced) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("not synced within 20 s")), SYNC_TIMEOUT_MS);
    const onSync = (synced) => {
      if (!synced) return;
      clearTimeout(timer);
      provider.off("sync", onSync);
      resolve();
    };
    provider.on("sync", onSync);
  });
}

function connect({ name, serverUrl, room, token, ticket }) {
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(serverUrl, room, doc, {
    params: ticket ? { ticket } : { token },
    WebSocketPolyfill: WebSocket,
    disableBc: true,
  });
  const closes = [];
  provider.on("connection-close", (event) => closes.push(event ? event.code : null));
  clients.set(name, { doc, provider, closes });
  return whenSynced(provider).then(() => ({ clientId: doc.clientID }));
}

function edit(doc, change) {
  const points = doc.getArray("waypoints");
  if ("insert" in change) {
    const point = new Y.Map([["id", change.id], ["lat", change.lat], ["lon", change.lon]]);
    points.insert(change.insert, [point]);
  } else if ("delete" in change) {
    points.delete(change.delete, 1);
  } else if ("move" in change) {
    const [from, to] = change.move;
    const copy = new Y.Map(Object.entries(points.get(from).toJSON()));
    doc.transact(() => {
      points.delete(from, 1);
      points.insert(to, [copy]);
    });
  } else if ("set" in change) {
    const point = points.get(change.set);
    doc.transact(() => {
      point.set("lat", change.lat);
      point.set("lon", change.lon);
    });
  } else if ("name" in change) {
    doc.getMap("meta").set("name", change.name);
  } else if ("notes" in change) {
    const notes = doc.getText("notes");
    notes.insert(notes.length, change.notes);
  }
}

function state(doc) {
  return {
    waypoints: doc.getArray("waypoints").toJSON(),
    notes: doc.getText("notes").toString(),
    meta: doc.getMap("meta").toJSON(),
  };
}

const handlers = {
  connect,
  edit: ({ name, edits }) => {
    const { doc } = clients.get(name);
    for (const change of edits) edit(doc, change);
    return state(doc);
  },
  disconnect: ({ name }) => {
    clients.get(name).provider.disconnect();
    return true;
  },
  reconnect: ({ name }) => {
    const { provider } = clients.get(name);
    provider.connect();
    return whenSynced(provider).then(() => true);
  },
  move: ({ name, serverUrl }) => {
    const { provider } = clients.get(name);
    provider.disconnect();
    provider.serverUrl = serverUrl; // the provider's url is serverUrl + "/" + room + params
    provider.connect();
    return whenSynced(provider).then(() => true);
  },
  state: ({ name }) => state(clients.get(name).doc),
  awareness: ({ name, state: local }) => {
    clients.get(name).provider.awareness.setLocalState(local);
    return true;
  },
  peers: ({ name }) => {
    const { provider, doc } = clients.get(name);
    const others = [];
    provider.awareness.getStates().forEach((value, clientId) => {
      if (clientId !== doc.clientID) others.push(value);
    });
    return others;
  },
  closes: ({ name }) => clients.get(name).closes,
  close: ({ name }) => {
    const { provider, doc } = clients.get(name);
    provider.destroy();
    doc.destroy();
    clients.delete(name);
    return true;
  },
};

const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  let answer;
  try {
    const request = JSON.parse(line);
    answer = { result: await handlers[request.op](request) };
  } catch (error) {
    answer = { error: `${line.slice(0, 200)}: ${error && error.stack ? error.stack : error}` };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
}
for (const { provider } of clients.values()) provider.destroy();
process.exit(0);
