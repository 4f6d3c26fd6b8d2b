// One source for the package version: core/version.ts (the server may read it at start).
import { packageVersion } from '../core/version.js';

export const VERSION: string = packageVersion();
