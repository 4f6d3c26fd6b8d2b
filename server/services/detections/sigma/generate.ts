// Writes siem/sigma/ from the rule definitions (the default settings):
//   node --import tsx server/services/detections/sigma/generate.ts
// sigma.test.ts fails while the committed files differ from what this writes.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { detectionRules } from '../rules/index.js';
import { DEFAULT_DETECTION_SETTINGS } from '../settings.js';
import { type EcsMapping, ecsPipeline } from './ecs-pipeline.js';
import { sigmaFiles } from './render.js';

const SIEM_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../siem');
export const SIGMA_DIR = join(SIEM_DIR, 'sigma');
export const ECS_PIPELINE = join(SIGMA_DIR, 'pipelines', 'viworks_ecs.yml');

export function generatedSigmaFiles(): Map<string, string> {
  return sigmaFiles(detectionRules(DEFAULT_DETECTION_SETTINGS));
}

export function generatedEcsPipeline(): string {
  const ecs = JSON.parse(readFileSync(join(SIEM_DIR, 'ecs', 'mapping.json'), 'utf8')) as EcsMapping;
  return ecsPipeline(detectionRules(DEFAULT_DETECTION_SETTINGS), ecs);
}

/** Writes every generated file and removes generated files of rules that no longer exist. */
export function writeSigmaFiles(dir = SIGMA_DIR): string[] {
  const files = generatedSigmaFiles();
  for (const name of readdirSync(dir)) {
    if (/^viworks_.*\.yml$/.test(name) && !files.has(name)) rmSync(join(dir, name));
  }
  for (const [name, text] of files) writeFileSync(join(dir, name), text);
  mkdirSync(dirname(ECS_PIPELINE), { recursive: true });
  writeFileSync(ECS_PIPELINE, generatedEcsPipeline());
  return [...files.keys(), 'pipelines/viworks_ecs.yml'];
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const name of writeSigmaFiles()) console.log(`wrote siem/sigma/${name}`);
}
