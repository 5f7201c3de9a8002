// A person's status beside their name: the emoji, with the status text as its
// tooltip. A status past its `status_expires_at` is not shown: when the earliest one
// lapses, the profiles holding it are cleared (as the server now reads them) and
// `users` is emitted, so every view that shows names draws again.
import { h } from './dom.js';
import { emojiChar } from './emoji.js';
import { store } from './store.js';

const NONE = { text: '', emoji: '', expires_at: null };
const lapsed = (s) => Boolean(s?.expires_at) && new Date(s.expires_at) <= Date.now();

export function shownStatus(user) {
  const s = user?.status;
  if (!s || (!s.text && !s.emoji) || lapsed(s)) return null;
  return s;
}

export function statusBadge(userId) {
  const s = shownStatus(store.users.get(userId));
  if (!s) return null;
  const text = s.text || `:${s.emoji.replace(/^:|:$/g, '')}:`;
  return h('span', { class: 'status-emoji', role: 'img', title: text, 'aria-label': `status: ${text}` },
    s.emoji ? emojiChar(s.emoji) : '💬');
}

// "Clear after" choices of the profile dialog, as the status_expires_at they mean.
export const CLEAR_AFTER = {
  never: { label: "Don't clear", at: () => null },
  '30m': { label: '30 minutes', at: () => new Date(Date.now() + 30 * 60e3) },
  '1h': { label: '1 hour', at: () => new Date(Date.now() + 60 * 60e3) },
  '4h': { label: '4 hours', at: () => new Date(Date.now() + 4 * 60 * 60e3) },
  today: { label: 'Today', at: () => { const d = new Date(); d.setHours(24, 0, 0, 0); return d; } },
  week: { label: 'This week', at: () => {   // until Monday, 00:00 local time
    const d = new Date(); d.setHours(24 * (((8 - d.getDay()) % 7) || 7), 0, 0, 0); return d;
  } },
};

let timer = null;
export function watchStatusExpiry() {
  const schedule = () => {
    clearTimeout(timer);
    const next = Math.min(...[...store.users.values()]
      .map((u) => (shownStatus(u)?.expires_at ? new Date(u.status.expires_at).getTime() : Infinity)));
    if (next === Infinity) return;
    timer = setTimeout(expire, Math.min(Math.max(0, next - Date.now()) + 50, 2 ** 31 - 1));
  };
  const expire = () => {
    for (const [id, u] of store.users) {
      if (u.status && lapsed(u.status)) store.users.set(id, { ...u, status: NONE });
    }
    if (store.me && lapsed(store.me.status)) store.me = { ...store.me, status: NONE };
    store.emit('users');
  };
  store.on('users', schedule);
  schedule();
}
