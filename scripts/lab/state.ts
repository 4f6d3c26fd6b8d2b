// What `lab up` learned that later commands need (backend URL, trust, the gateway's host-key pin),
// kept in <lab dir>/state.json (0600). Nothing secret: passwords live in their own 0600 files.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabPlan } from './plan.js';

export interface LabState {
  readonly v: 1;
  readonly id: number;
  readonly createdAt: string;
  readonly backend: {
    readonly url: string;
    readonly caFile: string;
    readonly pins: { readonly primary_b64: string; readonly backup_b64: string };
  };
  readonly gateway: { readonly hostKeyFingerprint: string; readonly configPath: string } | null;
  readonly phase: 'network' | 'backend' | 'gateway' | 'provisioned' | 'ready';
  /** Where the client's device keys live: `tpm2` runs a software TPM (swtpm) in the client namespace. */
  readonly clientKeyStore?: 'file' | 'tpm2';
}

export const statePath = (plan: LabPlan) => join(plan.dir, 'state.json');

export function readLabState(plan: LabPlan): LabState {
  let text: string;
  try {
    text = readFileSync(statePath(plan), 'utf8');
  } catch {
    throw new Error(`lab ${plan.id} is not up (no ${statePath(plan)}); run: scripts/lab.sh up`);
  }
  return JSON.parse(text) as LabState;
}

export function writeLabState(plan: LabPlan, state: LabState): void {
  writeFileSync(statePath(plan), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}
