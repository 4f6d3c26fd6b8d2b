// The data-plane log parsers, one per daemon (docs/detections.md#data-plane-events): a log line in,
// the SOC-relevant facts it completes out. Each parser is a small object with bounded state that the
// backend keeps per gateway and source between pulls.
import { FwknopdParser } from './fwknopd.js';
import { OpenVpnParser } from './openvpn.js';
import { StunnelParser } from './stunnel.js';
import type { DataplaneParser, DataplaneSource } from './types.js';

export type { DataplaneFact, DataplaneParser, DataplaneSource, LineContext } from './types.js';
export { DATAPLANE_ACTIONS, DATAPLANE_SOURCES, dataplaneFact } from './types.js';

export function createParser(source: DataplaneSource): DataplaneParser {
  switch (source) {
    case 'fwknopd':
      return new FwknopdParser();
    case 'stunnel':
      return new StunnelParser();
    case 'openvpn':
      return new OpenVpnParser();
  }
}
