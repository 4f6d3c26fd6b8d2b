// A YAML writer for the small subset the Sigma files need: mappings (in insertion order), lists,
// strings, numbers, booleans and null, block style. A string is written plain only when no YAML 1.1
// or 1.2 reader can take it for anything but that string; otherwise as a JSON string, which is
// valid YAML (a double-quoted scalar).
export type YamlValue =
  | string
  | number
  | boolean
  | null
  | readonly YamlValue[]
  | { readonly [k: string]: YamlValue };

const INDENT = '    ';
/** Words some YAML reader resolves to a boolean or null (YAML 1.1: yes/no/on/off/y/n). */
const RESERVED = /^(true|false|yes|no|on|off|y|n|null|~)$/i;

function scalar(v: string | number | boolean | null): string {
  if (v === null) return 'null';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error('YAML: not a finite number');
    return String(v);
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return plain(v) ? v : JSON.stringify(v);
}

function key(k: string): string {
  return /^[A-Za-z_][A-Za-z0-9_.|-]*$/.test(k) && !RESERVED.test(k) ? k : JSON.stringify(k);
}

/**
 * Plain when it starts with a letter or digit, holds no character YAML gives a meaning (`:`, `#`,
 * quotes, brackets, …), does not end in a space, is no reserved word and looks like no number
 * (YAML 1.1 reads `1e5`, `1_000`, `1:30` as numbers).
 */
function plain(v: string): boolean {
  if (!/^[A-Za-z0-9](?:[A-Za-z0-9 _.,()/-]*[A-Za-z0-9_.)/-])?$/.test(v)) return false;
  if (RESERVED.test(v)) return false;
  return !/^[0-9][0-9_.:eE+-]*$/.test(v) && !/^0[xob]/i.test(v) && !/^\.(inf|nan)$/i.test(v);
}

const isScalar = (v: YamlValue): v is string | number | boolean | null => v === null || typeof v !== 'object';

function block(v: YamlValue, depth: number): string[] {
  const pad = INDENT.repeat(depth);
  if (Array.isArray(v)) {
    return v.flatMap((item: YamlValue) => {
      if (isScalar(item)) return [`${pad}- ${scalar(item)}`];
      if (Array.isArray(item)) throw new Error('YAML: a list directly in a list is not needed here');
      const [first, ...rest] = block(item, depth + 1);
      // The first line of a mapping item shares the dash's line, its keys aligned with the rest.
      return [`${pad}-${' '.repeat(INDENT.length - 1)}${(first ?? '').trimStart()}`, ...rest];
    });
  }
  if (isScalar(v)) return [`${pad}${scalar(v)}`];
  return Object.entries(v as { [k: string]: YamlValue }).flatMap(([k, item]) => {
    if (isScalar(item)) return [`${pad}${key(k)}: ${scalar(item)}`];
    if (Array.isArray(item) && item.length === 0) return [`${pad}${key(k)}: []`];
    if (!Array.isArray(item) && Object.keys(item).length === 0) return [`${pad}${key(k)}: {}`];
    return [`${pad}${key(k)}:`, ...block(item, depth + 1)];
  });
}

/** One YAML document (no `---`), ending with a newline. */
export function toYaml(doc: { readonly [k: string]: YamlValue }): string {
  return `${block(doc, 0).join('\n')}\n`;
}

/** Several documents in one file, separated by `---` lines. */
export function toYamlDocuments(docs: readonly { readonly [k: string]: YamlValue }[]): string {
  return docs.map(toYaml).join('---\n');
}
