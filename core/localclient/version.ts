// One source for the package version: core/version.ts.
export { packageVersion } from '../version.js';
