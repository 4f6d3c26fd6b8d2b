// Which first requests make a connection a browser's (its TLS fingerprint is then not judged).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BACKEND_ROUTES } from '../../core/api/backend-routes.js';
import { isBrowserRequest } from './connection-use.js';

const path = (name: keyof typeof BACKEND_ROUTES) => BACKEND_ROUTES[name].path;

describe('isBrowserRequest', () => {
  it("the phone app and its API are a browser's, also on paths no route matches", () => {
    assert.equal(isBrowserRequest(path('phoneAppIndex'), 'phoneAppIndex', undefined), true);
    assert.equal(isBrowserRequest(`${path('phoneAppIndex')}nothing-here.js`, undefined, undefined), true);
  });

  it("the admin panel's page, its files and its redirect are a browser's, without any header", () => {
    assert.equal(isBrowserRequest(path('adminUiIndex'), 'adminUiIndex', undefined), true);
    assert.equal(isBrowserRequest('/admin/assets/app.js', 'adminUiAsset', undefined), true);
    assert.equal(isBrowserRequest(path('adminUiRoot'), 'adminUiRoot', undefined), true);
  });

  it("an admin API call is a browser's only with Sec-Fetch-Site: same-origin (the panel's calls)", () => {
    assert.equal(isBrowserRequest(path('adminLogin'), 'adminLogin', 'same-origin'), true);
    assert.equal(isBrowserRequest(path('adminUsersList'), 'adminUsersList', 'same-origin'), true);
    // The CLI sends no Fetch Metadata; another site's page is not the panel.
    assert.equal(isBrowserRequest(path('adminLogin'), 'adminLogin', undefined), false);
    assert.equal(isBrowserRequest(path('adminLogin'), 'adminLogin', 'cross-site'), false);
    assert.equal(isBrowserRequest(path('adminLogin'), 'adminLogin', 'same-site'), false);
    assert.equal(isBrowserRequest(path('adminLogin'), 'adminLogin', ['same-origin', 'x']), false);
  });

  it('the desktop API stays an API, whatever headers it sends; so do unknown /admin paths', () => {
    assert.equal(isBrowserRequest(path('health'), 'health', 'same-origin'), false);
    assert.equal(isBrowserRequest('/admin/secret-door', undefined, 'same-origin'), false);
  });
});
