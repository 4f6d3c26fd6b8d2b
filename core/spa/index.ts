// Public surface of the SPA module. `encodeSpaWithEntropy` is intentionally not exported here: only
// tests may choose the salt and random value.
export { DEFAULT_MAX_AGE_SECONDS, type DecodeSpaOptions, decodeSpa } from './decode.js';
export { type EncodeSpaInput, encodeSpa } from './encode.js';
export {
  type DecodedSpa,
  SPA_DEFAULT_PORT,
  SPA_VERSION,
  type SpaAccessPort,
  type SpaDigestType,
  type SpaHmacType,
  SpaMessageType,
  type SpaNatAccess,
  type SpaProto,
} from './packet.js';
