// /admin/gateways: gateway nodes — register (host-key pin required), list, provision, health, and the
// backend's SSH control key for the nodes' authorized_keys. See docs/gateways.md.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { EmptyBody } from '../../../core/api/admin.js';
import {
  AddGatewayBody,
  ControlKeyReply,
  GatewayHealthReply,
  GatewayNameParams,
  GatewayViewReply,
  ListGatewaysReply,
  ProvisionGatewayReply,
} from '../../../core/api/admin-gateways.js';
import type { AppContext } from '../../context.js';
import {
  addGateway,
  controlKey,
  gatewayHealth,
  listGateways,
  provisionGateway,
} from '../../services/gateways/admin.js';
import { adminSessionOf } from './guard.js';

const NoQuery = Type.Object({}, { additionalProperties: false });

export const adminGatewayRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get(
    '/gateways',
    {
      config: { permission: 'gateways:read' },
      schema: { summary: 'List gateway nodes', querystring: NoQuery, response: { 200: ListGatewaysReply } },
    },
    async () => listGateways(ctx),
  );

  app.get(
    '/gateways/control-key',
    {
      config: { permission: 'gateways:read' },
      schema: {
        summary: "The backend's SSH control public key (for a node's authorized_keys)",
        querystring: NoQuery,
        response: { 200: ControlKeyReply },
      },
    },
    async () => controlKey(ctx),
  );

  app.post(
    '/gateways',
    {
      config: { permission: 'gateways:write' },
      schema: {
        summary: 'Register a gateway node with its pinned SSH host key',
        body: AddGatewayBody,
        response: { 200: GatewayViewReply },
      },
    },
    async (request) => addGateway(ctx, adminSessionOf(request).actor, request.body),
  );

  app.post(
    '/gateways/:name/provision',
    {
      config: { permission: 'gateways:write' },
      schema: {
        summary: 'Push configuration and SPA keys to a node; the gateway becomes active',
        params: GatewayNameParams,
        body: EmptyBody,
        response: { 200: ProvisionGatewayReply },
      },
    },
    async (request) => provisionGateway(ctx, adminSessionOf(request).actor, request.params.name),
  );

  app.get(
    '/gateways/:name/health',
    {
      config: { permission: 'gateways:read' },
      schema: {
        summary: "Ask a node for its services' health now",
        params: GatewayNameParams,
        querystring: NoQuery,
        response: { 200: GatewayHealthReply },
      },
    },
    async (request) => gatewayHealth(ctx, request.params.name),
  );
};
