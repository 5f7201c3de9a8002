// Unread counts as the sidebar shows them (docs/api/websocket.md, "Unread counts").
// The users service counts every message: `GET /me/unread` gives, per channel, its
// counters and the two seqs they stand for (`read_seq`, the read cursor, and
// `counted_seq`, the highest message counted). A new message costs no counter frame:
// this client counts, on top of those counters, the messages that reach it past both
// seqs, as the service counts them (another person's message; a mention when it names
// me, @channel or @here). Counting by seq makes a message announced twice, or replayed
// on a resume, count once. A read (mine, or another device's: `unread.changed`) gives
// new counters to count on from.
import { store } from './store.js';

const counters = new Map();   // channel_id -> the service's {unread, mentions, read_seq, counted_seq}
const arrived = new Map();    // channel_id -> Map(seq -> whether it mentions me), past them

const past = (c) => Math.max(c?.read_seq ?? 0, c?.counted_seq ?? 0);

function show(channelId) {
  const base = counters.get(channelId);
  let unread = base?.unread ?? 0;
  let mentions = base?.mentions ?? 0;
  for (const [seq, mentioned] of arrived.get(channelId) || []) {
    if (seq <= past(base)) continue;
    unread += 1;
    if (mentioned) mentions += 1;
  }
  store.unread.set(channelId, { unread, mentions, read_seq: base?.read_seq ?? 0 });
}

// Forget the messages the channel's counters hold now, and show what is left.
function recount(channelId) {
  const seqs = arrived.get(channelId);
  const held = past(counters.get(channelId));
  for (const seq of [...(seqs?.keys() || [])]) if (seq <= held) seqs.delete(seq);
  show(channelId);
}

// One channel's counters from the service (a read), or mine after one.
export function setCounters(channelId, next) {
  counters.set(channelId, next);
  recount(channelId);
  store.emit('unread');
}

// All my counters (`GET /me/unread`, at start and after each reconnect): a channel
// missing from them has had nothing counted and no read.
export function setAllCounters(all) {
  counters.clear();
  store.unread = new Map();
  for (const [channelId, next] of Object.entries(all)) counters.set(channelId, next);
  for (const channelId of new Set([...counters.keys(), ...arrived.keys()])) recount(channelId);
  store.emit('unread');
}

// A message that reached this client (`message.created`, live or replayed).
export function arrive(m) {
  const me = store.me?.user_id;
  if (!me || m.sender_id === me || m.seq <= past(counters.get(m.channel_id))) return;
  if (!arrived.has(m.channel_id)) arrived.set(m.channel_id, new Map());
  const mentioned = (m.mentions || []).some((x) => x === me || x === 'channel' || x === 'here');
  arrived.get(m.channel_id).set(m.seq, mentioned);
  show(m.channel_id);
  store.emit('unread');
}

// Reading up to `seq` here: counted from there on, as the service will have it.
export function readUpTo(channelId, seq) {
  const before = counters.get(channelId);
  setCounters(channelId, { unread: 0, mentions: 0, read_seq: Math.max(seq, before?.read_seq ?? 0),
    counted_seq: before?.counted_seq ?? 0 });
}
