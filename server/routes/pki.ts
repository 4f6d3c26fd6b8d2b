// Public PKI distribution (docs/architecture.md#revocation-lists): no authentication, nothing secret.
//   GET /pki/crl/<int-tls|int-vpn|int-device>.crl   the intermediate's current CRL (PEM)
//   GET /pki/ca.pem                                  root + intermediates (PEM)
// Cacheable briefly: a revocation republishes the CRL at once, so caches must not hold it long.
import { ViworksError } from '../../core/errors/viworks-error.js';
import { INTERMEDIATES, type IntermediateName } from '../pki/profiles.js';
import type { FeaturePlugin } from './feature.js';

const CACHE = 'public, max-age=60';
const PEM_TYPE = 'application/x-pem-file';

export const pkiRoutes: FeaturePlugin = async (app, { ctx, routes }) => {
  // Runs after the app-wide hook that marks every response no-store, and overrides it here only.
  app.addHook('onSend', async (_request, reply) => {
    if (reply.statusCode === 200) reply.header('cache-control', CACHE);
  });

  routes.handle(app, 'pkiCrl', async (request, reply) => {
    const file = (request.params as { file?: unknown }).file;
    const name = typeof file === 'string' ? file.replace(/\.crl$/, '') : '';
    if (!file || !(INTERMEDIATES as readonly string[]).includes(name) || file !== `${name}.crl`) {
      throw new ViworksError('VIW_E_NOT_FOUND');
    }
    const pem = ctx.crl.pem(name as IntermediateName);
    if (!pem) throw new ViworksError('VIW_E_NOT_FOUND');
    return reply.type(PEM_TYPE).send(pem);
  });

  routes.handle(app, 'pkiCaBundle', async (_request, reply) =>
    reply.type(PEM_TYPE).send(ctx.crl.caBundlePem()),
  );
};
