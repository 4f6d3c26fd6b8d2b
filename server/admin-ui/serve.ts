// The admin panel at /admin/, on the API's own origin (its calls are same-origin, no CORS at all).
// One encapsulated plugin: its rate limit, @fastify/helmet's headers and @fastify/static's
// sendFile reach only the panel's three routes of the table (adminUiRoot/Index/Asset), never the
// admin API beside them nor the phone app. @fastify/static serves no route of its own (`serve:
// false`: no wildcard under /admin, no listing); a handler sends a name only after finding it in
// the build's file list (bundle.ts), from the build folder only.
import helmet, { type FastifyHelmetOptions } from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import { BACKEND_ROUTES } from '../../core/api/backend-routes.js';
import { ViworksError } from '../../core/errors/viworks-error.js';
import type { FeaturePlugin } from '../routes/feature.js';
import { limitPerIp } from '../routes/identity-http.js';
import { RATE_RULES } from '../services/rate-limit.js';
import { type AdminUiBundle, defaultAdminUiDir, loadAdminUi } from './bundle.js';

/** The page's script, style and icon come from this origin, its calls go to it, nothing else. */
const CSP_DIRECTIVES = {
  'default-src': ["'none'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
  'frame-ancestors': ["'none'"],
  // Nothing injected reaches an HTML or script sink: the panel writes text and elements only
  // (React, QR codes as SVG elements), and creates no Trusted Types policy at all.
  'require-trusted-types-for': ["'script'"],
  'trusted-types': ["'none'"],
} as const;

export const ADMIN_UI_CSP = Object.entries(CSP_DIRECTIVES)
  .map(([name, values]) => `${name} ${values.join(' ')}`)
  .join('; ');

const HELMET: FastifyHelmetOptions = {
  global: true,
  contentSecurityPolicy: {
    useDefaults: false,
    directives: Object.fromEntries(Object.entries(CSP_DIRECTIVES).map(([k, v]) => [k, [...v]])),
  },
  // Everything the page loads is its own: it may isolate itself fully.
  crossOriginEmbedderPolicy: { policy: 'require-corp' },
  crossOriginOpenerPolicy: { policy: 'same-origin' },
  crossOriginResourcePolicy: { policy: 'same-origin' },
  referrerPolicy: { policy: 'no-referrer' },
  // The backend speaks only HTTPS; as the phone app's, without includeSubDomains (the backend's
  // name may share a parent domain with other services).
  strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: false },
  xFrameOptions: { action: 'deny' },
};

/** The panel asks the browser for nothing: no camera, no microphone, no location, no payment, no USB. */
const PERMISSIONS_POLICY = 'camera=(), microphone=(), geolocation=(), payment=(), usb=()';
const NOT_BUILT = 'the admin panel is not installed on this backend (npm run build)';

function findBuild(
  configured: string | null,
  defaultDir: string,
  warn: (dir: string) => void,
): AdminUiBundle | null {
  if (configured) return loadAdminUi(configured); // configured: must load, or the start fails
  try {
    return loadAdminUi(defaultDir);
  } catch {
    warn(defaultDir);
    return null;
  }
}

/** The panel's routes; `defaultDir` is where an unconfigured backend looks for the build. */
export const adminUiPlugin =
  (defaultDir: () => string): FeaturePlugin =>
  async (app, { ctx, routes }) => {
    limitPerIp(app, ctx, RATE_RULES.adminUi);
    await app.register(helmet, HELMET);
    app.addHook('onRequest', async (_request, reply) => {
      reply.header('permissions-policy', PERMISSIONS_POLICY);
    });
    const build = findBuild(ctx.config.adminUiDir, defaultDir(), (dir) =>
      app.log.warn({ dir }, 'the admin panel is not built (npm run build): /admin/ answers 404'),
    );
    if (build) {
      await app.register(fastifyStatic, {
        root: build.dir,
        serve: false,
        list: false,
        index: false,
        dotfiles: 'deny',
        // The .br / .gz copies the build wrote, to browsers that take them.
        preCompressed: true,
        // Every answer is `no-store` (app.ts): a panel upgrade is never mixed with a cached script.
        cacheControl: false,
        lastModified: false,
      });
    }
    const notHere = (detail: string) => new ViworksError('VIW_E_NOT_FOUND', { details: [detail] });

    routes.handle(app, 'adminUiRoot', async (_request, reply) =>
      reply.redirect(BACKEND_ROUTES.adminUiIndex.path, 308),
    );
    routes.handle(app, 'adminUiIndex', async (_request, reply) => {
      if (!build) throw notHere(NOT_BUILT);
      return reply.sendFile('index.html');
    });
    routes.handle(app, 'adminUiAsset', async (request, reply) => {
      const file = request.params.file;
      if (!build) throw notHere(NOT_BUILT);
      if (!build.assets.has(file)) throw notHere('no such file in the admin panel');
      return reply.sendFile(`assets/${file}`);
    });
  };

export const adminUiRoutes: FeaturePlugin = adminUiPlugin(defaultAdminUiDir);
