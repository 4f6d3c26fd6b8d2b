// The typed client of viworksd's local API. Front-ends import only from here.
export * from './local-client.js';
export { DEFAULT_SOCKET_PATH, resolveSocketPath, SOCKET_ENV } from './paths.js';
export * from './steps.js';
export { packageVersion } from './version.js';
