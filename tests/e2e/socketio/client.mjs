// Drives `agentrt serve`'s Socket.IO surface with the official socket.io-client (v4) and prints
// what happens as JSON lines on stdout, for test_serve_socketio.py:
//
//   node client.mjs --url http://127.0.0.1:PORT --transport polling|websocket|upgrade --token T
//        [--session S] [--from-seq N] [--wait-turns N] [--send TEXT] [--message-id ID]
//        [--send-twice] [--timeout-ms MS]
//
// Lines: {"type":"open","transport"} (the first transport), {"type":"connect","transport"}, {"type":"connect_error","message"},
// {"type":"join_ack","ack"}, {"type":"output","event"}, {"type":"error","event"},
// {"type":"message_ack","ack"}, {"type":"upgrade","transport"}, {"type":"disconnect","reason"},
// {"type":"done","transport"} or {"type":"timeout"}. Exit status 0 unless it timed out.
import { parseArgs } from "node:util";
import { io } from "socket.io-client";

const { values: args } = parseArgs({
  options: {
    url: { type: "string" },
    transport: { type: "string", default: "websocket" },
    token: { type: "string", default: "" },
    session: { type: "string" },
    "from-seq": { type: "string" },
    "wait-turns": { type: "string", default: "0" },
    send: { type: "string" },
    "message-id": { type: "string" },
    "send-twice": { type: "boolean", default: false },
    "timeout-ms": { type: "string", default: "30000" },
  },
});

const print = (line) => process.stdout.write(JSON.stringify(line) + "\n");
const transports = {
  polling: { transports: ["polling"], upgrade: false },
  websocket: { transports: ["websocket"] },
  upgrade: { transports: ["polling", "websocket"], upgrade: true },
}[args.transport];
if (!transports) {
  console.error(`unknown --transport ${args.transport}`);
  process.exit(2);
}

const socket = io(args.url, { ...transports, auth: { token: args.token }, reconnection: false, timeout: 10000 });
const engineTransport = () => socket.io.engine?.transport?.name ?? null;
const turnsWanted = Number(args["wait-turns"]);
let turnsSeen = 0;
let turnWaiter = null;

const finish = (code, line) => {
  print(line);
  socket.off("disconnect");  // our own disconnect is not news
  socket.disconnect();
  process.exit(code);
};
const timer = setTimeout(() => finish(1, { type: "timeout" }), Number(args["timeout-ms"]));
timer.unref();

const waitForTurn = (turn) =>
  new Promise((resolve) => {
    if (turnsSeen >= turn) return resolve();
    turnWaiter = { turn, resolve };
  });

socket.io.on("open", () => {
  print({ type: "open", transport: engineTransport() });
  socket.io.engine.on("upgrade", (transport) => print({ type: "upgrade", transport: transport.name }));
});
socket.on("connect_error", (err) => finish(0, { type: "connect_error", message: err.message, data: err.data ?? null }));
socket.on("disconnect", (reason) => finish(0, { type: "disconnect", reason }));  // no reconnection here
socket.on("error", (event) => print({ type: "error", event }));
socket.on("output", (event) => {
  print({ type: "output", event });
  if (event.kind === "turn_completed") {
    turnsSeen = Math.max(turnsSeen, event.turn);
    if (turnWaiter && turnsSeen >= turnWaiter.turn) {
      turnWaiter.resolve();
      turnWaiter = null;
    }
  }
});

socket.on("connect", async () => {
  print({ type: "connect", transport: engineTransport(), id: socket.id });
  if (args.session) {
    const join = { session: args.session };
    if (args["from-seq"] !== undefined) join.from_seq = Number(args["from-seq"]);
    const ack = await socket.timeout(10000).emitWithAck("join", join);
    print({ type: "join_ack", ack });
    if (ack.error) return finish(0, { type: "done", transport: engineTransport() });
  }
  if (turnsWanted > 0) await waitForTurn(1);
  if (args.send !== undefined) {
    const message = { session: args.session, text: args.send };
    if (args["message-id"]) message.message_id = args["message-id"];
    print({ type: "message_ack", ack: await socket.timeout(10000).emitWithAck("message", message) });
    if (args["send-twice"]) {
      print({ type: "message_ack", ack: await socket.timeout(10000).emitWithAck("message", message) });
    }
  }
  await waitForTurn(turnsWanted);
  if (args.transport === "upgrade") {
    // The upgrade happens in the background: give it its time before reporting.
    for (let i = 0; i < 100 && engineTransport() !== "websocket"; i++) await new Promise((r) => setTimeout(r, 50));
  }
  finish(0, { type: "done", transport: engineTransport() });
});
