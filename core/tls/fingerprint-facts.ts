// A connection's fingerprints as audit-event fields, for every side that records them: the backend's
// listener and identity routes, the backend's gateway ingest and the node's normalizer (both through
// core/gateway/dataplane/hello-join.ts). The values are checked against the event schema here, so
// that a fingerprint the schema does not admit (a DTLS version code in a TCP ClientHello, say) is
// left out instead of making the whole event — and the request or round that records it — fail.
import { AuditEventSchema } from '../audit/event.js';
import type { TlsFingerprints } from './fingerprints.js';

const patternOf = (field: 'tls_ja3' | 'tls_ja4') => {
  const schema = AuditEventSchema.properties[field] as unknown as {
    pattern?: string;
    anyOf?: Array<{ pattern?: string }>;
  };
  return new RegExp(schema.pattern ?? schema.anyOf?.find((s) => s.pattern)?.pattern ?? '^$');
};
const JA3 = patternOf('tls_ja3');
const JA4 = patternOf('tls_ja4');

export interface FingerprintFacts {
  readonly tls_ja3: string | null;
  readonly tls_ja4: string | null;
}

export function fingerprintFacts(f: Pick<TlsFingerprints, 'ja3' | 'ja4'> | null): FingerprintFacts {
  return {
    tls_ja3: f && JA3.test(f.ja3) ? f.ja3 : null,
    tls_ja4: f && JA4.test(f.ja4) ? f.ja4 : null,
  };
}
