// kafkajs (an independent Kafka client) for test_serve_kafka.py:
//   node client.mjs produce BOOTSTRAP TOPIC KEY VALUE [NAME=VALUE header]...
//   node client.mjs consume BOOTSTRAP TOPIC COUNT TIMEOUT_MS
// consume prints one JSON line per record ({partition, offset, key, value, headers}) from the
// topic's beginning, until COUNT came or TIMEOUT_MS passed; then "DONE n".
import { Kafka, logLevel } from "kafkajs";

const [command, bootstrap, topic, ...rest] = process.argv.slice(2);
const kafka = new Kafka({ clientId: "agentrt-e2e", brokers: bootstrap.split(","), logLevel: logLevel.NOTHING });

async function produce() {
  const [key, value, ...headerArgs] = rest;
  const headers = {};
  for (const h of headerArgs) {
    const at = h.indexOf("=");
    headers[h.slice(0, at)] = h.slice(at + 1);
  }
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: [{ key: key === "-" ? null : key, value, headers }] });
  await producer.disconnect();
  console.log("SENT");
}

async function consume() {
  const count = Number(rest[0]);
  const timeoutMs = Number(rest[1]);
  const consumer = kafka.consumer({ groupId: `agentrt-e2e-${Date.now()}-${Math.random()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  let finish;
  const done = new Promise((resolve) => { finish = resolve; });
  const timer = setTimeout(() => finish(), timeoutMs);
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const headers = {};
      for (const [name, value] of Object.entries(message.headers || {})) headers[name] = value.toString();
      console.log(JSON.stringify({
        partition, offset: Number(message.offset), key: message.key ? message.key.toString() : null,
        value: message.value ? message.value.toString() : null, headers,
      }));
      seen += 1;
      if (seen >= count) finish();
    },
  });
  await done;
  clearTimeout(timer);
  await consumer.disconnect();
  console.log(`DONE ${seen}`);
}

try {
  if (command === "produce") await produce();
  else if (command === "consume") await consume();
  else throw new Error(`unknown command ${command}`);
  process.exit(0);
} catch (error) {
  console.error(`kafkajs: ${error.name}: ${error.message}`);
  process.exit(1);
}
