// /admin/devices: desktop devices — list, approve, unbind.
import { approveDevice, listDevices, unbindDevice } from '../../services/admin/devices.js';
import type { FeaturePlugin } from '../feature.js';
import { adminSessionOf } from './guard.js';

export const adminDeviceRoutes: FeaturePlugin = async (app, { ctx, routes }) => {
  routes.handle(app, 'adminDevicesList', async (request) => listDevices(ctx, request.query));

  routes.handle(app, 'adminDevicesApprove', async (request) =>
    approveDevice(ctx, adminSessionOf(request).actor, request.params.id),
  );

  routes.handle(app, 'adminDevicesUnbind', async (request) =>
    unbindDevice(ctx, adminSessionOf(request).actor, request.params.id),
  );
};
