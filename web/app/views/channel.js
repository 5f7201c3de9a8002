// The open channel: header, history (infinite scroll up, sticks to the bottom while
// you are there, "jump to latest" otherwise), typing line and composer.
import { $, clear, h } from '../dom.js';
import { store } from '../store.js';
import { loadLatest, loadOlder, loadReceipts, markRead } from '../sync.js';
import { renderList } from './messages.js';
import { composer } from './composer.js';
import { openThread } from './thread.js';
import { inviteDialog, channelInfo } from './dialogs.js';

const root = () => $('#channel');
let view = null;   // {channelId, list, typingLine, composer, newAfterSeq, jump}

export function typingText(channelId, threadId = null) {
  const now = Date.now();
  const who = [...(store.typing.get(channelId) || new Map())]
    .filter(([id, t]) => id !== store.me.user_id && t.until > now && (t.thread || null) === threadId)
    .map(([id]) => store.name(id));
  if (!who.length) return '';
  return who.length === 1 ? `${who[0]} is typing…` : `${who.slice(0, -1).join(', ')} and ${who.at(-1)} are typing…`;
}

export async function showChannel(channelId) {
  const channel = store.channels.get(channelId);
  store.active = channelId;
  if (!channel) {
    view = null;
    clear(root(), h('div', { class: 'empty' }, h('h2', {}, 'Welcome to Parley'),
      h('p', {}, 'Pick a channel on the left, or create one with +.')));
    return;
  }
  const dm = channel.kind === 'dm' || channel.kind === 'group_dm';
  const title = dm ? store.channelTitle(channel) : `# ${channel.name}`;
  const list = h('div', { class: 'messages', role: 'log', 'aria-label': `Messages in ${title}`, 'aria-live': 'off', tabindex: '0' });
  const jump = h('button', { class: 'jump', hidden: true, onclick: () => { list.scrollTop = list.scrollHeight; } }, 'Jump to latest ↓');
  const typingLine = h('div', { class: 'typing', 'aria-live': 'polite' });
  const box = composer({ channelId, label: `Message ${dm ? title : '#' + channel.name}` });
  const counts = store.unread.get(channelId);
  view = { channelId, list, typingLine, box, jump,
    newAfterSeq: counts?.unread ? (counts.read_seq ?? channel.membership?.last_read_seq ?? 0) : null };
  clear(root(),
    h('header', { class: 'chan-head' },
      h('h1', {}, title),
      h('span', { class: 'topic' }, channel.topic || ''),
      dm ? null : h('button', { onclick: () => channelInfo(channel), 'aria-label': 'Channel members' }, 'Members'),
      dm ? null : h('button', { onclick: () => inviteDialog(channel) }, 'Invite')),
    list, jump, typingLine, box.root);
  list.addEventListener('scroll', onScroll);
  document.title = `${dm ? title : '#' + channel.name} · Parley`;
  if (!store.messages.has(channelId)) {
    list.append(h('div', { class: 'empty' }, 'Loading…'));
    await loadLatest(channelId);
    loadReceipts(channelId).catch(() => {});
  }
  renderMessages(channelId, { toBottom: true });
  if (matchMedia('(min-width: 701px)').matches) box.box.focus();
}

function atBottom(list) { return list.scrollHeight - list.scrollTop - list.clientHeight < 40; }

let loadingOlder = false;
async function onScroll() {
  if (!view) return;
  const { list, channelId } = view;
  view.jump.hidden = atBottom(list);
  if (atBottom(list) && document.visibilityState === 'visible') markRead(channelId);
  if (list.scrollTop < 150 && !loadingOlder && store.older.get(channelId)) {
    loadingOlder = true;
    try { await loadOlder(channelId); } finally { loadingOlder = false; }
  }
}

export function renderMessages(channelId, { toBottom = false } = {}) {
  if (!view || view.channelId !== channelId) return;
  const { list } = view;
  const stick = toBottom || atBottom(list);
  const fromBottom = list.scrollHeight - list.scrollTop;
  const focused = document.activeElement && list.contains(document.activeElement) ? document.activeElement : null;
  const items = store.list(channelId);
  clear(list, store.older.get(channelId) ? h('div', { class: 'day' }, 'Loading older messages…') : null,
    items.length ? renderList(items, { newAfterSeq: view.newAfterSeq, onOpenThread: openThread, seenSeq: seenBy(channelId) })
      : h('div', { class: 'empty' }, 'No messages yet. Say hello!'));
  if (focused?.tagName === 'TEXTAREA') {
    const again = list.querySelector('.edit-box textarea');
    again?.focus();
  }
  if (stick) list.scrollTop = list.scrollHeight;
  else list.scrollTop = list.scrollHeight - fromBottom;
  view.jump.hidden = atBottom(list);
  if (atBottom(list) && document.visibilityState === 'visible') markRead(channelId);
  fill(channelId);
}

// In a DM or group DM: the lowest read cursor of the others (from `receipt` events).
function seenBy(channelId) {
  const cursors = store.receipts.get(channelId);
  if (!cursors) return null;
  const others = [...cursors].filter(([id]) => id !== store.me.user_id).map(([, seq]) => seq);
  return others.length ? Math.min(...others) : null;
}

export function renderTyping() {
  if (view) view.typingLine.textContent = typingText(view.channelId);
}

// A short first page leaves nothing to scroll: load older pages until it can.
async function fill(channelId) {
  if (!view || view.channelId !== channelId || loadingOlder) return;
  const { list } = view;
  if (list.scrollHeight > list.clientHeight || !store.older.get(channelId)) return;
  loadingOlder = true;
  try { await loadOlder(channelId); } finally { loadingOlder = false; }
}

// Scroll to a message (from search), loading older pages until it is there.
export async function revealMessage(channelId, seq) {
  for (let pages = 0; pages < 20 && !store.list(channelId).some((m) => m.seq === seq); pages += 1) {
    if (!(await loadOlder(channelId))) break;
  }
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  const el = view?.list.querySelector(`.msg[data-seq="${seq}"]`);
  if (!el) return;
  el.scrollIntoView({ block: 'center' });
  el.classList.add('flash');
  el.focus({ preventScroll: true });
  setTimeout(() => el.classList.remove('flash'), 2000);
}
