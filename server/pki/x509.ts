// The one entry to @peculiar/x509. Version 2.x resolves its services through tsyringe, which needs
// the Reflect metadata polyfill loaded first, and it must sign with Node's own WebCrypto (no
// polyfill is needed on Node >= 20). Every module imports x509 from here, never directly.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export { x509 };
