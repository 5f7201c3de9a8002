// Search results in the side panel, the matches highlighted (the API's snippets,
// turned into text nodes and <mark> elements, never parsed as HTML).
import { get, q } from '../api.js';
import { $, clear, h } from '../dom.js';
import { renderSnippet, timeLabel } from '../format.js';
import { store } from '../store.js';
import { loadUsers } from '../sync.js';
import { closePanels } from './panels.js';

export async function search(text, { channelId = null, cursor = null } = {}) {
  const panel = $('#results');
  if (!cursor) {
    closePanels();
    const here = store.active && store.channels.get(store.active);
    const scope = here ? h('label', { class: 'note' }, h('input', { type: 'checkbox', checked: Boolean(channelId),
      onchange: (e) => search(text, { channelId: e.target.checked ? here.id : null }) }),
    ` only in ${store.channelTitle(here)}`) : null;
    clear(panel, h('div', { class: 'panel-head' }, h('div', {}, h('h2', {}, `Results for “${text}”`), scope),
      h('button', { 'aria-label': 'Close search results', onclick: closePanels }, '✕')),
    h('div', { class: 'messages', role: 'list', 'aria-label': 'Search results' }, h('p', { class: 'empty' }, 'Searching…')));
    panel.hidden = false;
  }
  const box = panel.querySelector('.messages');
  const found = await get(`/search?${q({ q: text, channel_id: channelId, cursor })}`);
  await loadUsers(found.results.map((r) => r.sender_id));
  if (!cursor) box.replaceChildren();
  if (!found.results.length && !cursor) box.append(h('p', { class: 'empty' }, 'Nothing found.'));
  for (const r of found.results) {
    const channel = store.channels.get(r.channel_id);
    box.append(h('button', { class: 'result', role: 'listitem', onclick: () => {
      if (matchMedia('(max-width: 700px)').matches) closePanels();   // full screen on a phone
      location.hash = `#/c/${r.channel_id}/${r.seq}`;
    } },
      h('div', { class: 'where' }, `${store.channelTitle(channel) || 'a channel'} · ${store.name(r.sender_id)} · `,
        new Date(r.created_at).toLocaleDateString(), ' ', timeLabel(new Date(r.created_at))),
      h('div', { class: 'snippet' }, renderSnippet(r.snippet))));
  }
  if (found.next_cursor) {
    const more = h('button', { class: 'link', onclick: () => { more.remove(); search(text, { channelId, cursor: found.next_cursor }); } }, 'More results');
    box.append(more);
  }
}
