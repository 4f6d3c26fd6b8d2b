// The service worker: the app's shell (page, script, style, manifest, icons) works offline, fresh
// from the network when it can be reached, from the cache when not. API requests are never
// touched: they are not under /phone/ and always go to the network.
/// <reference lib="webworker" />
declare const self: ServiceWorkerGlobalScope;
/** Filled in by the build (mobile/app/build.ts): the shell's files and a hash of their contents. */
declare const __SHELL__: readonly string[];
declare const __BUILD_ID__: string;

const CACHE = `viworks-phone-${__BUILD_ID__}`;
const scope = new URL(self.registration.scope);
const shell = new Set(__SHELL__.map((f) => new URL(f, scope).href));

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((c) => c.addAll([...shell]))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  const page = req.mode === 'navigate' && url.href.startsWith(scope.href);
  const key = page ? new URL('./', scope).href : url.origin + url.pathname;
  if (req.method !== 'GET' || !(page || shell.has(key))) return;
  event.respondWith(
    fetch(req)
      .then(async (res) => {
        if (res.ok) await (await caches.open(CACHE)).put(key, res.clone());
        return res;
      })
      .catch(async () => (await caches.match(key)) ?? Response.error()),
  );
});
