/**
 * Where the simulated cloud keeps its clips: `sqlite` (embedded SQLite + a local folder, the
 * default) or `postgres` (the machine's PostgreSQL + an S3-compatible server, s3rver, that the
 * simulation starts on 127.0.0.1): the way the cloud runs at scale, on one machine.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { PostgresMetaStore } from '@ringclip/cloud';

export interface CloudBackend {
  /** environment for the cloud's loadConfig() */
  env: Record<string, string>;
  /** what the report says about it */
  description: string;
  /** stops s3rver; drops the PostgreSQL schemas unless the data is kept */
  close(keep: boolean): Promise<void>;
}

/** The database `--cloud postgres` uses unless --database-url or DATABASE_URL says otherwise. */
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

interface S3rverLike {
  run(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
}

export async function postgresBackend(databaseUrl: string, dir: string): Promise<CloudBackend> {
  let S3rver: new (options: object) => S3rverLike;
  // s3rver ships no types: imported by a name TypeScript does not resolve, typed by S3rverLike.
  const moduleName = 's3rver';
  try {
    ({ default: S3rver } = (await import(moduleName)) as { default: new (options: object) => S3rverLike });
  } catch (e) {
    throw new Error(
      `--cloud postgres starts s3rver, a devDependency of @ringclip/cloud: run npm install in the repository (${(e as Error).message})`,
    );
  }
  const s3 = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory: join(dir, 's3'),
    configureBuckets: [{ name: 'clips', configs: [] }],
  });
  const { port } = await s3.run();
  const schema = `ringclip_sim_${Date.now().toString(36)}_${randomBytes(2).toString('hex')}`;
  return {
    env: {
      DATABASE_URL: databaseUrl,
      DATABASE_SCHEMA: schema,
      S3_ENDPOINT: `http://127.0.0.1:${port}`,
      S3_BUCKET: 'clips',
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
      RINGCLIP_QUEUE_POLL: '0.5',
    },
    description: `PostgreSQL ${databaseUrl.replace(/\/\/[^@/]*@/, '//')} schema ${schema} + s3rver at http://127.0.0.1:${port} (objects in ${join(dir, 's3')})`,
    async close(keep) {
      await s3.close();
      if (keep) return;
      const meta = new PostgresMetaStore(databaseUrl, schema);
      try {
        await meta.pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await meta.pool.query(`DROP SCHEMA IF EXISTS ${schema}_queue CASCADE`);
      } finally {
        await meta.close();
      }
    },
  };
}
