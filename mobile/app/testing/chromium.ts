// Debian's chromium driven by playwright-core (../shared/notes/environment.md), with a Chrome
// DevTools virtual authenticator standing in for the phone's platform authenticator: user
// verification on, `packed` attestation under Chromium's own attestation certificate.

import { X509Certificate } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeAttestationObject } from '@simplewebauthn/server/helpers';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { needPeers } from '../../../scripts/testkit/peers.js';

export const CHROMIUM = '/usr/bin/chromium';

export const chromiumPeer = () => needPeers({ binaries: [CHROMIUM], apt: 'chromium' });

/** `executablePath`: another way to start the same chromium (a wrapper into a lab namespace). */
export function launchChromium(
  extraArgs: readonly string[] = [],
  executablePath = CHROMIUM,
): Promise<Browser> {
  return chromium.launch({
    executablePath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      ...extraArgs,
    ],
  });
}

/** Adds a platform authenticator with user verification to the page's browser context. */
export async function addPlatformAuthenticator(context: BrowserContext, page: Page): Promise<string> {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return authenticatorId;
}

/**
 * The certificate Chromium's virtual authenticator signs `packed` attestations with, learned the way
 * an organisation learns its authenticator model's root from the vendor: from one registration on
 * a throwaway page (http://localhost is a secure context). A test then configures it explicitly
 * as the `packed` trust root. Its key is fixed inside Chromium; each registration carries a fresh
 * certificate for it, which chains to this one by name and key.
 */
export async function virtualAuthenticatorRoot(): Promise<string> {
  const server = createServer((_req, res) => {
    res.setHeader('content-type', 'text/html');
    res.end('<!doctype html><title>x</title>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const browser = await launchChromium();
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`http://localhost:${(server.address() as AddressInfo).port}/`);
    await addPlatformAuthenticator(context, page);
    // Runs in the page (a string: this file is checked as Node code, without the DOM's types).
    const attestationObject: number[] = await page.evaluate(`(async () => {
      const c = await navigator.credentials.create({ publicKey: {
        challenge: crypto.getRandomValues(new Uint8Array(32)),
        rp: { id: 'localhost', name: 'root harvest' },
        user: { id: new Uint8Array([1]), name: 'x', displayName: 'x' },
        pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
        attestation: 'direct',
        authenticatorSelection: { authenticatorAttachment: 'platform', userVerification: 'required' },
      } });
      return Array.from(new Uint8Array(c.response.attestationObject));
    })()`);
    return firstCertificate(Uint8Array.from(attestationObject)).toString();
  } finally {
    await browser.close();
    server.close();
  }
}

/** The attestation certificate (x5c[0]) of a `packed` attestation object. */
function firstCertificate(attestationObject: Uint8Array<ArrayBuffer>): X509Certificate {
  const statement = decodeAttestationObject(attestationObject).get('attStmt');
  const leaf = statement.get('x5c')?.[0];
  if (!leaf) throw new Error('the virtual authenticator sent no attestation certificate');
  return new X509Certificate(new Uint8Array(leaf));
}
