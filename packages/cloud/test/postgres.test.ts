/**
 * The contract on the scale-out back end: PostgreSQL metadata (a unique schema per run,
 * dropped after), clips in an S3-compatible store (s3rver on 127.0.0.1), pg-boss queue.
 * In CI a missing PostgreSQL fails the suite.
 */
import { defineContract } from './contract.js';
import { postgresAvailable, postgresBackend } from './helpers.js';

defineContract('PostgreSQL + S3 (s3rver)', async () => ((await postgresAvailable()) ? postgresBackend() : null));
