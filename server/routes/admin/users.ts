// /admin/users: accounts, locks, password resets, and phone bind codes.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  BindCodeReply,
  CreateUserBody,
  EmptyBody,
  IdParams,
  ListUsersQuery,
  ListUsersReply,
  ResetPasswordBody,
  ResetPasswordReply,
  UserActionReply,
  UserWithPasswordReply,
} from '../../../core/api/admin.js';
import type { AppContext } from '../../context.js';
import {
  createUser,
  issueUserBindCode,
  listUsers,
  lockUser,
  resetUserPassword,
  unlockUser,
} from '../../services/admin/users.js';
import { adminSessionOf } from './guard.js';

export const adminUserRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  const actor = (request: Parameters<typeof adminSessionOf>[0]) => adminSessionOf(request).actor;

  app.get(
    '/users',
    {
      config: { permission: 'users:read' },
      schema: {
        summary: 'List users (newest first)',
        querystring: ListUsersQuery,
        response: { 200: ListUsersReply },
      },
    },
    async (request) => listUsers(ctx, request.query),
  );

  app.post(
    '/users',
    {
      config: { permission: 'users:write' },
      schema: {
        summary: 'Create a user with a one-time password (shown once)',
        body: CreateUserBody,
        response: { 201: UserWithPasswordReply },
      },
    },
    async (request, reply) => reply.status(201).send(await createUser(ctx, actor(request), request.body)),
  );

  app.post(
    '/users/:id/lock',
    {
      config: { permission: 'users:write' },
      schema: {
        summary: 'Lock a user and end their sessions',
        params: IdParams,
        body: EmptyBody,
        response: { 200: UserActionReply },
      },
    },
    async (request) => lockUser(ctx, actor(request), request.params.id),
  );

  app.post(
    '/users/:id/unlock',
    {
      config: { permission: 'users:write' },
      schema: {
        summary: 'Unlock a user (also a failed-login lockout)',
        params: IdParams,
        body: EmptyBody,
        response: { 200: UserActionReply },
      },
    },
    async (request) => unlockUser(ctx, actor(request), request.params.id),
  );

  app.post(
    '/users/:id/reset-password',
    {
      config: { permission: 'users:write' },
      schema: {
        summary: 'New one-time password (shown once), ending the user’s sessions; optionally reset TOTP',
        params: IdParams,
        body: ResetPasswordBody,
        response: { 200: ResetPasswordReply },
      },
    },
    async (request) => resetUserPassword(ctx, actor(request), request.params.id, request.body),
  );

  app.post(
    '/users/:id/bind-code',
    {
      config: { permission: 'bindcodes:write' },
      schema: {
        summary: 'One-time phone bind code (shown once)',
        params: IdParams,
        body: EmptyBody,
        response: { 201: BindCodeReply },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await issueUserBindCode(ctx, actor(request), request.params.id)),
  );
};
