// /admin/policies: access policies, their versions and assignments, the dual-approval queue and
// explain (docs/policies.md). A change that widens anyone's access answers 202 with the pending
// change; a second administrator approves it under /admin/policies/changes/:id.
import { approveChange, listChanges, rejectChange, showChange } from '../../services/policy/admin-changes.js';
import { explainPolicy } from '../../services/policy/admin-explain.js';
import {
  assignPolicy,
  createPolicy,
  diffPolicy,
  listPolicies,
  showPolicy,
  showPolicyVersion,
  unassignPolicy,
  updatePolicy,
} from '../../services/policy/admin-policies.js';
import type { FeaturePlugin } from '../feature.js';
import { adminSessionOf } from './guard.js';

/**
 * The two routes that carry a policy document: a document at the schema's limits (hundreds of
 * countries and AS numbers) is larger than the admin API's 8 KiB, so these take up to 32 KiB.
 */
export const POLICY_BODY_LIMIT = 32 * 1024;
const DOCUMENT_ROUTES: ReadonlySet<string> = new Set(['adminPoliciesCreate', 'adminPoliciesUpdate']);

export const adminPolicyRoutes: FeaturePlugin = async (app, { ctx, routes }) => {
  const actor = (request: Parameters<typeof adminSessionOf>[0]) => adminSessionOf(request).actor;
  // Runs after the admin guard's own onRoute hook (which sets the 8 KiB default).
  app.addHook('onRoute', (route) => {
    if (DOCUMENT_ROUTES.has(route.config?.backendRoute ?? '')) route.bodyLimit = POLICY_BODY_LIMIT;
  });

  routes.handle(app, 'adminPoliciesList', async () => listPolicies(ctx));

  routes.handle(app, 'adminPoliciesCreate', async (request, reply) =>
    reply.status(201).send(await createPolicy(ctx, actor(request), request.body)),
  );

  routes.handle(app, 'adminPoliciesShow', async (request) => showPolicy(ctx, request.params.name));

  routes.handle(app, 'adminPoliciesVersion', async (request) =>
    showPolicyVersion(ctx, request.params.name, request.params.version),
  );

  routes.handle(app, 'adminPoliciesUpdate', async (request, reply) => {
    const out = await updatePolicy(ctx, actor(request), request.params.name, request.body.document);
    return reply.status(out.status === 'pending' ? 202 : 201).send(out);
  });

  routes.handle(app, 'adminPoliciesDiff', async (request) =>
    diffPolicy(ctx, request.params.name, request.query),
  );

  routes.handle(app, 'adminPoliciesAssign', async (request, reply) => {
    const out = await assignPolicy(ctx, actor(request), request.params.name, request.body);
    return reply.status(out.status === 'pending' ? 202 : 200).send(out);
  });

  routes.handle(app, 'adminPoliciesUnassign', async (request, reply) => {
    const out = await unassignPolicy(ctx, actor(request), request.params.name, request.body);
    return reply.status(out.status === 'pending' ? 202 : 200).send(out);
  });

  routes.handle(app, 'adminPoliciesExplain', async (request) => explainPolicy(ctx, request.query));

  routes.handle(app, 'adminPolicyChangesList', async (request) =>
    listChanges(ctx, actor(request), request.query),
  );

  routes.handle(app, 'adminPolicyChangesShow', async (request) =>
    showChange(ctx, actor(request), request.params.id),
  );

  routes.handle(app, 'adminPolicyChangesApprove', async (request) =>
    approveChange(ctx, actor(request), request.params.id),
  );

  routes.handle(app, 'adminPolicyChangesReject', async (request) =>
    rejectChange(ctx, actor(request), request.params.id),
  );
};
