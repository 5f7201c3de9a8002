// Search in the side panel: the words, filters (from a person, in a conversation, a date
// range, has a file) and the order, then the results with the matches highlighted (the
// API's snippets, turned into text nodes and <mark> elements, never parsed as HTML)
// and "More results" paging by cursor. GET /search: docs/search.md.
import { get, q } from '../api.js';
import { $, clear, h, liveSearch } from '../dom.js';
import { renderSnippet, timeLabel } from '../format.js';
import { store } from '../store.js';
import { loadUsers } from '../sync.js';
import { closePanels } from './panels.js';

const PAGE = 20;
let filters = null;   // {text, from, channelId, after, before, hasFile, sort} of the open panel
let form = null;      // the panel's controls
let latest = 0;       // only the answer to the latest search is shown

const fresh = (text = '') => ({ text, from: null, channelId: null, after: '', before: '', hasFile: false, sort: 'relevance' });
const filtered = (f) => Boolean(f.from || f.channelId || f.after || f.before || f.hasFile);

// Opens the panel (from the top bar's search box) and searches. `channelId` starts with
// the search limited to that conversation. With the panel open, new words keep its filters.
export function search(text, { channelId = null } = {}) {
  if (form?.root.isConnected && !$('#results').hidden && !channelId) {
    filters.text = text;
    form.text.value = text;
    return run();
  }
  closePanels();
  filters = { ...fresh(text), channelId };
  const panel = $('#results');
  panel.setAttribute('aria-label', 'Search');
  form = filterForm();
  clear(panel, h('div', { class: 'panel-head' }, h('h2', {}, 'Search'),
    h('button', { 'aria-label': 'Close search', onclick: closePanels }, '✕')),
  form.root,
  h('div', { class: 'messages', role: 'list', 'aria-label': 'Search results', 'aria-busy': 'false' }));
  panel.hidden = false;
  return run();
}

// The API's arguments for the filters. Dates are days in the person's own time zone,
// both ends included; the API's `after` and `before` are exclusive instants.
export function queryOf(f, cursor = null) {
  const day = (value, plus = 0) => {
    const [y, m, d] = value.split('-').map(Number);
    return new Date(y, m - 1, d + plus);
  };
  return {
    q: f.text.trim(), from: f.from, channel_id: f.channelId,
    after: f.after ? new Date(day(f.after) - 1).toISOString() : null,
    before: f.before ? day(f.before, 1).toISOString() : null,
    has_file: f.hasFile ? 'true' : null, sort: f.sort === 'relevance' ? null : f.sort,
    cursor, limit: PAGE,
  };
}

async function run(cursor = null) {
  const asked = ++latest;
  const panel = $('#results');
  const box = panel.querySelector('.messages');
  const error = form.error;
  error.textContent = '';
  if (!filters.text.trim() && !filtered(filters)) {
    box.replaceChildren(h('p', { class: 'empty' }, 'Type words to search for, or choose a filter.'));
    return;
  }
  if (!cursor) box.replaceChildren(h('p', { class: 'empty' }, 'Searching…'));
  box.setAttribute('aria-busy', 'true');
  let found;
  try {
    found = await get(`/search?${q(queryOf(filters, cursor))}`);
    await loadUsers(found.results.map((r) => r.sender_id));
  } catch (err) {
    if (asked !== latest) return;
    box.setAttribute('aria-busy', 'false');
    if (!cursor) box.replaceChildren();
    error.textContent = err.message;
    return;
  }
  if (asked !== latest || !box.isConnected) return;
  box.setAttribute('aria-busy', 'false');
  if (!cursor) box.replaceChildren();
  if (!found.results.length && !cursor) box.append(h('p', { class: 'empty' }, 'Nothing found.'));
  for (const r of found.results) box.append(result(r));
  if (found.next_cursor) {
    const more = h('button', { class: 'link more', onclick: () => { more.remove(); run(found.next_cursor); } }, 'More results');
    box.append(more);
  }
  const shown = box.querySelectorAll('.result').length;
  form.status.textContent = shown ? `${shown}${found.next_cursor ? '+' : ''} results` : 'Nothing found.';
}

function result(r) {
  const channel = store.channels.get(r.channel_id);
  const at = new Date(r.created_at);
  return h('button', { class: 'result', role: 'listitem', dataset: { id: r.id, seq: r.seq }, onclick: () => {
    if (matchMedia('(max-width: 700px)').matches) closePanels();   // full screen on a phone
    location.hash = `#/c/${r.channel_id}/${r.seq}`;
  } },
  h('div', { class: 'where' }, `${store.channelTitle(channel) || 'a channel'} · ${store.name(r.sender_id)} · `,
    at.toLocaleDateString(), ' ', timeLabel(at), r.has_file ? ' · 📎 file' : ''),
  h('div', { class: 'snippet' }, renderSnippet(r.snippet)));
}

// -- the filters ------------------------------------------------------------------------
let ids = 0;
function labelled(label, control, { inline = false } = {}) {
  control.id ||= `sf-${++ids}`;
  return inline ? h('label', { class: 'check', for: control.id }, control, ` ${label}`)
    : h('div', { class: 'field' }, h('label', { for: control.id }, label), control);
}

function conversations() {
  const all = [...store.channels.values()].map((c) => {
    const dm = c.kind === 'dm' || c.kind === 'group_dm';
    return { id: c.id, dm, label: dm ? store.channelTitle(c) : `# ${c.name}` };
  });
  return all.sort((a, b) => a.dm - b.dm || a.label.localeCompare(b.label));
}

function filterForm() {
  const f = filters;
  const changed = () => run();
  const text = h('input', { type: 'search', value: f.text, placeholder: 'Words or "a phrase"', autocomplete: 'off' });
  const channel = h('select', { onchange: (e) => { f.channelId = e.target.value || null; changed(); } },
    h('option', { value: '' }, 'Any conversation'),
    conversations().map((c) => h('option', { value: c.id, selected: c.id === f.channelId }, c.label)));
  const after = h('input', { type: 'date', value: f.after, onchange: (e) => { f.after = e.target.value; changed(); } });
  const before = h('input', { type: 'date', value: f.before, onchange: (e) => { f.before = e.target.value; changed(); } });
  const hasFile = h('input', { type: 'checkbox', checked: f.hasFile, onchange: (e) => { f.hasFile = e.target.checked; changed(); } });
  const sort = h('select', { onchange: (e) => { f.sort = e.target.value; changed(); } },
    h('option', { value: 'relevance' }, 'Most relevant'),
    h('option', { value: 'newest', selected: f.sort === 'newest' }, 'Newest first'));
  const person = personPicker((id) => { f.from = id; changed(); });
  const error = h('p', { class: 'error', role: 'alert' });
  const status = h('p', { class: 'sr-only', role: 'status' });
  const clearAll = h('button', { type: 'button', class: 'link', onclick: () => {
    Object.assign(f, { ...fresh(f.text) });
    channel.value = ''; after.value = ''; before.value = ''; hasFile.checked = false; sort.value = 'relevance';
    person.reset();
    changed();
  } }, 'Clear filters');
  const root = h('form', { class: 'search-filters', role: 'search', 'aria-label': 'Search messages with filters',
    onsubmit: (e) => {
      e.preventDefault();
      f.text = text.value;
      $('#search-q').value = text.value;
      changed();
    } },
  h('div', { class: 'field wide' }, h('label', { for: 'sf-text' }, 'Search for'),
    h('div', { class: 'row' }, Object.assign(text, { id: 'sf-text' }), h('button', { type: 'submit', class: 'primary' }, 'Search'))),
  person.root,
  labelled('In', channel),
  h('div', { class: 'row' }, labelled('On or after', after), labelled('On or before', before)),
  h('div', { class: 'row' }, labelled('Sort', sort), labelled('Has a file', hasFile, { inline: true })),
  clearAll, error, status);
  return { root, error, status, text };
}

// "From": a combobox over the people directory (name prefix), ↑/↓ and Enter or a click
// to pick; the person picked shows as a chip that removes the filter.
function personPicker(onPick) {
  const listId = `sf-people-${++ids}`;
  const input = h('input', { type: 'search', placeholder: 'Anyone', autocomplete: 'off', role: 'combobox',
    'aria-autocomplete': 'list', 'aria-expanded': 'false', 'aria-controls': listId });
  const list = h('ul', { id: listId, class: 'suggest people', role: 'listbox', 'aria-label': 'People', hidden: true });
  const chip = h('div', { class: 'chip-row' });
  let choices = [];
  let chosen = 0;
  const hide = () => { list.hidden = true; choices = []; input.setAttribute('aria-expanded', 'false'); input.removeAttribute('aria-activedescendant'); };
  const draw = () => {
    list.replaceChildren(...choices.map((u, i) => h('li', {
      id: `${listId}-${i}`, role: 'option', 'aria-selected': String(i === chosen),
      onmousedown: (e) => { e.preventDefault(); pick(u); },
    }, h('span', { class: `dot ${store.presence.get(u.user_id) || 'offline'}` }), ' ', u.display_name)));
    list.hidden = !choices.length;
    input.setAttribute('aria-expanded', String(!list.hidden));
    if (choices.length) input.setAttribute('aria-activedescendant', `${listId}-${chosen}`);
  };
  const pick = (u) => {
    store.users.set(u.user_id, { ...store.users.get(u.user_id), ...u });
    hide();
    input.value = '';
    input.hidden = true;
    chip.replaceChildren(h('span', { class: 'chip' }, `From: ${u.display_name}`,
      h('button', { type: 'button', 'aria-label': `Remove filter: from ${u.display_name}`, onclick: () => { reset(); onPick(null); input.focus(); } }, '✕')));
    onPick(u.user_id);
  };
  const reset = () => { chip.replaceChildren(); input.hidden = false; input.value = ''; hide(); };
  liveSearch(input, (text) => (text.trim() && document.activeElement === input
    ? get(`/users?${q({ q: text.trim(), limit: 8 })}`) : Promise.resolve({ users: [] })),
  (found) => { choices = found.users || found; chosen = 0; draw(); });
  input.addEventListener('keydown', (e) => {
    if (list.hidden || !choices.length) return;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      chosen = (chosen + (e.key === 'ArrowDown' ? 1 : choices.length - 1)) % choices.length;
      draw();
    } else if (e.key === 'Enter') { e.preventDefault(); pick(choices[chosen]); }
    else if (e.key === 'Escape') { e.stopPropagation(); hide(); }
  });
  input.addEventListener('blur', () => setTimeout(hide, 150));
  const root = h('div', { class: 'field person' }, h('label', { for: Object.assign(input, { id: `${listId}-input` }).id }, 'From'),
    chip, input, list);
  return { root, reset };
}
