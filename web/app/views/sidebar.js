// Channels and conversations: unread in bold, mention badges, presence dots and the
// other person's status emoji in DMs, muted channels dimmed; + buttons to create a
// channel, browse, or start a DM.
import { $, clear, h } from '../dom.js';
import { store } from '../store.js';
import { browseDialog, createChannelDialog, dmDialog } from './dialogs.js';
import { statusBadge } from '../status.js';

export function renderSidebar() {
  const all = [...store.channels.values()].filter((c) => !c.archived_at);
  const byName = (a, b) => store.channelTitle(a).localeCompare(store.channelTitle(b));
  const channels = all.filter((c) => c.kind !== 'dm' && c.kind !== 'group_dm').sort(byName);
  const dms = all.filter((c) => c.kind === 'dm' || c.kind === 'group_dm').sort(byName);
  clear($('#sidebar'),
    h('h2', {}, 'Channels', h('span', {},
      h('button', { 'aria-label': 'Browse channels', title: 'Browse channels', onclick: browseDialog }, '⌕'),
      h('button', { 'aria-label': 'Create a channel', title: 'Create a channel', onclick: createChannelDialog }, '+'))),
    h('ul', {}, channels.map(item)),
    h('h2', {}, 'Direct messages',
      h('button', { 'aria-label': 'Start a direct message', title: 'Start a direct message', onclick: dmDialog }, '+')),
    h('ul', {}, dms.map(item)));
}

function item(channel) {
  const counts = store.unread.get(channel.id) || {};
  const dm = channel.kind === 'dm' || channel.kind === 'group_dm';
  const muted = channel.membership?.muted || channel.membership?.notification_level === 'nothing';
  const title = store.channelTitle(channel);
  let marker = h('span', { 'aria-hidden': 'true' }, channel.is_private ? '◆' : '#');
  let status = '';
  let badge = null;
  if (dm) {
    const other = (channel.member_ids || []).find((id) => id !== store.me.user_id) || store.me.user_id;
    status = store.presence.get(other) || 'offline';
    marker = h('span', { class: `dot ${status}`, title: status });
    if (channel.kind === 'dm') badge = statusBadge(other);
  }
  const label = [title, dm ? status : null, counts.unread ? `${counts.unread} unread` : null,
    counts.mentions ? `${counts.mentions} mentions` : null].filter(Boolean).join(', ');
  return h('li', {}, h('a', {
    href: `#/c/${channel.id}`, role: 'link', 'aria-label': label, dataset: { channel: channel.id },
    class: ['side-item', counts.unread && 'unread', muted && 'muted'].filter(Boolean).join(' '),
    'aria-current': store.active === channel.id ? 'page' : null,
  }, marker, h('span', { class: 'label' }, title), badge,
  counts.mentions ? h('span', { class: 'badge', 'aria-hidden': 'true' }, String(counts.mentions))
    : counts.unread && dm ? h('span', { class: 'badge', 'aria-hidden': 'true' }, String(counts.unread)) : null));
}
