// Keeping the store in step with the server: the first load, live events, and the
// catch-up after every (re)connect. Catch-up uses REST (`GET …/messages?after=<seq>`
// per channel, docs/api/websocket.md "After a reconnect"); when the socket's `resume`
// frame exists, `catchUp` is the one function to replace.
import { get, post, put, q } from './api.js';
import { store } from './store.js';
import { readUpTo, setAllCounters } from './unread.js';

const PAGE = 200;

export async function loadUsers(ids) {
  const missing = [...new Set(ids)].filter((id) => id && !store.users.has(id) && id !== 'channel' && id !== 'here');
  await Promise.all(missing.map(async (id) => {
    try { store.users.set(id, await get(`/users/${id}`)); } catch { store.users.set(id, { user_id: id, display_name: 'unknown' }); }
  }));
  if (missing.length) store.emit('users');
}

// Profiles fetched again (a status changed: no event announces a profile edit).
export async function refreshUsers(ids) {
  const fresh = await Promise.all([...new Set(ids)].map((id) => get(`/users/${id}`).catch(() => null)));
  for (const user of fresh) if (user) store.users.set(user.user_id, user);
  store.emit('users');
}

export async function loadPresence(ids) {
  const list = [...new Set(ids)].slice(0, 200);
  if (!list.length) return;
  const found = await get(`/presence?${q({ user_ids: list.join(',') })}`);
  for (const [id, p] of Object.entries(found)) store.presence.set(id, p.status);
  store.emit('presence');
}

async function addChannel(channel) {
  if (channel.kind === 'dm' || channel.kind === 'group_dm') {
    channel.member_ids = await get(`/channels/${channel.id}/members`);
    await loadUsers(channel.member_ids);
  }
  const changing = unsaved.get(channel.id);
  if (changing) channel.membership = { ...channel.membership, ...changing.membership };
  store.channels.set(channel.id, channel);
}

// My notification level and mute for a channel show at once. The requests go one after
// another so that answers cannot cross; each answer (the whole membership as the server
// has it then) is kept, with the changes still on their way laid over it, also over a
// channel reloaded meanwhile (a `member.joined` reload must not undo a fresh mute).
const unsaved = new Map();   // channel_id -> {membership changes not yet answered, count}
let saving = Promise.resolve();

function setMembership(channelId, membership) {
  const channel = store.channels.get(channelId);
  if (channel) channel.membership = { ...channel.membership, ...membership, ...unsaved.get(channelId)?.membership };
  store.emit('channels');
}

export function saveNotifications(channelId, changes) {
  const local = {};
  if ('level' in changes) local.notification_level = changes.level;
  if ('muted' in changes) local.muted = changes.muted;
  const before = unsaved.get(channelId) || { membership: {}, count: 0 };
  unsaved.set(channelId, { membership: { ...before.membership, ...local }, count: before.count + 1 });
  setMembership(channelId, local);
  const settled = () => {
    const left = unsaved.get(channelId);
    if (left && --left.count === 0) unsaved.delete(channelId);
  };
  saving = saving.then(() => put(`/channels/${channelId}/notifications`, changes))
    .then((membership) => { settled(); setMembership(channelId, membership); })
    .catch((err) => { unsaved.delete(channelId); loadChannel(channelId).catch(() => {}); alert(err.message); });
  return saving;
}

export async function loadChannels() {
  const list = await get('/channels');
  await Promise.all(list.map(addChannel));
  for (const id of [...store.channels.keys()]) if (!list.some((c) => c.id === id)) store.channels.delete(id);
  store.emit('channels');
  const people = [...store.channels.values()].flatMap((c) => c.member_ids || []);
  await loadPresence([store.me.user_id, ...people]);
}

export async function loadChannel(id) {
  const channel = await get(`/channels/${id}`);
  await addChannel(channel);
  store.emit('channels');
  if (channel.member_ids) await loadPresence(channel.member_ids);
}

export async function loadUnread() {
  setAllCounters(await get('/me/unread'));
}

// The latest page of a channel (when first opened).
export async function loadLatest(channelId) {
  const page = await get(`/channels/${channelId}/messages?${q({ limit: 50 })}`);
  await loadUsers(page.map((m) => m.sender_id));
  if (!store.seen.has(channelId) && page.length) store.seen.set(channelId, page[0].seq - 1);
  store.older.set(channelId, page.length === 50 && page[0].seq > 1);
  store.putMessages(channelId, page);
}

export async function loadOlder(channelId) {
  const box = store.channelMessages(channelId);
  const lowest = Math.min(...[...box.values()].map((m) => m.seq));
  if (!store.older.get(channelId) || !Number.isFinite(lowest) || lowest <= 1) return 0;
  const page = await get(`/channels/${channelId}/messages?${q({ before: lowest, limit: 50 })}`);
  await loadUsers(page.map((m) => m.sender_id));
  store.older.set(channelId, page.length === 50 && page[0].seq > 1);
  store.putMessages(channelId, page);
  return page.length;
}

// Everything after the highest seq held with nothing missing below it.
export async function catchUp(channelId) {
  if (!store.messages.has(channelId)) return;
  for (;;) {
    const after = store.seen.get(channelId) ?? 0;
    const page = await get(`/channels/${channelId}/messages?${q({ after, limit: PAGE })}`);
    await loadUsers(page.map((m) => m.sender_id));
    store.putMessages(channelId, page);
    if (page.length < PAGE) return;
  }
}

// The socket's `resume` frame: the highest seq held per loaded channel.
export const resumeChannels = () => Object.fromEntries(
  [...store.messages.keys()].map((id) => [id, store.seen.get(id) ?? 0]));

// After `resumed`: channels the socket did not replay in full are caught up over REST
// (all of them when the resume itself failed, e.g. a gateway without it).
export function afterResume(reply) {
  const ids = [...store.messages.keys()].filter((id) => {
    const r = reply?.channels?.[id];
    return !r || r.error || r.complete === false;
  });
  return Promise.all(ids.map(catchUp));
}

// After `hello`: what changed while the socket was away. A resuming socket replays
// the messages itself; otherwise they are fetched over REST.
export async function resync({ resuming = false } = {}) {
  await loadChannels();
  await Promise.all([loadUnread(), ...(resuming ? [] : [...store.messages.keys()].map(catchUp))]);
  // Thread replies announced while away updated their parents; reload what is open.
  if (store.thread) store.emit('thread');
}

// In a DM or group DM: the others' read cursors, from the receipts of my newest
// message (then kept current by `receipt` events).
export async function loadReceipts(channelId) {
  const channel = store.channels.get(channelId);
  if (channel?.kind !== 'dm' && channel?.kind !== 'group_dm') return;
  const mine = store.list(channelId).filter((m) => m.id && m.sender_id === store.me.user_id).at(-1);
  if (!mine) return;
  const receipts = await get(`/channels/${channelId}/messages/${mine.id}/receipts`);
  const cursors = store.receipts.get(channelId) || new Map();
  for (const r of receipts.recipients || []) cursors.set(r.user_id, Math.max(cursors.get(r.user_id) ?? 0, r.read_seq ?? 0));
  store.receipts.set(channelId, cursors);
  store.emit('messages', channelId);
}

export function markRead(channelId) {
  const box = store.messages.get(channelId);
  const seq = store.seen.get(channelId) || 0;
  const channel = store.channels.get(channelId);
  if (!box || !channel || !seq) return;
  const counts = store.unread.get(channelId);
  if ((channel.membership?.last_read_seq ?? 0) >= seq && !counts?.unread) return;
  channel.membership = { ...channel.membership, last_read_seq: seq };
  readUpTo(channelId, seq);
  post(`/channels/${channelId}/read`, { seq }).catch(() => {});
}
