// Parley's service worker: keeps the app shell for offline start, passes everything
// else (the API, /ws, S3 URLs) to the network, and shows web-push notifications.
const SHELL = 'parley-shell-v1';
const FILES = [
  '/', '/manifest.webmanifest', '/icons/icon-192.png', '/icons/icon-512.png',
  '/app/style.css', '/app/main.js', '/app/api.js', '/app/socket.js', '/app/store.js', '/app/sync.js',
  '/app/dom.js', '/app/format.js', '/app/actions.js', '/app/files.js',
  '/app/views/auth.js', '/app/views/sidebar.js', '/app/views/channel.js', '/app/views/messages.js',
  '/app/views/composer.js', '/app/views/thread.js', '/app/views/search.js', '/app/views/dialogs.js',
  '/app/views/panels.js', '/app/views/pins.js', '/app/push.js', '/app/emoji.js', '/app/emoji-data.js', '/app/status.js',
  '/app/channels.js', '/app/views/emoji-picker.js', '/app/unread.js',
];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== SHELL).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

// The shell: network first (the files are small and served no-cache with ETags, so a
// deploy shows at once), the cached copy when offline.
self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== location.origin) return;
  if (url.pathname.startsWith('/api/') || url.pathname === '/ws') return;
  event.respondWith(fetch(event.request).then((response) => {
    if (response.ok) {
      const copy = response.clone();
      caches.open(SHELL).then((cache) => cache.put(event.request, copy));
    }
    return response;
  }).catch(() => caches.match(event.request, { ignoreSearch: true })
    .then((hit) => hit || caches.match('/'))));
});

// Web push (the notifications service sends these, docs/notifications.md): the payload
// is JSON {title, body, channel_id, message_id, tag, url}; a repeat with the same tag
// replaces the notification; a payload that is not JSON is shown as text.
self.addEventListener('push', (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch { data = { body: event.data.text() }; }
  event.waitUntil(self.registration.showNotification(data.title || 'Parley', {
    body: data.body || 'New activity', icon: '/icons/icon-192.png', badge: '/icons/icon-192.png',
    tag: data.tag || data.message_id || 'parley', data: { channel_id: data.channel_id, url: data.url },
  }));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const { channel_id: channel, url } = event.notification.data || {};
  const target = channel ? `/#/c/${channel}` : (url && new URL(url, location.origin).origin === location.origin ? url : '/');
  event.waitUntil(self.clients.matchAll({ type: 'window' }).then((windows) => {
    const open = windows.find((w) => new URL(w.url).origin === location.origin);
    if (open) { open.navigate(target); return open.focus(); }
    return self.clients.openWindow(target);
  }));
});
