// /admin/gateways: gateway nodes — register (host-key pin required), list, provision, health, and the
// backend's SSH control key for the nodes' authorized_keys. See docs/gateways.md.
import {
  addGateway,
  controlKey,
  gatewayHealth,
  listGateways,
  provisionGateway,
} from '../../services/gateways/admin.js';
import type { FeaturePlugin } from '../feature.js';
import { adminSessionOf } from './guard.js';

export const adminGatewayRoutes: FeaturePlugin = async (app, { ctx, routes }) => {
  routes.handle(app, 'adminGatewaysList', async () => listGateways(ctx));

  routes.handle(app, 'adminGatewaysControlKey', async () => controlKey(ctx));

  // 202: held for a second administrator (a gateway without a full tunnel widens access).
  routes.handle(app, 'adminGatewaysAdd', async (request, reply) => {
    const out = await addGateway(ctx, adminSessionOf(request).actor, request.body);
    return out.status === 'pending'
      ? reply.status(202).send(out)
      : reply.status(200).send({ gateway: out.gateway });
  });

  routes.handle(app, 'adminGatewaysProvision', async (request) =>
    provisionGateway(ctx, adminSessionOf(request).actor, request.params.name),
  );

  routes.handle(app, 'adminGatewaysHealth', async (request) => gatewayHealth(ctx, request.params.name));
};
