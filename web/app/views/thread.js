// A thread in the side panel (full screen on a phone): the first message, its
// replies (live, from the channel's events) and a composer for replies (none in an
// archived channel).
import { get, q } from '../api.js';
import { $, clear, h, reconcile } from '../dom.js';
import { store } from '../store.js';
import { loadUsers } from '../sync.js';
import { renderCache, renderList } from './messages.js';
import { composer } from './composer.js';
import { typingText } from './channel.js';
import { closePanels } from './panels.js';

let view = null;   // {channelId, parentId, list, typingLine, cache}

export async function openThread(parent) {
  closePanels();
  const panel = $('#thread');
  const list = h('div', { class: 'messages', role: 'log', 'aria-label': 'Thread replies', 'aria-live': 'off' });
  const typingLine = h('div', { class: 'typing', 'aria-live': 'polite' });
  const box = composer({ channelId: parent.channel_id, threadId: parent.id, label: 'Reply in thread' });
  view = { channelId: parent.channel_id, parentId: parent.id, list, typingLine, cache: renderCache() };
  store.thread = { channel_id: parent.channel_id, id: parent.id };
  clear(panel,
    h('div', { class: 'panel-head' }, h('h2', {}, 'Thread'),
      h('button', { 'aria-label': 'Close thread', onclick: closePanels }, '✕')),
    list, typingLine, store.channels.get(parent.channel_id)?.archived_at
      ? h('div', { class: 'archived-banner', role: 'status' }, 'The channel is archived: nobody can reply.') : box.root);
  panel.hidden = false;
  renderThread();
  box.box.focus();
  await reloadThread();
}

export async function reloadThread() {
  if (!view) return;
  const { channelId, parentId } = view;
  const replies = await get(`/channels/${channelId}/messages/${parentId}/replies?${q({ limit: 200 })}`);
  await loadUsers(replies.map((m) => m.sender_id));
  store.putMessages(channelId, replies);
}

export function renderThread() {
  if (!view) return;
  const items = store.list(view.channelId, view.parentId);
  reconcile(view.list, renderList(items, { inThread: true, cache: view.cache }));
  view.list.scrollTop = view.list.scrollHeight;
  view.typingLine.textContent = typingText(view.channelId, view.parentId);
}

export function closeThread() {
  view = null;
  store.thread = null;
  $('#thread').hidden = true;
}

export const threadChannel = () => view?.channelId;
