/** The contract on the embedded back end: SQLite metadata, clips in a local folder, in-process queue. */
import { defineContract } from './contract.js';
import { sqliteBackend } from './helpers.js';

defineContract('SQLite + local folder', async () => sqliteBackend());
