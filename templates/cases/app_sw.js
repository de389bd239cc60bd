// The phone app's service worker (served at /cases/app/sw.js with Service-Worker-Allowed: /cases/, see
// portal/cases/views/app_shell.py): keeps the app page and its files so the app opens without a connection.
// Reports are not its business: the page keeps them in IndexedDB and sends them itself (static/cases/app.js).
"use strict";
const VERSION = {{ version | tojson }};
const CACHE = "cases-app-" + VERSION;
const PAGE = {{ page | tojson }};
const FILES = {{ files | tojson }};
const NEVER_CACHED = {{ never_cached | tojson }};

async function cachePage(cache) {
  // Only the signed-in page itself: a redirect to the sign-in page is not the app.
  const response = await fetch(PAGE, { credentials: "same-origin", redirect: "manual" });
  if (response.ok && response.type === "basic") await cache.put(PAGE, response);
}

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(FILES);
    await cachePage(cache).catch(() => {});
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("cases-app-") && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

async function pageFirstFromNetwork(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok && !response.redirected) await cache.put(PAGE, response.clone());
    return response;
  } catch (error) {
    const kept = await cache.match(PAGE);
    if (kept) return kept;
    throw error;
  }
}

async function fileFromCache(request) {
  const kept = await caches.match(request, { ignoreSearch: true });
  return kept || fetch(request);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || NEVER_CACHED.includes(url.pathname)) return;
  if (url.pathname === PAGE) {
    event.respondWith(pageFirstFromNetwork(request));
  } else if (FILES.some((file) => new URL(file, self.location.origin).pathname === url.pathname)) {
    event.respondWith(fileFromCache(request));
  }
});
