// Child process of the serving suite: the cloud service (SQLite + local blob store) on
// 127.0.0.1 with two users, one uploaded clip each. Prints one JSON line { url, token, id, otherToken } and
// serves until stdin closes. A process of its own, as in production: the load generator
// in the parent does not share its event loop.
import { readFileSync } from 'node:fs';
import { loadConfig } from '../../packages/cloud/dist/config.js';
import { createServer } from '../../packages/cloud/dist/server.js';

const [dataDir, mp4] = process.argv.slice(2);
const server = await createServer(loadConfig({ dataDir, port: 0, host: '127.0.0.1' }, {}));
const url = await server.listen();
const { token } = await server.service.createToken('bench');
const id = '00000000-0000-4000-8000-000000000001';
const res = await fetch(`${url}/v1/clips/${id}`, {
  method: 'PUT',
  headers: { authorization: `Bearer ${token}`, 'content-type': 'video/mp4' },
  body: readFileSync(mp4),
});
if (res.status !== 201) throw new Error(`upload: HTTP ${res.status} ${await res.text()}`);
// another user with a clip of their own, whose list the suite asks for while the first streams
const other = await server.service.createToken('bench-other');
const again = await fetch(`${url}/v1/clips/${id}`, {
  method: 'PUT',
  headers: { authorization: `Bearer ${other.token}`, 'content-type': 'video/mp4' },
  body: readFileSync(mp4),
});
if (again.status !== 201) throw new Error(`upload: HTTP ${again.status} ${await again.text()}`);
process.stdout.write(`${JSON.stringify({ url, token, id, otherToken: other.token })}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  void server.close().then(() => process.exit(0));
});
