// Wire contract of GET /admin/sessions/events (docs/admin-api.md), Server-Sent Events for the admin
// panel's live Sessions page:
//   event: session   data: the session's list row (SessionView, as GET /admin/sessions lists it),
//                    sent when a session starts, when its client is first heard from, and when it
//                    ends (any reason: terminated, locked, logged out, idle, expired, policy)
//   `: keepalive`    a comment every ADMIN_STREAM_KEEPALIVE_S seconds
// The stream is subscribed before the response headers are sent: a client that lists sessions
// after the headers arrived misses nothing (a row may then come twice; the newest wins). The
// server closes it when the admin session ends (logout, idle, expiry, account change).
import { Type } from 'typebox';
import { SessionView } from './admin.js';
import { closed } from './common.js';

export const ADMIN_SESSION_EVENT = 'session';
export const ADMIN_STREAM_KEEPALIVE_S = 15;
/** Streams one administrator may hold open on one backend instance (tabs, a CLI watch). */
export const ADMIN_STREAMS_PER_ADMIN = 4;

/** The data line of `event: session`. */
export const AdminSessionEventData = SessionView;
/** No query parameters (unknown ones are refused). */
export const AdminSessionEventsQuery = Type.Object({}, closed);
