// fauxqs (SQS, AWS JSON 1.0) on 127.0.0.1:PORT. Its own CLI binds 0.0.0.0; buildApp() lets
// us choose the host. Queue URLs follow the request's Host header.
import { buildApp } from 'fauxqs';

const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0) {
  console.error('fauxqs_server: set PORT');
  process.exit(2);
}
const app = buildApp({ logger: false });
await app.listen({ port, host: '127.0.0.1' });
console.log(`fauxqs listening on http://127.0.0.1:${port}`);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => app.close().then(() => process.exit(0)));
