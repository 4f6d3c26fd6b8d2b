// spa_key_add / spa_key_remove: a device's fwknop keys on this gateway. The keys are stored in
// spa-keys.json, access.conf is re-rendered, and a running fwknopd is told to reread it (SIGHUP:
// fwknopd 2.6.10 rereads fwknopd.conf and access.conf on it; `fwknopd -R` does the same via the pid
// file). A stopped fwknopd is not started here: apply_config owns starting services.
import { b64Decode, wipe } from '../../core/crypto/bytes.js';
import { ViworksError } from '../../core/errors/viworks-error.js';
import type { SpaKeyAddInput } from '../../core/gateway/control.js';
import type { VerbContext, VerbOutcome } from '../dispatch/verb.js';
import { serviceManager } from '../services/service-manager.js';
import { readSpaKeys, writeSpaKeys } from '../state/node-state.js';
import { syncAccessConf } from './access-file.js';

/** The schema bounds the text length; the decoded lengths are what fwknop needs (AES-256, HMAC-SHA256). */
function checkKeyLengths(input: SpaKeyAddInput): void {
  let key: Buffer | undefined;
  let hmac: Buffer | undefined;
  try {
    key = b64Decode(input.key_base64);
    hmac = b64Decode(input.hmac_key_base64);
    if (key.length !== 32 || hmac.length !== 64) throw new TypeError('length');
  } catch {
    throw new ViworksError('VIW_E_VALIDATION', {
      message: 'invalid request: keys must be 32 (AES) and 64 (HMAC) bytes of base64',
    });
  } finally {
    wipe(key, hmac);
  }
}

/**
 * Re-renders access.conf from the store and reloads fwknopd if the file changed. Also run when the
 * store did not change: a previous request may have died between the two writes.
 */
async function publish(ctx: VerbContext, storeChanged: boolean): Promise<VerbOutcome> {
  const written = syncAccessConf(ctx.config, readSpaKeys(ctx.config.state_dir));
  const reloaded = written ? await serviceManager(ctx.config).reload('fwknopd') : false;
  return { changed: storeChanged || written, result: { reloaded } };
}

export async function spaKeyAdd(ctx: VerbContext): Promise<VerbOutcome> {
  const input = ctx.input as SpaKeyAddInput;
  checkKeyLengths(input);
  const [deviceId = ''] = ctx.args;
  const keys = readSpaKeys(ctx.config.state_dir);
  const have = keys.devices[deviceId];
  const same = have?.key_base64 === input.key_base64 && have.hmac_key_base64 === input.hmac_key_base64;
  if (!same) {
    keys.devices[deviceId] = { key_base64: input.key_base64, hmac_key_base64: input.hmac_key_base64 };
    writeSpaKeys(ctx.config.state_dir, keys);
  }
  return publish(ctx, !same);
}

export async function spaKeyRemove(ctx: VerbContext): Promise<VerbOutcome> {
  const [deviceId = ''] = ctx.args;
  const keys = readSpaKeys(ctx.config.state_dir);
  const present = Object.hasOwn(keys.devices, deviceId);
  if (present) {
    delete keys.devices[deviceId];
    writeSpaKeys(ctx.config.state_dir, keys);
  }
  return publish(ctx, present);
}
