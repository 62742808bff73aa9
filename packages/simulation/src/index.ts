export { runSimulation } from './simulation.js';
export type { SimulationSummary, Running, CloudClip } from './simulation.js';
export { parseOptions, HELP } from './options.js';
export type { SimulationOptions } from './options.js';
export { Reporter } from './report.js';
export type { ResidencyRow } from './report.js';
export type { LiveSummary } from './live-run.js';
export type { UplinkSummary } from './uplink-run.js';
