import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { VERSION } from '../version.js';

export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/health',
    {
      schema: {
        summary: 'Liveness of the backend',
        response: {
          200: Type.Object(
            { status: Type.Literal('ok'), version: Type.String() },
            { additionalProperties: false },
          ),
        },
      },
    },
    async () => ({ status: 'ok' as const, version: VERSION }),
  );
};
