// Typed clients of the backend, transport-agnostic. Node callers add './pinned-transport.js';
// browser code imports './fetch-transport.js' and never the Node transport.
export { AdminClient } from './admin-client.js';
export { BackendClient, type EnrollOutcome, type Signer, type Timed } from './backend-client.js';
export { readSessionEvents, type SessionEventMessage } from './session-events.js';
export type { BackendRequest, OpenStream, Transport, TransportReply } from './transport.js';
