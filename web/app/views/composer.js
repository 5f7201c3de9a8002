// The message box: Enter sends, Shift+Enter is a new line, ↑ in an empty box edits
// your last message, @ suggests channel members, files come by button, drag and drop
// or paste, each with its upload progress; emoji from the picker go in at the caret.
import { get } from '../api.js';
import { h } from '../dom.js';
import { store } from '../store.js';
import { loadUsers } from '../sync.js';
import { sendMessage, typing, upload } from '../actions.js';
import { sizeLabel } from '../format.js';
import { startEdit } from './messages.js';
import { openEmojiPicker } from './emoji-picker.js';

const members = new Map();   // channel id -> promise of user ids
const drafts = new Map();    // channel or thread id -> unsent text, kept while switching

function channelMembers(channelId) {
  if (!members.has(channelId)) {
    const p = get(`/channels/${channelId}/members`).then(async (ids) => { await loadUsers(ids); return ids; });
    p.catch(() => members.delete(channelId));
    members.set(channelId, p);
  }
  return members.get(channelId);
}
export const forgetMembers = (channelId) => members.delete(channelId);

export function composer({ channelId, threadId = null, label }) {
  const mentioned = new Map();  // "@Name" -> user id, for what was picked from suggestions
  const uploads = [];           // {file, node, promise, result}
  const draftKey = threadId || channelId;
  const box = h('textarea', { rows: 1, 'aria-label': label, placeholder: label, enterkeyhint: 'send',
    value: drafts.get(draftKey) || '' });
  const list = h('ul', { class: 'suggest', role: 'listbox', 'aria-label': 'People to mention', hidden: true });
  const tray = h('div', { class: 'uploads', 'aria-live': 'polite' });
  const fileInput = h('input', { type: 'file', multiple: true, hidden: true, 'aria-hidden': 'true',
    onchange: () => { [...fileInput.files].forEach(addFile); fileInput.value = ''; } });
  const root = h('div', { class: 'composer' }, list, tray, box,
    h('div', { class: 'bar' },
      h('button', { class: 'icon', type: 'button', 'aria-label': 'Attach a file', title: 'Attach a file',
        onclick: () => fileInput.click() }, '+'),
      h('button', { class: 'icon', type: 'button', 'aria-label': 'Insert emoji', title: 'Insert emoji', 'aria-haspopup': 'dialog',
        onclick: (e) => openEmojiPicker(e.currentTarget, { label: 'Insert emoji', onPick: insertEmoji }) }, '☺'),
      fileInput, h('span', { class: 'spacer' }),
      h('span', { class: 'note hint' }, 'Enter to send · Shift+Enter for a new line'),
      h('button', { class: 'primary', type: 'button', 'aria-label': 'Send', onclick: () => submit() }, 'Send')));

  let choices = [];
  let chosen = 0;

  function grow() { box.style.height = 'auto'; box.style.height = `${box.scrollHeight}px`; }

  function addFile(file) {
    const bar = h('progress', { max: 1, value: 0, 'aria-label': `Uploading ${file.name}` });
    const node = h('div', { class: 'upload' }, `${file.name || 'pasted image'} (${sizeLabel(file.size)})`, bar);
    const entry = { file, node };
    node.append(h('button', { class: 'link', 'aria-label': `Remove ${file.name}`, onclick: () => {
      uploads.splice(uploads.indexOf(entry), 1); node.remove(); } }, '✕'));
    entry.promise = upload(file, (p) => { bar.value = p; }).then((result) => {
      entry.result = result; bar.value = 1; node.classList.add('done'); return result;
    }, (err) => { node.classList.add('failed'); node.append(` ${err.message}`); throw err; });
    uploads.push(entry);
    tray.append(node);
  }

  async function submit() {
    let text = box.value.trim();
    if (!text && !uploads.length) return;
    let files = [];
    try { files = await Promise.all(uploads.map((u) => u.promise)); } catch { return; }
    for (const [name, id] of mentioned) text = text.split(name).join(`<@${id}>`);
    sendMessage(channelId, text, files, threadId);
    box.value = ''; drafts.delete(draftKey); mentioned.clear(); uploads.length = 0; tray.replaceChildren(); grow(); hideSuggestions();
  }

  // At the caret, as the character itself: message text has no emoji short names.
  function insertEmoji({ char }) {
    const { selectionStart: from, selectionEnd: to } = box;
    box.value = box.value.slice(0, from) + char + box.value.slice(to);
    box.focus();
    box.selectionStart = box.selectionEnd = from + char.length;
    drafts.set(draftKey, box.value); grow();
  }

  function hideSuggestions() { list.hidden = true; choices = []; }

  async function suggest() {
    const before = box.value.slice(0, box.selectionStart);
    const m = before.match(/(^|\s)@([^\s@]{0,30})$/);
    if (!m) return hideSuggestions();
    const ids = await channelMembers(channelId);
    const word = m[2].toLowerCase();
    choices = ids.filter((id) => id !== store.me.user_id && store.name(id).toLowerCase().includes(word)).slice(0, 8);
    chosen = 0;
    if (!choices.length) return hideSuggestions();
    drawSuggestions();
  }

  function drawSuggestions() {
    list.replaceChildren(...choices.map((id, i) => h('li', {
      role: 'option', 'aria-selected': String(i === chosen), onmousedown: (e) => { e.preventDefault(); pick(id); },
    }, h('span', { class: `dot ${store.presence.get(id) || 'offline'}` }), ' ', store.name(id))));
    list.hidden = false;
  }

  function pick(id) {
    const at = box.selectionStart;
    const before = box.value.slice(0, at).replace(/@([^\s@]{0,30})$/, '');
    const name = `@${store.name(id)}`;
    mentioned.set(name, id);
    box.value = `${before}${name} ${box.value.slice(at)}`;
    box.selectionStart = box.selectionEnd = before.length + name.length + 1;
    hideSuggestions();
  }

  box.addEventListener('keydown', (e) => {
    if (!list.hidden && choices.length) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        chosen = (chosen + (e.key === 'ArrowDown' ? 1 : choices.length - 1)) % choices.length;
        drawSuggestions(); e.preventDefault(); return;
      }
      if (e.key === 'Enter' || e.key === 'Tab') { e.preventDefault(); pick(choices[chosen]); return; }
      if (e.key === 'Escape') { e.stopPropagation(); hideSuggestions(); return; }
    }
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); submit(); return; }
    if (e.key === 'ArrowUp' && !box.value && !e.altKey && !e.ctrlKey && !e.metaKey && !e.shiftKey) {
      const last = store.list(channelId, threadId).reverse()
        .find((m) => m.id && m.sender_id === store.me.user_id && !m.deleted_at && m.id !== threadId);
      if (last) { e.preventDefault(); startEdit(last); }
    }
  });
  box.addEventListener('input', () => { drafts.set(draftKey, box.value); grow(); suggest(); if (box.value.trim()) typing(channelId, threadId); });
  box.addEventListener('paste', (e) => {
    const files = [...(e.clipboardData?.files || [])];
    if (files.length) { e.preventDefault(); files.forEach(addFile); }
  });
  root.addEventListener('dragover', (e) => { e.preventDefault(); root.classList.add('drag'); });
  root.addEventListener('dragleave', () => root.classList.remove('drag'));
  root.addEventListener('drop', (e) => {
    e.preventDefault(); root.classList.remove('drag');
    [...(e.dataTransfer?.files || [])].forEach(addFile);
  });
  return { root, box, addFile };
}
