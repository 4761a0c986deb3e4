/* heard: service worker for the facilitator capture page. SPDX-License-Identifier: AGPL-3.0-or-later
 *
 * Why: a facilitator who reloads (or reopens) the capture page while the hall has no network
 * must still get the page, so that the entries waiting in localStorage stay visible and can be
 * sent later. This worker holds no entries itself. It serves the page and its two assets
 * network-first and falls back to the last copy it saw; everything else (the sync POST above
 * all) goes straight to the network, untouched.
 *
 * It is served from <hui>/capture/sw.js so that its scope is <hui>/capture/. The page passes
 * the asset paths to cache in the query string (?assets=/static/a.css,/static/b.js).
 */
"use strict";

const CACHE = "heard-capture-v1";
const PAGE = new URL("./", self.location.href).pathname;
const ASSETS = (new URL(self.location.href).searchParams.get("assets") || "")
  .split(",")
  .filter((path) => path.startsWith("/"));
const NETWORK_TIMEOUT_MS = 5000;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll([PAGE].concat(ASSETS)))
      .catch(() => undefined) // signed out or offline now: the next visit fills the cache
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const isPage = request.mode === "navigate" && url.pathname === PAGE;
  if (!isPage && !ASSETS.includes(url.pathname)) return;
  event.respondWith(networkFirst(request, isPage ? PAGE : url.pathname));
});

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then(
      (value) => { clearTimeout(timer); resolve(value); },
      (error) => { clearTimeout(timer); reject(error); },
    );
  });
}

async function networkFirst(request, key) {
  const cache = await caches.open(CACHE);
  try {
    const response = await withTimeout(fetch(request), NETWORK_TIMEOUT_MS);
    if (response.ok && response.type === "basic" && !response.redirected) {
      await cache.put(key, response.clone());
    }
    return response;
  } catch (error) {
    const cached = await cache.match(key);
    if (cached) return cached;
    throw error;
  }
}
