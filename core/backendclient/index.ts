// Typed clients of the backend, transport-agnostic. Node callers add './pinned-transport.js';
// browser code imports './fetch-transport.js' and never the Node transport.
export { AdminClient } from './admin-client.js';
export { type AdminSessionWatch, readAdminSessionEvents } from './admin-session-events.js';
export { BackendClient, type EnrollOutcome, type Signer, type Timed } from './backend-client.js';
export { readSessionEvents, type SessionEventMessage } from './session-events.js';
export { readSseFrames, type SseFrame } from './sse-frames.js';
export type { BackendRequest, OpenStream, Transport, TransportReply } from './transport.js';
