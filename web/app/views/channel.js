// The open channel: header, history (infinite scroll up, sticks to the bottom while
// you are there, "jump to latest" otherwise), typing line and composer (a read-only
// banner instead in an archived channel).
//
// Long histories stay light: only the newest WINDOW messages are in the page at first;
// scrolling up shows STEP more of those already loaded, then loads older pages; back at
// the bottom the list shrinks to WINDOW again. Redraws reuse unchanged elements
// (renderList's cache and `reconcile`), so a new message costs one element, not a list.
import { $, clear, h, reconcile } from '../dom.js';
import { store } from '../store.js';
import { loadLatest, loadOlder, loadReceipts, markRead } from '../sync.js';
import { renderCache, renderList } from './messages.js';
import { composer } from './composer.js';
import { openThread } from './thread.js';
import { inviteDialog, channelInfo } from './dialogs.js';
import { showPins } from './pins.js';
import { canManage, setArchived } from '../channels.js';

const root = () => $('#channel');
let view = null;   // {channelId, list, typingLine, box, jump, newAfterSeq, shown, cache, heading, topic, foot}
const WINDOW = 150;
const STEP = 100;

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
  view = { channelId, list, typingLine, box, jump, shown: WINDOW, cache: renderCache(),
    heading: h('h1', {}, title), topic: h('span', { class: 'topic' }, channel.topic || ''),
    foot: channel.archived_at ? archivedBanner(channel) : box.root,
    newAfterSeq: counts?.unread ? (counts.read_seq ?? channel.membership?.last_read_seq ?? 0) : null };
  clear(root(),
    h('header', { class: 'chan-head' },
      view.heading, view.topic,
      h('button', { onclick: () => showPins(store.channels.get(channelId) || channel), 'aria-label': 'Pinned messages' }, 'Pinned'),
      dm ? null : h('button', { onclick: () => channelInfo(store.channels.get(channelId) || channel),
        'aria-label': 'Channel members' }, 'Members'),
      dm ? null : h('button', { onclick: () => inviteDialog(channel) }, 'Invite')),
    list, jump, typingLine, view.foot);
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

// The open channel as the store has it now (a rename, a topic, an archive, from me or
// from a `channel.updated`): the header, the page title, and in an archived channel a
// read-only banner in place of the composer (which keeps its draft for an unarchive).
export function renderChannelHead() {
  const channel = view && store.channels.get(view.channelId);
  if (!channel || channel.kind === 'dm' || channel.kind === 'group_dm') return;
  view.heading.textContent = `# ${channel.name}`;
  view.topic.textContent = channel.topic || '';
  document.title = `#${channel.name} · Parley`;
  view.box.box.setAttribute('aria-label', `Message #${channel.name}`);
  view.box.box.placeholder = `Message #${channel.name}`;
  if (Boolean(channel.archived_at) === (view.foot !== view.box.root)) return;
  const foot = channel.archived_at ? archivedBanner(channel) : view.box.root;
  view.foot.replaceWith(foot);
  view.foot = foot;
}

function archivedBanner(channel) {
  const error = h('span', { class: 'error', role: 'alert' });
  return h('div', { class: 'archived-banner', role: 'status' },
    h('span', {}, `#${channel.name} is archived: it can be read, nobody can post in it.`), error,
    canManage(channel) ? h('button', { type: 'button', onclick: () => setArchived(channel, false)
      .catch((err) => { error.textContent = err.message; }) }, 'Unarchive') : null);
}

function atBottom(list) { return list.scrollHeight - list.scrollTop - list.clientHeight < 40; }

let loadingOlder = false;
async function onScroll() {
  if (!view) return;
  const { list, channelId } = view;
  view.jump.hidden = atBottom(list);
  if (atBottom(list)) {
    if (document.visibilityState === 'visible') markRead(channelId);
    if (view.shown > WINDOW) { view.shown = WINDOW; renderMessages(channelId, { toBottom: true }); }
  }
  if (list.scrollTop < 150) await showOlder(channelId);
}

// STEP more of the loaded messages, or (all shown) the next older page from the server.
async function showOlder(channelId) {
  if (loadingOlder || !view || view.channelId !== channelId) return;
  if (store.list(channelId).length > view.shown) {
    view.shown += STEP;
    renderMessages(channelId);
    return;
  }
  if (!store.older.get(channelId)) return;
  loadingOlder = true;
  try {
    const loaded = await loadOlder(channelId);
    if (view?.channelId === channelId) { view.shown += loaded; renderMessages(channelId); }
  } finally { loadingOlder = false; }
}

export function renderMessages(channelId, { toBottom = false } = {}) {
  if (!view || view.channelId !== channelId) return;
  const { list } = view;
  const stick = toBottom || atBottom(list);
  const fromBottom = list.scrollHeight - list.scrollTop;
  const focused = document.activeElement && list.contains(document.activeElement) ? document.activeElement : null;
  const items = store.list(channelId);
  const shown = items.slice(-view.shown);
  view.more ??= h('div', { class: 'day' }, 'Loading older messages…');
  view.none ??= h('div', { class: 'empty' }, 'No messages yet. Say hello!');
  reconcile(list, [
    shown.length < items.length || store.older.get(channelId) ? view.more : null,
    ...(items.length ? renderList(shown, { newAfterSeq: view.newAfterSeq, onOpenThread: openThread,
      seenSeq: seenBy(channelId), cache: view.cache }) : [view.none]),
  ].filter(Boolean));
  if (focused?.tagName === 'TEXTAREA' && !focused.isConnected) {
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

// A short first page leaves nothing to scroll: show or load older ones until it can.
function fill(channelId) {
  if (!view || view.channelId !== channelId) return;
  if (view.list.scrollHeight <= view.list.clientHeight) showOlder(channelId);
}

// Scroll to a message (from search), loading older pages until it is there.
export async function revealMessage(channelId, seq) {
  for (let pages = 0; pages < 20 && !store.list(channelId).some((m) => m.seq === seq); pages += 1) {
    if (!(await loadOlder(channelId))) break;
  }
  const items = store.list(channelId);
  const at = items.findIndex((m) => m.seq === seq);
  if (view?.channelId === channelId && at >= 0 && items.length - at > view.shown) {
    view.shown = items.length - at + 20;
    renderMessages(channelId);
  }
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  const el = view?.list.querySelector(`.msg[data-seq="${seq}"]`);
  if (!el) return;
  el.scrollIntoView({ block: 'center' });
  el.classList.add('flash');
  el.focus({ preventScroll: true });
  setTimeout(() => el.classList.remove('flash'), 2000);
}
