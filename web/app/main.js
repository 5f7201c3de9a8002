// Start-up and wiring: sign-in state, the hash router (#/c/<channel id>), socket
// events into the store, store changes into views, the connection banner, idle
// presence, keyboard shortcuts, notifications and the service worker.
import { get, session, whenSignedOut, post } from './api.js';
import { $, clear } from './dom.js';
import { store } from './store.js';
import { arrive, setCounters } from './unread.js';
import { Socket } from './socket.js';
import { afterResume, catchUp, loadChannel, loadChannels, loadUnread, loadUsers, refreshUsers, resumeChannels, resync } from './sync.js';
import { delivered, presence, useSocket, viewing } from './actions.js';
import { showAuth } from './views/auth.js';
import { renderSidebar } from './views/sidebar.js';
import { renderChannelHead, renderMessages, renderTyping, revealMessage, showChannel } from './views/channel.js';
import { renderThread, reloadThread, threadChannel } from './views/thread.js';
import { onEscape, openDrawer } from './views/panels.js';
import { search } from './views/search.js';
import { pinChanged, reloadPins } from './views/pins.js';
import { profileDialog } from './views/dialogs.js';
import { forgetMembers } from './views/composer.js';
import { putChannel } from './channels.js';
import { statusBadge, watchStatusExpiry } from './status.js';

const socket = new Socket();
useSocket(socket);
window.parley = { store, socket };  // for the browser tests and for debugging

// -- connection state ---------------------------------------------------------------
function banner() {
  const el = $('#banner');
  const online = navigator.onLine;
  const state = store.connection;
  el.hidden = state === 'open' || !session.get();
  el.className = online ? '' : 'offline';
  el.textContent = !online ? 'You are offline. Messages you write will be sent when you reconnect.'
    : state === 'connecting' ? 'Connecting…' : 'Reconnecting…';
}
socket.addEventListener('state', (e) => { store.connection = e.detail; banner(); });
window.addEventListener('offline', () => { socket.drop(); banner(); });
window.addEventListener('online', () => { banner(); socket.connect(); });
socket.resumeChannels = resumeChannels;
socket.addEventListener('hello', () => { viewing(); reloadPins(); });
socket.addEventListener('hello', (e) => resync({ resuming: e.detail.resuming }).catch((err) => console.warn('resync failed', err)));
socket.addEventListener('resumed', (e) => {
  window.parley.lastResume = e.detail;
  afterResume(e.detail).catch((err) => console.warn('catch-up failed', err));
});

// -- events -------------------------------------------------------------------------
const handlers = {
  async 'message.created'(m) {
    arrive(m);   // counted here: the service sends no counters for a new message
    if (!store.channels.has(m.channel_id)) await loadChannel(m.channel_id).catch(() => {});
    await loadUsers([m.sender_id]);
    if (m.sender_id !== store.me.user_id) {
      const visible = store.active === m.channel_id && document.visibilityState === 'visible';
      const shown = !m.thread_parent_id || m.also_to_channel;
      if (shown && !visible) {
        notify(m, m.mentions?.some((x) => x === store.me.user_id || x === 'channel' || x === 'here'));
      }
      const typers = store.typing.get(m.channel_id);
      if (typers?.delete(m.sender_id)) store.emit('typing');
    }
    if (m.sender_id !== store.me.user_id && m.channel_id === store.active) {
      $('#announce').textContent = `${store.name(m.sender_id)}: ${m.text.slice(0, 200)}`;
    }
    if (!store.messages.has(m.channel_id)) return;   // history loads when it is opened
    if (store.putMessages(m.channel_id, [m])) catchUp(m.channel_id);   // a gap: fetch it
    delivered(m.channel_id, store.seen.get(m.channel_id));
  },
  // I read a channel (here or on another device): the users service's counters after
  // the read, to count on from (unread.js).
  'unread.changed'(d) {
    setCounters(d.channel_id, d);
  },
  // An edit, delete, pin or reaction: kept for messages in the loaded stretch of
  // history only (an older one would be drawn out of place, above a gap).
  'message.updated': (m) => { pinChanged(m); if (store.holds(m)) store.putMessages(m.channel_id, [m]); },
  'message.deleted': (m) => handlers['message.updated'](m),
  'reaction.added': (d) => handlers['message.updated'](d.message),
  'reaction.removed': (d) => handlers['message.updated'](d.message),
  async 'member.joined'(d) {
    forgetMembers(d.channel_id);
    if (d.user_id === store.me.user_id) {   // invited (when I joined myself, it is loaded)
      if (!store.channels.has(d.channel_id)) await loadChannel(d.channel_id);
      return;
    }
    if (store.channels.has(d.channel_id)) await loadUsers([d.user_id]);
  },
  'member.left'(d) {
    forgetMembers(d.channel_id);
    if (d.user_id !== store.me.user_id) return;
    store.channels.delete(d.channel_id);
    store.messages.delete(d.channel_id);
    store.emit('channels');
    if (store.active === d.channel_id) location.hash = '#/';
  },
  'channel.updated': (d) => putChannel(d.channel),
  receipt(d) {
    if (!store.receipts.has(d.channel_id)) store.receipts.set(d.channel_id, new Map());
    store.receipts.get(d.channel_id).set(d.user_id, d.read_seq ?? 0);
    store.emit('messages', d.channel_id);
  },
  // Someone's name, status or avatar changed (mine too, from another device).
  'user.updated'(d) {
    store.users.set(d.user_id, d);
    if (d.user_id === store.me.user_id) store.me = d;
    store.emit('users');
  },
  'presence.changed'(d) {
    store.presence.set(d.user_id, d.status);
    store.emit('presence');
    // no event announces a profile edit: a presence change is when a status is read again
    if (d.user_id !== store.me.user_id && store.users.has(d.user_id)) refreshUsers([d.user_id]).catch(() => {});
  },
  typing(d) {
    if (!store.typing.has(d.channel_id)) store.typing.set(d.channel_id, new Map());
    const map = store.typing.get(d.channel_id);
    if (d.state === 'stopped') map.delete(d.user_id);
    else map.set(d.user_id, { until: Date.now() + d.expires_in * 1000, thread: d.thread_parent_id });
    loadUsers([d.user_id]).then(() => store.emit('typing'));
    setTimeout(() => store.emit('typing'), d.expires_in * 1000 + 50);
  },
};
socket.addEventListener('event', (e) => {
  const fn = handlers[e.detail.type];
  if (fn) Promise.resolve(fn(e.detail.data)).catch((err) => console.warn(e.detail.type, err));
});

// -- store → views ------------------------------------------------------------------
let sidebarQueued = false;
const queueSidebar = () => {
  if (sidebarQueued) return;
  sidebarQueued = true;
  requestAnimationFrame(() => { sidebarQueued = false; renderSidebar(); });
};
const queued = new Set();
store.on('messages', (channelId) => {
  if (queued.has(channelId)) return;
  queued.add(channelId);
  requestAnimationFrame(() => {
    queued.delete(channelId);
    renderMessages(channelId);
    if (threadChannel() === channelId) renderThread();
  });
});
for (const topic of ['channels', 'unread', 'presence']) store.on(topic, queueSidebar);
store.on('channels', renderChannelHead);   // a rename, topic or archive of the open channel
watchStatusExpiry();
// the top bar's button: my name and status, also after an edit or the status's expiry
store.on('users', () => store.me && clear($('#me'), store.me.display_name, statusBadge(store.me.user_id)));
store.on('users', () => { queueSidebar(); if (store.active) store.emit('messages', store.active); });
store.on('typing', () => { renderTyping(); renderThread(); });
store.on('thread', () => reloadThread());

// -- notifications ------------------------------------------------------------------
function notify(m, mentioned) {
  if (!('Notification' in window) || Notification.permission !== 'granted' || document.hasFocus()) return;
  const channel = store.channels.get(m.channel_id);
  const dm = channel?.kind === 'dm' || channel?.kind === 'group_dm';
  if (!dm && !mentioned) return;
  const n = new Notification(`${store.name(m.sender_id)}${dm ? '' : ` in #${channel?.name}`}`,
    { body: m.text.slice(0, 200), tag: m.id, icon: '/icons/icon-192.png' });
  n.onclick = () => { window.focus(); location.hash = `#/c/${m.channel_id}`; };
}

// -- idle presence: idle after 5 minutes without input or while hidden ---------------
let idle = false;
let idleTimer = null;
function activity() {
  clearTimeout(idleTimer);
  idleTimer = setTimeout(() => setIdle(true), 5 * 60 * 1000);
  if (idle) setIdle(false);
}
function setIdle(value) {
  idle = value;
  if (store.connection === 'open') presence(value ? 'idle' : 'active');
}
for (const type of ['keydown', 'pointerdown', 'focus']) window.addEventListener(type, activity, { passive: true });

// -- routing ------------------------------------------------------------------------
async function route() {
  const m = location.hash.match(/^#\/c\/([A-Za-z0-9_-]+)(?:\/(\d+))?/);
  openDrawer(false);
  if (m && !store.channels.has(m[1])) await loadChannel(m[1]).catch(() => {});
  if (!m || store.active !== m[1] || !m[2]) await showChannel(m ? m[1] : null);
  viewing();
  renderSidebar();
  if (m?.[2]) await revealMessage(m[1], Number(m[2]));
}
window.addEventListener('hashchange', () => { if (store.me) route(); });

// -- keyboard -----------------------------------------------------------------------
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape') onEscape();
  if (e.key === 'k' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); $('#search-q').focus(); }
  if (e.altKey && (e.key === 'ArrowUp' || e.key === 'ArrowDown')) {   // previous / next conversation
    const items = [...document.querySelectorAll('#sidebar .side-item')];
    const at = items.findIndex((a) => a.dataset.channel === store.active);
    const next = items[(at + (e.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length];
    if (next) { e.preventDefault(); location.hash = `#/c/${next.dataset.channel}`; }
  }
});

// -- start --------------------------------------------------------------------------
async function signOut() {
  await post('/auth/logout').catch(() => {});
  session.clear();
  location.replace('/');
}
whenSignedOut(() => location.replace('/'));

async function start() {
  $('#auth').hidden = true;
  store.me = await get('/me');
  store.users.set(store.me.user_id, store.me);
  await Promise.all([loadChannels(), loadUnread()]);
  $('#app').hidden = false;
  store.emit('users');   // draws #me
  $('#me').onclick = () => profileDialog(signOut);
  $('#menu').onclick = () => openDrawer(!$('#sidebar').classList.contains('open'));
  $('#scrim').onclick = () => openDrawer(false);
  $('#search').onsubmit = (e) => {
    e.preventDefault();
    search($('#search-q').value.trim());   // empty: the filters alone
  };
  document.addEventListener('visibilitychange', () => {
    setIdle(document.visibilityState === 'hidden');
    viewing();
    if (document.visibilityState === 'visible' && store.active) renderMessages(store.active);
  });
  activity();
  socket.start();
  await route();
  banner();
}

if ('serviceWorker' in navigator) navigator.serviceWorker.register('/sw.js').catch(() => {});

if (location.pathname === '/reset-password') showAuth('reset', start);
else if (session.get()) boot();
else showAuth('signin', start);

// Signed in already: start, or (no network) say so and try again shortly.
function boot() {
  start().catch((err) => {
    if (err.status === 401) { session.clear(); showAuth('signin', start); return; }
    Object.assign($('#banner'), { hidden: false, className: 'offline', textContent: 'Cannot reach Parley. Retrying…' });
    setTimeout(boot, 3000);
  });
}

