#!/usr/bin/env node
// The independent gRPC client of the serve e2e tests: the official grpc-js and proto-loader
// against agentrt's proto (proto/agentrt/v1/agentrt.proto). One call per run; JSON lines out.
//
//   node client.js --port P [--token T] [--deadline-ms N] [--traceparent V]
//                  [--pause-after K --pause-ms M] METHOD '{"session_id": "s-1", ...}'
//
// Unary:  {"ok": true, "response": {...}}
//      or {"ok": false, "code": 5, "status": "NOT_FOUND", "message": "...", "metadata": {...}}
// Stream (StreamEvents): {"event": {seq, kind, durable, data}} per message, then
//         {"end": true, "code": 0, "status": "OK", "message": "...", "metadata": {...}}
// --pause-after K --pause-ms M: stop reading after K events for M ms (a slow consumer).
'use strict';

const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

function usage(message) {
  process.stderr.write(`client.js: ${message}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const options = { port: 0, token: null, deadlineMs: 0, traceparent: null, pauseAfter: -1, pauseMs: 0 };
  const rest = [];
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${flag} needs a value`);
      return argv[++i];
    };
    if (flag === '--port') options.port = Number(value());
    else if (flag === '--token') options.token = value();
    else if (flag === '--deadline-ms') options.deadlineMs = Number(value());
    else if (flag === '--traceparent') options.traceparent = value();
    else if (flag === '--pause-after') options.pauseAfter = Number(value());
    else if (flag === '--pause-ms') options.pauseMs = Number(value());
    else rest.push(flag);
  }
  if (!options.port) usage('--port is required');
  if (rest.length < 1 || rest.length > 2) usage('expected METHOD and one JSON argument');
  options.method = rest[0];
  try {
    options.args = rest.length === 2 ? JSON.parse(rest[1]) : {};
  } catch (e) {
    usage(`the argument is not JSON: ${e.message}`);
  }
  return options;
}

const statusNames = Object.fromEntries(Object.entries(grpc.status).map(([name, code]) => [code, name]));

function print(value) {
  process.stdout.write(JSON.stringify(value) + '\n');
}

function endOf(error) {
  return {
    code: error.code,
    status: statusNames[error.code] || String(error.code),
    message: error.details,
    metadata: error.metadata ? error.metadata.getMap() : {},
  };
}

const options = parseArgs(process.argv.slice(2));
const protoRoot = path.resolve(__dirname, '../../../proto');
const definition = protoLoader.loadSync('agentrt/v1/agentrt.proto', {
  includeDirs: [protoRoot], keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true,
});
const v1 = grpc.loadPackageDefinition(definition).agentrt.v1;
const client = new v1.Sessions(`127.0.0.1:${options.port}`, grpc.credentials.createInsecure());
const metadata = new grpc.Metadata();
if (options.token !== null) metadata.set('authorization', `Bearer ${options.token}`);
if (options.traceparent !== null) metadata.set('traceparent', options.traceparent);
const callOptions = options.deadlineMs > 0 ? { deadline: new Date(Date.now() + options.deadlineMs) } : {};

if (typeof client[options.method] !== 'function') usage(`no method ${options.method}`);

if (options.method === 'StreamEvents') {
  const call = client.StreamEvents(options.args, metadata, callOptions);
  let received = 0;
  call.on('data', (event) => {
    let data = null;
    try {
      data = JSON.parse(event.data_json);
    } catch (e) {
      data = { unparsable: event.data_json };
    }
    print({ event: { seq: event.seq, kind: event.kind, durable: event.durable, data } });
    received += 1;
    if (received === options.pauseAfter) {
      call.pause();
      setTimeout(() => call.resume(), options.pauseMs);
    }
  });
  call.on('status', (status) => {
    print({
      end: true, code: status.code, status: statusNames[status.code] || String(status.code),
      message: status.details, metadata: status.metadata ? status.metadata.getMap() : {},
    });
    client.close();
  });
  call.on('error', () => {}); // the status event reports it
} else {
  client[options.method](options.args, metadata, callOptions, (error, response) => {
    if (error) print({ ok: false, ...endOf(error) });
    else print({ ok: true, response });
    client.close();
  });
}
