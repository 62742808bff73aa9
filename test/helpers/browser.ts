/**
 * A real browser for the tests: Debian's Chromium (installed by .ci/run) driven by
 * playwright-core. In CI a missing browser fails the suite; elsewhere the browser tests
 * are skipped with a message saying how to get it.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toolEnv } from './tools.js';

export const chromiumPath = '/usr/bin/chromium';
export const haveChromium = existsSync(chromiumPath);
export const requireBrowser = process.env.CI === 'true' || process.env.CI === '1';
if (!haveChromium && !requireBrowser) {
  console.warn(`browser tests skipped: ${chromiumPath} is missing (apt-get install chromium, as .ci/run does)`);
}

/** What each launched browser printed (its stderr, through playwright's logger), for crash reports. */
const browserOutput = new WeakMap<object, string[]>();

export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  const output: string[] = [];
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    env: toolEnv(chromiumPath) as Record<string, string>,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--autoplay-policy=no-user-gesture-required',
    ],
    logger: {
      isEnabled: (name) => name === 'browser',
      log: (_name, _severity, message) => {
        output.push(String(message));
        if (output.length > 100) output.shift();
      },
    },
  });
  browserOutput.set(browser, output);
  return browser;
}

/** The last lines a browser printed, to explain a crash. */
export function browserLog(browser: object): string {
  return (browserOutput.get(browser) ?? []).join('\n');
}

/**
 * Loads `url` in a fresh browser and returns what the page's `window.result` promise
 * resolves to. A browser that dies before the page has loaded (seen once in CI: "Target
 * page, context or browser has been closed" from goto, 2 s after launch, beside another
 * test worker; never reproduced alone) has not seen our bytes yet: that attempt is
 * reported on stderr with the browser's own output and made once more in a new browser.
 * Anything after the page loaded is the test's verdict and is never retried.
 */
export async function resultOfPage(url: string): Promise<Record<string, unknown>> {
  for (let attempt = 1; ; attempt++) {
    const browser = await launchChromium();
    let loaded = false;
    try {
      const tab = await browser.newPage();
      await tab.goto(url);
      loaded = true;
      return await tab.evaluate(() => (window as unknown as { result: Promise<Record<string, unknown>> }).result);
    } catch (e) {
      const closed = /has been closed|crash/i.test(String((e as Error).message));
      if (loaded || !closed || attempt > 1) {
        (e as Error).message += `\nbrowser output:\n${browserLog(browser)}`;
        throw e;
      }
      console.warn(
        `Chromium closed before ${url} loaded (${(e as Error).message.split('\n')[0]}); launching a new one. Its output:\n${browserLog(browser)}`,
      );
    } finally {
      await browser.close().catch((e: Error) => console.warn(`closing Chromium: ${e.message}`));
    }
  }
}

/** Serves a map of paths to bodies on 127.0.0.1, with Range support for media. */
export async function serve(
  routes: Record<string, { type: string; body: Buffer | string }>,
): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const route = routes[new URL(req.url ?? '/', 'http://x').pathname];
    if (!route) {
      res.writeHead(404).end();
      return;
    }
    const body = Buffer.isBuffer(route.body) ? route.body : Buffer.from(route.body);
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (range) {
      const start = Number(range[1]);
      const end = range[2] ? Math.min(Number(range[2]), body.length - 1) : body.length - 1;
      res.writeHead(206, {
        'content-type': route.type,
        'content-range': `bytes ${start}-${end}/${body.length}`,
        'accept-ranges': 'bytes',
        'content-length': end - start + 1,
      });
      res.end(body.subarray(start, end + 1));
      return;
    }
    res.writeHead(200, { 'content-type': route.type, 'content-length': body.length, 'accept-ranges': 'bytes' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}
