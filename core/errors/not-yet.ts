// Reserved entry points (package.json `bin`) that a later release fills answer honestly instead of
// being missing files: a clear message on stderr and exit 69 (EX_UNAVAILABLE).
export function reservedEntryPoint(name: string, arrivesWith: string): never {
  process.stderr.write(`${name}: not available in this version (arrives with ${arrivesWith}).\n`);
  process.exit(69);
}
