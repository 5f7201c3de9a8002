// A list of messages as DOM: day separators, consecutive messages of one author
// grouped, the "new messages" line, and each message's states (sending, failed,
// edited, deleted, pinned), attachments, reactions, thread link and actions.
import { h } from '../dom.js';
import { dayLabel, renderText, sizeLabel, timeLabel } from '../format.js';
import { emojiChar } from '../emoji.js';
import { statusBadge } from '../status.js';
import { openEmojiPicker } from './emoji-picker.js';
import { store } from '../store.js';
import { deleteMessage, editMessage, togglePin, toggleReaction } from '../actions.js';
import { fileUrls } from '../files.js';

const GROUP_MS = 5 * 60 * 1000;
export const editing = { id: null };

// `cache` (a Map kept by the view, see `renderCache`) lets a redraw reuse the element
// of every message whose rendering would not change: nothing under the pointer or the
// focus is replaced, images are not fetched again, and a redraw of a long list costs
// one comparison per message instead of a rebuild.
export function renderList(list, { newAfterSeq = null, inThread = false, onOpenThread, seenSeq = null, cache = null } = {}) {
  const nodes = [];
  const fresh = new Map();
  const reuse = (key, sig, build) => {
    const hit = cache?.get(key);
    const el = hit && hit.sig === sig ? hit.el : build();
    fresh.set(key, { sig, el });
    nodes.push(el);
  };
  const lastMine = seenSeq ? list.filter((m) => m.seq && m.sender_id === store.me.user_id).at(-1) : null;
  let prev = null;
  let lineShown = false;
  for (const m of list) {
    const at = new Date(m.created_at);
    const newDay = !prev || new Date(prev.created_at).toDateString() !== at.toDateString();
    if (newDay) {
      const label = dayLabel(at);
      reuse(`day:${at.toDateString()}`, label, () => h('div', { class: 'day', role: 'separator' }, label));
    }
    const isNew = newAfterSeq !== null && !lineShown && m.seq > newAfterSeq && m.sender_id !== store.me.user_id;
    if (isNew) { reuse('new-line', '', () => h('div', { class: 'new-line', role: 'separator' }, 'New messages')); lineShown = true; }
    const first = newDay || isNew || !prev || prev.sender_id !== m.sender_id || at - new Date(prev.created_at) > GROUP_MS
      || Boolean(prev.deleted_at) !== Boolean(m.deleted_at);
    reuse(m.id || `draft:${m.client_msg_id}`, looks(m, first, inThread),
      () => renderMessage(m, { first, inThread, onOpenThread }));
    if (m === lastMine && seenSeq >= m.seq) reuse('seen', m.id, () => h('div', { class: 'seen note', role: 'status' }, 'Seen'));
    prev = m;
  }
  if (cache) { cache.clear(); for (const [key, value] of fresh) cache.set(key, value); }
  return nodes;
}

export const renderCache = () => new Map();

// Everything a message's rendering depends on: the message, its place in a group, the
// edit box, and the profiles of its author and of the people who reacted.
function looks(m, first, inThread) {
  const people = [m.sender_id, ...(m.reactions || []).flatMap((r) => r.user_ids)];
  return JSON.stringify([m, first, inThread, editing.id === m.id, people.map((id) => store.users.get(id) ?? null)]);
}

function avatar(userId) {
  const user = store.users.get(userId);
  const letter = h('span', { class: 'avatar', 'aria-hidden': 'true' }, store.name(userId).slice(0, 1).toUpperCase());
  if (!user?.avatar?.['64']) return letter;
  // presigned URLs expire: an image that no longer loads falls back to the letter
  return h('img', { class: 'avatar', src: user.avatar['64'], alt: '', onerror: (e) => e.target.replaceWith(letter) });
}

export function renderMessage(m, { first, inThread, onOpenThread }) {
  const at = new Date(m.created_at);
  const mine = m.sender_id === store.me.user_id;
  const classes = ['msg', first && 'first', m.pending && 'pending', m.failed && 'failed',
    m.deleted_at && 'deleted', m.pinned && 'pinned'].filter(Boolean).join(' ');
  const el = h('div', {
    class: classes, role: 'article', tabindex: '-1',
    'aria-label': `${store.name(m.sender_id)} at ${timeLabel(at)}`,
    dataset: { id: m.id || '', seq: m.seq || '', cid: m.client_msg_id },
  },
  avatar(m.sender_id),
  h('div', { class: 'meta' },
    h('span', { class: 'author' }, store.name(m.sender_id)), statusBadge(m.sender_id),
    h('time', { datetime: m.created_at, title: at.toLocaleString() }, timeLabel(at)),
    m.pinned ? h('span', { class: 'note' }, 'pinned') : null),
  body(m));
  if (m.attachments?.length && !m.deleted_at) el.append(attachments(m));
  if (m.reactions?.length) el.append(reactions(m));
  if (!inThread && m.reply_count) {
    el.append(h('button', { class: 'replies', onclick: () => onOpenThread?.(m) },
      `${m.reply_count} ${m.reply_count === 1 ? 'reply' : 'replies'}`));
  }
  if (m.id && !m.deleted_at) el.append(actions(m, mine, inThread, onOpenThread));
  return el;
}

function body(m) {
  if (m.deleted_at) return h('div', { class: 'body' }, 'This message was deleted.');
  if (editing.id && editing.id === m.id) return editBox(m);
  const parts = renderText(m.text || '', (id) => store.name(id));
  return h('div', { class: 'body' }, parts,
    m.edited_at ? h('span', { class: 'edited', title: new Date(m.edited_at).toLocaleString() }, '(edited)') : null,
    m.pending ? h('span', { class: 'edited' }, m.failed ? ` — not sent: ${m.failed}` : ' (sending…)') : null);
}

function editBox(m) {
  const box = h('textarea', { 'aria-label': 'Edit message', value: m.text });
  const done = () => { editing.id = null; store.emit('messages', m.channel_id); };
  const save = () => {
    const text = box.value.trim();
    if (text && text !== m.text) editMessage(m, text).catch((e) => alert(e.message));
    done();
  };
  box.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); save(); }
    if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); done(); }
  });
  queueMicrotask(() => { box.focus(); box.setSelectionRange(box.value.length, box.value.length); });
  return h('div', { class: 'body edit-box' }, box,
    h('div', { class: 'note' }, 'Enter to save, Esc to cancel ',
      h('button', { class: 'link', onclick: save }, 'Save')));
}

function attachments(m) {
  return h('div', { class: 'attachments' }, m.attachments.map((f) => {
    const link = h('a', { class: 'file', href: '#', target: '_blank', rel: 'noopener' },
      `⤓ ${f.filename} (${sizeLabel(f.size)})`);
    if (!f.id) return link;  // a draft's upload
    fileUrls(f.id).then((u) => {
      link.href = u.url;
      if (u.thumbnail_url) {
        link.replaceChildren(h('img', { class: 'thumb', src: u.thumbnail_url, alt: f.filename,
          width: Math.min(f.width || 360, 360), loading: 'lazy' }));
        link.className = 'image';
        link.title = `${f.filename} (${sizeLabel(f.size)})`;
      }
    }).catch(() => {});
    return link;
  }));
}

function reactions(m) {
  return h('div', { class: 'reactions' }, m.reactions.map((r) => {
    const mine = r.user_ids.includes(store.me.user_id);
    const who = r.user_ids.map((id) => store.name(id)).join(', ');
    return h('button', {
      class: 'reaction' + (mine ? ' mine' : ''), title: `${who} reacted with :${r.emoji}:`,
      'aria-label': `${emojiChar(r.emoji)} ${r.count}, ${who}`, 'aria-pressed': String(mine),
      onclick: () => toggleReaction(m, r.emoji),
    }, `${emojiChar(r.emoji)} ${r.count}`);
  }));
}

function actions(m, mine, inThread, onOpenThread) {
  const bar = h('div', { class: 'actions', role: 'toolbar', 'aria-label': 'Message actions' });
  bar.append(h('button', { 'aria-label': 'Add reaction', title: 'Add reaction', 'aria-haspopup': 'dialog',
    onclick: (e) => openEmojiPicker(e.currentTarget, { label: 'Add reaction',
      onPick: (emoji) => toggleReaction(m, emoji.name).catch((err) => alert(err.message)) }) }, '☺'));
  if (!inThread && !m.thread_parent_id) {
    bar.append(h('button', { 'aria-label': 'Reply in thread', title: 'Reply in thread', onclick: () => onOpenThread?.(m) }, '↩'));
  }
  bar.append(h('button', { 'aria-label': m.pinned ? 'Unpin message' : 'Pin message', title: m.pinned ? 'Unpin' : 'Pin',
    onclick: () => togglePin(m).catch((e) => alert(e.message)) }, m.pinned ? '⊘' : '⚲'));
  if (mine) {
    bar.append(h('button', { 'aria-label': 'Edit message', title: 'Edit', onclick: () => startEdit(m) }, '✎'));
    bar.append(h('button', { 'aria-label': 'Delete message', title: 'Delete',
      onclick: () => confirm('Delete this message?') && deleteMessage(m) }, '✕'));
  }
  return bar;
}

export function startEdit(m) {
  editing.id = m.id;
  store.emit('messages', m.channel_id);
}
