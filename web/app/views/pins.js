// A conversation's pinned messages in the side panel (full screen on a phone), the
// newest pin first (GET /channels/{id}/pins), each with a link that jumps to it and an
// Unpin button. Kept current by the socket: message.updated and message.deleted carry
// the message with its `pinned` state (main.js hands them to `pinChanged`), and a new
// `hello` (after a reconnect, events may have been missed) reloads the list.
import { del, get } from '../api.js';
import { $, clear, h } from '../dom.js';
import { renderText, timeLabel } from '../format.js';
import { store } from '../store.js';
import { loadUsers } from '../sync.js';
import { closePanels } from './panels.js';
import { openThread } from './thread.js';
import { revealMessage } from './channel.js';

let view = null;   // {channelId, list, pins: Map(id -> message), early: Map of events during a load}

const open = () => view?.list.isConnected && !$('#results').hidden;

export async function showPins(channel) {
  closePanels();
  const panel = $('#results');
  const dm = channel.kind === 'dm' || channel.kind === 'group_dm';
  const title = dm ? store.channelTitle(channel) : `#${channel.name}`;
  const list = h('div', { class: 'messages pins', role: 'list', 'aria-label': `Pinned messages in ${title}`, 'aria-busy': 'true', tabindex: '-1' },
    h('p', { class: 'empty' }, 'Loading…'));
  view = { channelId: channel.id, list, pins: new Map(), early: null };
  panel.setAttribute('aria-label', 'Pinned messages');
  clear(panel, h('div', { class: 'panel-head' }, h('h2', {}, `Pinned in ${title}`),
    h('button', { 'aria-label': 'Close pinned messages', onclick: closePanels }, '✕')), list);
  panel.hidden = false;
  list.focus();
  await load();
}

async function load() {
  const mine = view;
  mine.early = new Map();
  let found;
  try {
    found = await get(`/channels/${mine.channelId}/pins`);
    await loadUsers(found.flatMap((m) => [m.sender_id, m.pinned_by]));
  } catch (err) {
    if (view === mine) clear(mine.list, h('p', { class: 'error', role: 'alert' }, err.message));
    return;
  }
  if (view !== mine) return;
  mine.pins = new Map(found.map((m) => [m.id, m]));
  for (const m of mine.early.values()) apply(m);   // what the socket said while loading is newer
  mine.early = null;
  render();
}

// After a reconnect: the list again (pins may have changed while the socket was away).
export function reloadPins() {
  if (open()) load();
}

export function pinChanged(m) {
  if (!open() || m.channel_id !== view.channelId) return;
  if (view.early) { view.early.set(m.id, m); return; }
  if (!apply(m)) return;
  loadUsers([m.sender_id, m.pinned_by]).then(render);
}

// Whether the list changed.
function apply(m) {
  const had = view.pins.get(m.id);
  if (m.pinned && !m.deleted_at) {
    view.pins.set(m.id, m);
    return JSON.stringify(had) !== JSON.stringify(m);
  }
  return view.pins.delete(m.id);
}

function render() {
  if (!open()) return;
  const pins = [...view.pins.values()].sort((a, b) =>
    (b.pinned_at || '').localeCompare(a.pinned_at || '') || b.seq - a.seq);
  view.list.setAttribute('aria-busy', 'false');
  clear(view.list, pins.length ? pins.map(item)
    : h('p', { class: 'empty' }, 'Nothing is pinned here yet. Pin a message from its ⚲ button.'));
}

function item(m) {
  const at = new Date(m.created_at);
  const files = m.attachments?.length;
  const href = `#/c/${m.channel_id}/${m.seq}`;
  return h('div', { class: 'result pin', role: 'listitem', dataset: { id: m.id } },
    h('div', { class: 'where' }, `${store.name(m.sender_id)} · ${at.toLocaleDateString()} ${timeLabel(at)}`,
      m.thread_parent_id ? ' · in a thread' : ''),
    h('div', { class: 'snippet' }, renderText(m.text || '', (id) => store.name(id)),
      files ? h('span', { class: 'note' }, ` 📎 ${files} ${files === 1 ? 'file' : 'files'}`) : null),
    h('div', { class: 'pin-foot' },
      h('span', { class: 'note' }, `Pinned by ${store.name(m.pinned_by)}`),
      h('a', { href, 'aria-label': `Jump to the message from ${store.name(m.sender_id)}`,
        onclick: (e) => { e.preventDefault(); jump(m); } }, 'Jump to message'),
      h('button', { type: 'button', class: 'link', 'aria-label': `Unpin the message from ${store.name(m.sender_id)}`,
        onclick: (e) => unpin(m, e.target) }, 'Unpin')));
}

async function unpin(m, button) {
  button.disabled = true;
  try {
    const now = await del(`/channels/${m.channel_id}/messages/${m.id}/pin`);
    if (open() && apply(now)) render();
  } catch (err) {
    button.disabled = false;
    alert(err.message);
  }
}

// To the message in its channel; a thread reply not shown in the channel opens its thread.
async function jump(m) {
  const phone = matchMedia('(max-width: 700px)').matches;
  if (m.thread_parent_id && !m.also_to_channel) {
    const parent = await get(`/channels/${m.channel_id}/messages/${m.thread_parent_id}`);
    await go(m.channel_id, parent.seq);
    openThread(parent);
    return;
  }
  if (phone) closePanels();   // the panel covers the channel on a phone
  await go(m.channel_id, m.seq);
}

async function go(channelId, seq) {
  const hash = `#/c/${channelId}/${seq}`;
  if (location.hash === hash) await revealMessage(channelId, seq);   // no hashchange to route it
  else location.hash = hash;
}
