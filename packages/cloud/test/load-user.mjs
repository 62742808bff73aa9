// One user's load on the cloud, from a process of its own (so the test's process, which
// serves and measures, does not also spend its turns reading this load's answers):
// `connections` keep-alive connections, each requesting the given paths in turn, reading
// every answer whole. Lines on stdin steer it: 'go' starts (or resumes) the load, 'pause'
// lets each connection finish its request and wait, and 'report' prints
// { requests, bytes, statuses, inFlight } as one JSON line; closing stdin stops it.
// argv: baseUrl token connections path...
import http from 'node:http';

const [base, token, connectionsText, ...paths] = process.argv.slice(2);
const connections = Number(connectionsText);
if (!base || !token || !(connections >= 1) || paths.length === 0) {
  console.error('usage: load-user.mjs BASE_URL TOKEN CONNECTIONS PATH...');
  process.exit(2);
}
const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
let stopping = false;
let paused = true;
let resume = () => {};
let resumed = new Promise((r) => (resume = r));
let inFlight = 0;
let requests = 0;
let bytes = 0;
const statuses = {};

function get(path, range) {
  return new Promise((resolve, reject) => {
    const headers = { authorization: `Bearer ${token}` };
    if (range) headers.range = range;
    inFlight++;
    const req = http.get(`${base}${path}`, { agent, headers }, (res) => {
      res.on('data', (chunk) => (bytes += chunk.length));
      res.on('end', () => {
        statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
        requests++;
        inFlight--;
        resolve();
      });
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

async function connection(k) {
  for (let i = k; !stopping; i++) {
    if (paused) {
      await resumed;
      continue;
    }
    // A path may carry a range after a space: '/v1/clips/x/video bytes=0-1048575'.
    const [path, range] = paths[i % paths.length].split(' ');
    await get(path, range);
  }
}

const report = () => console.log(JSON.stringify({ requests, bytes, statuses, inFlight }));
process.stdin.setEncoding('utf8');
let pending = '';
process.stdin.on('data', (text) => {
  pending += text;
  for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
    const command = pending.slice(0, nl).trim();
    pending = pending.slice(nl + 1);
    if (command === 'go' && paused) {
      paused = false;
      resume();
    } else if (command === 'pause' && !paused) {
      paused = true;
      resumed = new Promise((r) => (resume = r));
    } else if (command === 'report') report();
    else if (command !== 'go' && command !== 'pause') console.error(`load-user: unknown command '${command}'`);
  }
});
process.stdin.on('end', () => {
  stopping = true;
  paused = false;
  resume();
});
Promise.all(Array.from({ length: connections }, (_, k) => connection(k))).then(
  () => {
    report();
    agent.destroy();
  },
  (err) => {
    console.error(`load-user: ${err.stack ?? err}`);
    process.exit(1);
  },
);
