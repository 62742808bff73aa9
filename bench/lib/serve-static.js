// Child process: Node's static file serving of `root` (fs streams, single bytes ranges) on
// 127.0.0.1, the serving baseline where nginx is not installed. Prints its URL; stops when
// stdin closes.
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { basename, join } from 'node:path';

const root = process.argv[2];
const server = createServer((req, res) => {
  const path = join(root, basename(new URL(req.url, 'http://localhost').pathname));
  let size;
  try {
    size = statSync(path).size;
  } catch {
    res.writeHead(404).end();
    return;
  }
  const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
  const start = m ? Number(m[1]) : 0;
  const end = m ? Math.min(Number(m[2]), size - 1) : size - 1;
  res.writeHead(m ? 206 : 200, {
    'content-type': 'video/mp4',
    'content-length': end - start + 1,
    ...(m ? { 'content-range': `bytes ${start}-${end}/${size}` } : {}),
  });
  createReadStream(path, { start, end, highWaterMark: 1 << 20 }).pipe(res);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`http://127.0.0.1:${server.address().port}\n`));
process.stdin.resume();
process.stdin.on('end', () => server.close(() => process.exit(0)));
