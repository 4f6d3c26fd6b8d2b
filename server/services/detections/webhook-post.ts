// One signed POST of the alert webhook (webhook.ts) and what its outcome means for a retry:
// 2xx delivered; 408, 429 and 5xx retryable (after Retry-After when it says); any other answer, a
// redirect included, refused for good; timeouts, resets and refused connections retryable; a
// certificate the trust anchors do not vouch for refused for good. The answer's body is read and
// dropped (at most 64 KiB); nothing of it reaches a log.
import type { Agent } from 'node:https';
import { request } from 'node:https';
import { VERSION } from '../../version.js';
import {
  BODY_SIGNATURE_HEADER,
  type BodySigningKey,
  bodySignatureHeader,
} from '../audit/shipping/body-signature.js';

export type PostOutcome =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly retryable: boolean;
      readonly retryAfterMs: number | null;
      /** For logs: a status or an error code, never text from the receiver. */
      readonly why: string;
    };

export interface PostTarget {
  readonly url: URL;
  readonly agent: Agent;
  readonly key: BodySigningKey;
  /** One attempt, connect to the answer's last byte. */
  readonly timeoutMs: number;
  /** Named in the advice of a TLS refusal (e.g. `detections.webhook`). */
  readonly setting: string;
}

const MAX_ANSWER_BYTES = 64 * 1024;
/** TLS failures a retry cannot fix: the receiver is not one the trust anchors vouch for. */
const TRUST_ERRORS = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|SELF_SIGNED_|DEPTH_ZERO_|HOSTNAME_MISMATCH)/;

function networkOutcome(code: unknown, setting: string): PostOutcome {
  const name =
    typeof code === 'string' ? code.replace(/[^A-Z0-9_]/g, '').slice(0, 60) || 'unknown' : 'unknown';
  if (TRUST_ERRORS.test(name))
    return {
      ok: false,
      retryable: false,
      retryAfterMs: null,
      why: `TLS refused the receiver (${name}): check ${setting}.caFile and url`,
    };
  return { ok: false, retryable: true, retryAfterMs: null, why: `unreachable or cut off (${name})` };
}

function statusOutcome(status: number, retryAfter: unknown): PostOutcome {
  if (status >= 200 && status < 300) return { ok: true };
  const retryable = status === 408 || status === 429 || status >= 500;
  const seconds =
    typeof retryAfter === 'string' && /^\d{1,6}$/.test(retryAfter.trim()) ? Number(retryAfter) : null;
  return {
    ok: false,
    retryable,
    retryAfterMs: retryable && seconds !== null ? seconds * 1000 : null,
    why: `answered ${status}`,
  };
}

/**
 * POSTs `body` with its signature. Never rejects. `started` receives a handle that cuts the
 * attempt off (stop()); the attempt then resolves as cut off.
 */
export function postSigned(
  target: PostTarget,
  body: Buffer,
  started: (attempt: { cancel(): void }) => void,
): Promise<PostOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    let answered = false;
    const settle = (outcome: PostOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const req = request(
      target.url,
      {
        method: 'POST',
        agent: target.agent,
        headers: {
          'Content-Type': 'application/json',
          'Content-Length': String(body.length),
          'User-Agent': `viworks-server/${VERSION}`,
          [BODY_SIGNATURE_HEADER]: bodySignatureHeader(target.key, body),
        },
      },
      (res) => {
        answered = true;
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_ANSWER_BYTES) res.destroy();
        });
        res.on('close', () => settle(statusOutcome(res.statusCode ?? 0, res.headers['retry-after'])));
      },
    );
    const timer = setTimeout(
      () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })),
      target.timeoutMs,
    );
    req.on('error', (err: NodeJS.ErrnoException) => settle(networkOutcome(err.code, target.setting)));
    // Destroyed without an error (cancel) and before any answer: cut off all the same.
    req.on('close', () => {
      if (!answered) settle(networkOutcome('ECANCELED', target.setting));
    });
    started({ cancel: () => req.destroy() });
    req.end(body);
  });
}
