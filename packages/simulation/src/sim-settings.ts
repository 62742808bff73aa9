/**
 * What a scenario asks of the simulation beyond the drive (its optional "simulation" block),
 * merged with the command line: the speed, a dashcam with +Connectivity, a phone that only
 * connects after the drive, and emergency contacts for the live link.
 */
import type { Scenario } from '@ringclip/device';
import type { SimulationOptions } from './options.js';

export interface ContactSetting {
  name: string;
  phone?: string;
  email?: string;
  /** true: the simulation's own webhook inbox */ webhook?: boolean;
}

export interface SimSettings {
  speed: number;
  /** the dashcam uploads by itself (cellular, this much data a month) */
  connectivity: { monthlyBudget: string } | null;
  /** the phone stays away during the drive and connects after it */
  phoneLater: boolean;
  /** emergency contacts of the live link (none: no link is published automatically) */
  contacts: ContactSetting[];
  /** the late viewer joins this long (real time) after the link is published */
  lateViewerMs: number;
}

interface ScenarioBlock {
  speed?: number;
  connectivity?: boolean | { monthlyBudget?: string };
  phone?: 'drive' | 'after';
  emergency?: { contacts?: ContactSetting[]; lateViewerSeconds?: number };
}

export function simSettings(scenario: Scenario, options: SimulationOptions): SimSettings {
  const block = (scenario as unknown as { simulation?: ScenarioBlock }).simulation ?? {};
  const conn = block.connectivity;
  const fromScenario = conn ? { monthlyBudget: (typeof conn === 'object' && conn.monthlyBudget) || '1GiB' } : null;
  return {
    speed: options.speed ?? block.speed ?? 20,
    connectivity: options.connectivity
      ? { monthlyBudget: options.dataBudget ?? fromScenario?.monthlyBudget ?? '1GiB' }
      : fromScenario,
    phoneLater: options.phoneLater || block.phone === 'after',
    contacts: block.emergency?.contacts ?? [],
    lateViewerMs: (block.emergency?.lateViewerSeconds ?? 10) * 1000,
  };
}
