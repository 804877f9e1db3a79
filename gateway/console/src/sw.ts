// The console's service worker: the application shell (the page, its
// scripts and styles, the manifest and icon) is kept in the browser, so
// that the console opens with no connection. Pages are fetched from the
// network first, so a new release shows as soon as there is a connection;
// hashed assets are served from the cache. API calls are never cached:
// changes made offline go through the outbox (src/offline/outbox.ts).
const sw = self as unknown as ServiceWorkerGlobalScope;

const SHELL = "millwa-shell-v1";

async function cacheShell(): Promise<void> {
  const cache = await caches.open(SHELL);
  const page = await fetch("/", { cache: "no-cache" });
  const html = await page.clone().text();
  await cache.put("/", page);
  const assets = Array.from(html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g), (m) => m[1]);
  await cache.addAll(["/manifest.webmanifest", "/icon.svg", "/icon-192.png", "/icon-512.png", ...assets]);
}

sw.addEventListener("install", (e: ExtendableEvent) => {
  e.waitUntil(cacheShell().then(() => sw.skipWaiting()));
});

sw.addEventListener("activate", (e: ExtendableEvent) => {
  e.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== SHELL).map((k) => caches.delete(k))))
      .then(() => sw.clients.claim()),
  );
});

sw.addEventListener("fetch", (e: FetchEvent) => {
  const req = e.request;
  const url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== sw.location.origin) return;
  if (url.pathname.startsWith("/v1/") || url.pathname.startsWith("/openapi") || url.pathname === "/healthz") return;
  if (req.mode === "navigate") {
    e.respondWith(
      fetch(req)
        .then(async (res) => {
          if (res.ok) {
            const cache = await caches.open(SHELL);
            await cache.put("/", res.clone());
          }
          return res;
        })
        .catch(async () => (await caches.match("/")) ?? Response.error()),
    );
    return;
  }
  e.respondWith(
    caches.match(req).then(
      (hit) =>
        hit ??
        fetch(req).then(async (res) => {
          if (res.ok && url.pathname.startsWith("/assets/")) {
            const cache = await caches.open(SHELL);
            await cache.put(req, res.clone());
          }
          return res;
        }),
    ),
  );
});
