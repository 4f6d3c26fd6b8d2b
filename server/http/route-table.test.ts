// The server's routes come from the one table: a route outside it, a handler registered twice and
// a table entry without a handler all stop the start.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { BackendRouteTable } from './route-table.js';

describe('backend route table', () => {
  it('refuses a route that is not in BACKEND_ROUTES', async () => {
    const app = Fastify();
    new BackendRouteTable(app);
    assert.throws(() => app.get('/auth/secret-door', async () => ({})), /not in BACKEND_ROUTES/);
    await app.close();
  });

  it('refuses a handler registered twice, and names the entries left without one', async () => {
    const app = Fastify();
    const routes = new BackendRouteTable(app);
    routes.handle(app, 'health', async () => ({ status: 'ok', version: 'x' }));
    assert.throws(() => routes.handle(app, 'health', async () => ({})), /handled twice: health/);
    assert.ok(routes.missing().includes('authLogin'));
    assert.ok(!routes.missing().includes('health'));
    assert.throws(() => routes.assertComplete(), /without a handler: .*authLogin/);
    await app.close();
  });

  it('takes method, path, schemas and the admin permission from the table', async () => {
    const app = Fastify();
    const routes = new BackendRouteTable(app);
    const seen: Array<{ url: string; method: unknown; permission: unknown; body: boolean }> = [];
    app.addHook('onRoute', (r) => {
      if (r.method !== 'HEAD')
        seen.push({ url: r.url, method: r.method, permission: r.config?.permission, body: !!r.schema?.body });
    });
    routes.handle(app, 'adminUsersLock', async () => ({}));
    assert.deepEqual(seen, [
      { url: '/admin/users/:id/lock', method: 'POST', permission: 'users:write', body: true },
    ]);
    await app.close();
  });
});
