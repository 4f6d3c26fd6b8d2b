// /admin/devices: desktop devices — list, approve, unbind.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  DeviceActionReply,
  EmptyBody,
  IdParams,
  ListDevicesQuery,
  ListDevicesReply,
} from '../../../core/api/admin.js';
import type { AppContext } from '../../context.js';
import { approveDevice, listDevices, unbindDevice } from '../../services/admin/devices.js';
import { adminSessionOf } from './guard.js';

export const adminDeviceRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get(
    '/devices',
    {
      config: { permission: 'devices:read' },
      schema: {
        summary: 'List desktop devices',
        querystring: ListDevicesQuery,
        response: { 200: ListDevicesReply },
      },
    },
    async (request) => listDevices(ctx, request.query),
  );

  app.post(
    '/devices/:id/approve',
    {
      config: { permission: 'devices:write' },
      schema: {
        summary: 'Approve a pending device',
        params: IdParams,
        body: EmptyBody,
        response: { 200: DeviceActionReply },
      },
    },
    async (request) => approveDevice(ctx, adminSessionOf(request).actor, request.params.id),
  );

  app.post(
    '/devices/:id/unbind',
    {
      config: { permission: 'devices:write' },
      schema: {
        summary: 'Revoke a device and end its sessions',
        params: IdParams,
        body: EmptyBody,
        response: { 200: DeviceActionReply },
      },
    },
    async (request) => unbindDevice(ctx, adminSessionOf(request).actor, request.params.id),
  );
};
