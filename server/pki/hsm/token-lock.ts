// One PKCS#11 session runs one operation at a time (a second C_SignInit while a signature is in
// flight on pkcs11js's worker thread fails with CKR_OPERATION_ACTIVE), and the CRL publisher, the
// certificate issuer and the audit batcher all sign concurrently: every use of the session goes
// through this queue.
export class TokenLock {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(op: () => T | Promise<T>): Promise<T> {
    const next = this.tail.then(op);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
