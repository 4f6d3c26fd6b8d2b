// The phone app (mobile/app) at /phone/, on the API's own origin: the WebAuthn credential it makes
// is bound to this origin, and its API calls are same-origin. Files come from the loaded build
// (services/phone-app/bundle.ts) — only the names it lists. A strict CSP lets the page load its
// own script, style and images and talk to this origin only; nothing is framed, nothing injected
// can reach an HTML sink (Trusted Types), and nothing else is allowed.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ViworksError } from '../../core/errors/viworks-error.js';
import {
  type AppFile,
  defaultPhoneAppDir,
  loadPhoneApp,
  type PhoneAppBundle,
} from '../services/phone-app/bundle.js';
import { RATE_RULES } from '../services/rate-limit.js';
import type { FeaturePlugin } from './feature.js';
import { limitPerIp } from './identity-http.js';

export const PHONE_APP_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "worker-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  // One policy, in main.ts: it lets through the app's own service worker URL and nothing else.
  'trusted-types viworks-sw',
].join('; ');

const HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': PHONE_APP_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy':
    'camera=(), microphone=(), geolocation=(), publickey-credentials-create=(self), publickey-credentials-get=(self)',
  // The backend speaks only HTTPS: a phone that saw it once never falls back to plain HTTP.
  'strict-transport-security': 'max-age=31536000',
};

function send(request: FastifyRequest, reply: FastifyReply, file: AppFile) {
  const gzip = file.gzip && /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
  reply.headers(HEADERS).header('content-type', file.contentType).header('vary', 'accept-encoding');
  if (gzip) reply.header('content-encoding', 'gzip');
  return reply.code(200).send(gzip ? file.gzip : file.body);
}

export const phoneAppRoutes: FeaturePlugin = async (app, { ctx, routes }) => {
  limitPerIp(app, ctx, RATE_RULES.phoneApp);
  let bundle: PhoneAppBundle | null = null;
  if (ctx.config.phoneAppDir) {
    bundle = loadPhoneApp(ctx.config.phoneAppDir); // configured: must load, or the start fails
  } else {
    try {
      bundle = loadPhoneApp(defaultPhoneAppDir());
    } catch {
      app.log.warn(
        { dir: defaultPhoneAppDir() },
        'the phone app is not built (npm run build): /phone/ answers 404',
      );
    }
  }
  const notHere = () =>
    new ViworksError('VIW_E_NOT_FOUND', {
      details: [bundle ? 'no such file in the phone app' : 'the phone app is not installed on this backend'],
    });
  const serve = (name: string) => async (request: FastifyRequest, reply: FastifyReply) => {
    const file = bundle?.files.get(name);
    if (!file) throw notHere();
    return send(request, reply, file);
  };

  routes.handle(app, 'phoneAppRoot', async (_request, reply) => reply.redirect('/phone/', 308));
  routes.handle(app, 'phoneAppIndex', async (request, reply) => serve('index.html')(request, reply));
  routes.handle(app, 'phoneAppFile', async (request, reply) => serve(request.params.file)(request, reply));
};
