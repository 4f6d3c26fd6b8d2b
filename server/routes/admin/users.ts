// /admin/users: accounts, locks, password resets, and phone bind codes.
import type { AddressInfo } from 'node:net';
import {
  createUser,
  issueUserBindCode,
  listUsers,
  lockUser,
  resetUserPassword,
  unlockUser,
} from '../../services/admin/users.js';
import { bindLink, phoneAppOrigin } from '../../services/mobile/phone-origin.js';
import type { FeaturePlugin } from '../feature.js';
import { adminSessionOf } from './guard.js';

export const adminUserRoutes: FeaturePlugin = async (app, { ctx, routes }) => {
  const actor = (request: Parameters<typeof adminSessionOf>[0]) => adminSessionOf(request).actor;

  routes.handle(app, 'adminUsersList', async (request) => listUsers(ctx, request.query));

  routes.handle(app, 'adminUsersCreate', async (request, reply) =>
    reply.status(201).send(await createUser(ctx, actor(request), request.body)),
  );

  routes.handle(app, 'adminUsersLock', async (request) => lockUser(ctx, actor(request), request.params.id));

  routes.handle(app, 'adminUsersUnlock', async (request) =>
    unlockUser(ctx, actor(request), request.params.id),
  );

  routes.handle(app, 'adminUsersResetPassword', async (request) =>
    resetUserPassword(ctx, actor(request), request.params.id, request.body),
  );

  routes.handle(app, 'adminUsersBindCode', async (request, reply) => {
    const issued = await issueUserBindCode(ctx, actor(request), request.params.id);
    const port = (app.server.address() as AddressInfo | null)?.port ?? ctx.config.listenPort;
    return reply
      .status(201)
      .send({ ...issued, bind_url: bindLink(phoneAppOrigin(ctx.config, port), issued.code) });
  });
};
