// The Sigma files use the native event's field names; an ECS index (siem/ecs/) names them
// differently. This writes a pySigma processing pipeline (field_name_mapping, for the viworks log
// source) from siem/ecs/mapping.json, for exactly the fields the rules use, so `sigma convert -p
// siem/sigma/pipelines/viworks_ecs.yml …` yields queries over the ECS index.
import type { DetectionRule } from '../rule.js';
import { sigmaDocuments } from './render.js';
import { toYaml } from './yaml.js';

/** siem/ecs/mapping.json: `fields.<native name>.path` is the ECS field. */
export interface EcsMapping {
  readonly fields: Readonly<Record<string, { readonly path: string }>>;
}

/** The native fields the rules' Sigma documents name (detection keys, group-by, value_count field). */
export function fieldsUsed(rules: readonly DetectionRule[]): string[] {
  const used = new Set<string>();
  for (const doc of rules.flatMap(sigmaDocuments)) {
    const detection = doc.detection as Record<string, unknown> | undefined;
    for (const [id, ident] of Object.entries(detection ?? {})) {
      if (id === 'condition') continue;
      for (const key of Object.keys(ident as object)) used.add(key.split('|')[0] as string);
    }
    const c = doc.correlation as { 'group-by'?: string[]; condition?: { field?: string } } | undefined;
    for (const f of c?.['group-by'] ?? []) used.add(f);
    if (c?.condition?.field) used.add(c.condition.field);
  }
  return [...used].sort();
}

export function ecsPipeline(rules: readonly DetectionRule[], ecs: EcsMapping): string {
  const mapping: Record<string, string> = {};
  for (const field of fieldsUsed(rules)) {
    const path = ecs.fields[field]?.path;
    if (!path) throw new Error(`siem/ecs/mapping.json has no ECS field for ${field}`);
    mapping[field] = path;
  }
  return (
    '# Generated from siem/ecs/mapping.json for the fields of the ViWorkS Sigma rules.\n' +
    '# Do not edit: run `node --import tsx server/services/detections/sigma/generate.ts`.\n' +
    toYaml({
      name: 'ViWorkS audit events in ECS',
      priority: 20,
      transformations: [
        {
          id: 'viworks_native_to_ecs',
          type: 'field_name_mapping',
          mapping,
          rule_conditions: [{ type: 'logsource', product: 'viworks', service: 'audit' }],
        },
      ],
    })
  );
}
