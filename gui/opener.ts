// What `viworks open` uses of the GUI: only the opener page (the launch URL kept out of every
// command line). Its own entry beside gui/index.ts, which also brings the GUI's fastify server:
// `open` never starts it, and loading it cost every `viworks open` fastify's start-up (issue #19).
export { writeOpenerPage } from './server/opener.js';
