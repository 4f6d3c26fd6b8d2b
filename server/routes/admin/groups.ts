// /admin/groups: groups and their members (docs/policies.md). A membership change that widens a
// member's access answers 202 with the pending change instead of 200.
import {
  addGroupMember,
  createGroup,
  deleteGroup,
  listGroups,
  removeGroupMember,
  showGroup,
} from '../../services/policy/admin-groups.js';
import type { FeaturePlugin } from '../feature.js';
import { adminSessionOf } from './guard.js';

export const adminGroupRoutes: FeaturePlugin = async (app, { ctx, routes }) => {
  const actor = (request: Parameters<typeof adminSessionOf>[0]) => adminSessionOf(request).actor;

  routes.handle(app, 'adminGroupsList', async () => listGroups(ctx));

  routes.handle(app, 'adminGroupsCreate', async (request, reply) =>
    reply.status(201).send(await createGroup(ctx, actor(request), request.body)),
  );

  routes.handle(app, 'adminGroupsShow', async (request) => showGroup(ctx, request.params.name));

  routes.handle(app, 'adminGroupsDelete', async (request) =>
    deleteGroup(ctx, actor(request), request.params.name),
  );

  routes.handle(app, 'adminGroupsAddMember', async (request, reply) => {
    const out = await addGroupMember(ctx, actor(request), request.params.name, request.body.user_id);
    return reply.status(out.status === 'pending' ? 202 : 200).send(out);
  });

  routes.handle(app, 'adminGroupsRemoveMember', async (request, reply) => {
    const out = await removeGroupMember(ctx, actor(request), request.params.name, request.params.user_id);
    return reply.status(out.status === 'pending' ? 202 : 200).send(out);
  });
};
