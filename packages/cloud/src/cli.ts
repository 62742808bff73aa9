#!/usr/bin/env node
/**
 * ringclip-cloud serve [--port N] [--host H] [--data DIR]
 * ringclip-cloud token create USER [--data DIR]
 * ringclip-cloud token revoke TOKEN [--data DIR]
 * Configuration beyond the flags comes from the environment (see README: DATABASE_URL, S3_*).
 */
import { loadConfig, type Config } from './config.js';
import { createServer, openStores } from './server.js';
import { Service } from './service.js';
import { hashToken } from './tokens.js';

const USAGE = `usage:
  ringclip-cloud serve [--port N] [--host 127.0.0.1] [--data DIR]
  ringclip-cloud token create USER [--data DIR]
  ringclip-cloud token revoke TOKEN [--data DIR]
environment: DATABASE_URL, DATABASE_SCHEMA, S3_ENDPOINT, S3_BUCKET, S3_REGION, S3_ACCESS_KEY_ID,
  S3_SECRET_ACCESS_KEY, RINGCLIP_DATA, RINGCLIP_PUBLIC_URL, RINGCLIP_TRUST_HOST, RINGCLIP_MAX_CLIP_BYTES (see README)`;

function parse(argv: string[]): { args: string[]; flags: Record<string, string> } {
  const args: string[] = [];
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') flags.help = '1';
    else if (a.startsWith('--')) {
      const [k, v] = a.includes('=')
        ? [a.slice(2, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]
        : [a.slice(2), argv[++i]];
      if (v === undefined) throw new Error(`${a} needs a value`);
      flags[k] = v;
    } else args.push(a);
  }
  return { args, flags };
}

function configFrom(flags: Record<string, string>): Config {
  const o: Partial<Config> = {};
  for (const k of Object.keys(flags))
    if (!['port', 'host', 'data', 'help'].includes(k)) throw new Error(`unknown option --${k}`);
  if (flags.port !== undefined) {
    const p = Number(flags.port);
    if (!Number.isInteger(p) || p < 0 || p > 65535) throw new Error(`--port must be 0-65535, got ${flags.port}`);
    o.port = p;
  }
  if (flags.host) o.host = flags.host;
  if (flags.data) o.dataDir = flags.data;
  return loadConfig(o);
}

async function main(): Promise<number> {
  const { args, flags } = parse(process.argv.slice(2));
  if (flags.help || args.length === 0) {
    console.log(USAGE);
    return args.length === 0 && !flags.help ? 2 : 0;
  }
  const [cmd, sub, arg] = args;
  if (cmd === 'serve' && args.length === 1) {
    const config = configFrom(flags);
    const server = await createServer(config);
    const url = await server.listen();
    console.log(
      `ringclip-cloud listening on ${url} (metadata: ${server.service.meta.kind}, clips: ${server.service.blobs.kind}, data: ${config.dataDir})`,
    );
    const stop = async () => {
      await server.close();
      process.exit(0);
    };
    process.once('SIGINT', () => void stop());
    process.once('SIGTERM', () => void stop());
    return -1;
  }
  if (cmd === 'token' && (sub === 'create' || sub === 'revoke') && arg && args.length === 3) {
    const config = configFrom(flags);
    const { meta, blobs, queue } = await openStores(config);
    try {
      if (sub === 'create') {
        const svc = new Service(config, meta, blobs, queue);
        const { token } = await svc.createToken(arg);
        console.log(token);
      } else {
        if (!(await meta.revokeToken(hashToken(arg)))) {
          console.error('ringclip-cloud: no such live token');
          return 1;
        }
        console.log('revoked');
      }
    } finally {
      await meta.close();
      await blobs.close();
    }
    return 0;
  }
  console.error(USAGE);
  return 2;
}

main().then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (e: Error) => {
    console.error(`ringclip-cloud: ${e.message}`);
    process.exitCode = 1;
  },
);
