// Dialogs: create a channel, browse channels, start a DM, invite people, channel
// members, and your profile and status. One <dialog>, Esc closes it.
import { get, patch, post, put, q } from '../api.js';
import { $, clear, h, liveSearch } from '../dom.js';
import { store } from '../store.js';
import { loadChannel, loadUsers, saveNotifications } from '../sync.js';
import { forgetMembers } from './composer.js';
import { enablePush, pushSupported } from '../push.js';
import { canManage, removeMember, setArchived, updateChannel } from '../channels.js';
import { CLEAR_AFTER, shownStatus, statusBadge } from '../status.js';
import { emojiChar } from '../emoji.js';
import { openEmojiPicker } from './emoji-picker.js';

function open(title, body, { ok, okLabel = 'OK' } = {}) {
  const dialog = $('#dialog');
  const error = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'dialog', method: 'dialog' }, h('h2', { id: 'dialog-title' }, title), body, error,
    h('div', { class: 'row' },
      h('button', { type: 'button', onclick: () => dialog.close() }, ok ? 'Cancel' : 'Close'),
      ok ? h('button', { class: 'primary', type: 'submit' }, okLabel) : null));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try { await ok(); dialog.close(); } catch (err) { error.textContent = err.message; }
  });
  dialog.setAttribute('aria-labelledby', 'dialog-title');
  clear(dialog, form);
  dialog.showModal();
  form.querySelector('input')?.focus();
  return form;
}

function field(label, attrs) {
  const id = `f-${Math.random().toString(36).slice(2)}`;
  const input = h('input', { id, type: 'text', ...attrs });
  return [h('label', { for: id }, label), input];
}

export function createChannelDialog() {
  const [nameLabel, name] = field('Channel name', { placeholder: 'e.g. launch-plans', required: true, maxlength: 80 });
  const [topicLabel, topic] = field('Topic (optional)', { maxlength: 250 });
  const priv = h('input', { type: 'checkbox', id: 'f-private' });
  open('Create a channel', [nameLabel, name, topicLabel, topic,
    h('label', { for: 'f-private' }, priv, ' Private: only invited people can see it')], {
    okLabel: 'Create',
    ok: async () => {
      const channel = await post('/channels', { name: name.value, topic: topic.value, is_private: priv.checked });
      await loadChannel(channel.id);
      location.hash = `#/c/${channel.id}`;
    },
  });
}

export function browseDialog() {
  const [label, input] = field('Find a channel', { type: 'search' });
  const list = h('ul', { class: 'pick-list' });
  const show = (found) => list.replaceChildren(...(found.channels || found).map((c) => h('li', {},
    `# ${c.name}`, h('span', { class: 'note' }, c.archived_at ? 'archived' : c.topic || ''),
    store.channels.has(c.id) || c.archived_at   // archived: read-only, nobody joins
      ? h('button', { type: 'button', onclick: () => { $('#dialog').close(); location.hash = `#/c/${c.id}`; } }, 'Open')
      : h('button', { type: 'button', onclick: async () => {
        await post(`/channels/${c.id}/join`); await loadChannel(c.id);
        $('#dialog').close(); location.hash = `#/c/${c.id}`;
      } }, 'Join'))));
  liveSearch(input, (text) => get(`/channels/directory?${q({ q: text, archived: 'true' })}`), show);
  open('Browse channels', [label, input, list]);
}

// A people search where each result has a button. With `doneLabel`, a person once
// picked keeps a disabled "<doneLabel> ✓" button, also in later result lists.
function peoplePicker(onPick, buttonLabel, doneLabel = null) {
  const [label, input] = field('Find people', { type: 'search', placeholder: 'Name or email' });
  const list = h('ul', { class: 'pick-list', 'aria-label': 'People' });
  const picked = new Set();
  const button = (u) => {
    const done = picked.has(u.user_id);
    return h('button', {
      type: 'button', disabled: done, dataset: { pick: u.user_id },
      'aria-label': `${done ? doneLabel : buttonLabel} ${u.display_name}`,
      onclick: async () => {
        await onPick(u);
        if (!doneLabel) return;
        picked.add(u.user_id);
        list.querySelector(`[data-pick="${u.user_id}"]`)?.replaceWith(button(u));
      },
    }, done ? `${doneLabel} ✓` : buttonLabel);
  };
  const show = (found) => {
    const people = (found.users || found).filter((u) => u.user_id !== store.me.user_id);
    for (const u of people) store.users.set(u.user_id, u);
    list.replaceChildren(...people.map((u) => h('li', { dataset: { user: u.user_id } },
      h('span', { class: `dot ${store.presence.get(u.user_id) || 'offline'}` }), u.display_name,
      h('span', { class: 'note' }, u.email || ''), button(u))));
  };
  liveSearch(input, (text) => get(`/users?${q({ q: text, limit: 20 })}`), show);
  return [label, input, list];
}

// "Message" opens a 1:1 DM; "Add" collects people for a group DM (up to 8 with you).
export function dmDialog() {
  const chosen = new Map();
  const chips = h('p', { class: 'note', 'aria-live': 'polite' });
  const start = async (ids) => {
    const channel = await post('/dms', { user_ids: ids });
    await loadChannel(channel.id);
    $('#dialog').close();
    location.hash = `#/c/${channel.id}`;
  };
  const picker = peoplePicker((u) => start([u.user_id]), 'Message');
  picker[2].addEventListener('click', (e) => {
    const add = e.target.closest('[data-add]');
    if (!add || chosen.size >= 7) return;
    chosen.set(add.dataset.add, store.name(add.dataset.add));
    chips.textContent = `Group: ${[...chosen.values()].join(', ')}`;
  });
  new MutationObserver(() => picker[2].querySelectorAll('li').forEach((li) => {
    const id = li.dataset.user;
    if (id && !li.querySelector('[data-add]')) {
      li.append(h('button', { type: 'button', dataset: { add: id }, 'aria-label': `Add ${store.name(id)} to a group` }, 'Add'));
    }
  })).observe(picker[2], { childList: true });
  open('Start a direct message', [...picker, chips], {
    okLabel: 'Open group conversation',
    ok: async () => {
      if (!chosen.size) throw new Error('Add people with “Add”, or press “Message” for a 1:1 conversation.');
      await start([...chosen.keys()]);
    },
  });
}

export function inviteDialog(channel) {
  open(`Invite people to #${channel.name}`, peoplePicker(async (u) => {
    await post(`/channels/${channel.id}/members`, { user_ids: [u.user_id] });
    forgetMembers(channel.id);
  }, 'Invite', 'Invited'));
}

// A channel's details: topic (any member), name and purpose (its managers, see
// channels.js `canManage`), my notification settings, its members (managers remove
// people), archive or unarchive, leave. A refused change shows the API's error here.
export async function channelInfo(channel) {
  const ids = await get(`/channels/${channel.id}/members`);
  await loadUsers(ids);
  const manage = canManage(channel);
  const editable = !channel.archived_at;
  let form = null;
  const fail = (err) => { form.querySelector('.error').textContent = err.message; };
  const [topicLabel, topic] = field('Topic', { value: channel.topic || '', maxlength: 250, disabled: !editable });
  const [nameLabel, name] = field('Name', { value: channel.name, maxlength: 80, required: true });
  const [purposeLabel, purpose] = field('Purpose', { value: channel.purpose || '', maxlength: 250 });
  const removeButton = (id) => h('button', { type: 'button', 'aria-label': `Remove ${store.name(id)}`,
    onclick: (e) => removeMember(channel, id).then(() => { forgetMembers(channel.id); e.target.closest('li').remove(); }, fail),
  }, 'Remove');
  const list = h('ul', { class: 'pick-list', 'aria-label': 'Members' }, ids.map((id) => h('li', {},
    h('span', { class: `dot ${store.presence.get(id) || 'offline'}`, title: store.presence.get(id) || 'offline' }),
    store.name(id), statusBadge(id),
    manage && editable && id !== store.me.user_id ? removeButton(id) : null)));
  const level = h('select', { id: 'f-level', onchange: () => saveNotifications(channel.id, { level: level.value }) },
    ['all', 'mentions', 'nothing'].map((v) => h('option', { value: v, selected: channel.membership?.notification_level === v },
      { all: 'Every message', mentions: 'Only mentions', nothing: 'Nothing' }[v])));
  const mute = h('input', { type: 'checkbox', id: 'f-mute', checked: Boolean(channel.membership?.muted),
    onchange: () => saveNotifications(channel.id, { muted: mute.checked }) });
  const leave = h('button', { type: 'button', onclick: async () => {
    await post(`/channels/${channel.id}/leave`); $('#dialog').close(); location.hash = '#/';
  } }, 'Leave channel');
  const archive = manage ? h('button', { type: 'button', onclick: () => setArchived(channel, !channel.archived_at)
    .then(() => $('#dialog').close(), fail) }, channel.archived_at ? 'Unarchive channel' : 'Archive channel') : null;
  form = open(`#${channel.name}`, [
    channel.archived_at ? h('p', { class: 'note' }, 'Archived: read-only until it is unarchived.') : null,
    topicLabel, topic,
    manage && editable ? [nameLabel, name, purposeLabel, purpose] : h('p', { class: 'note' }, channel.purpose || ''),
    h('label', { for: 'f-level' }, 'Notify me about'), level,
    h('label', { for: 'f-mute' }, mute, ' Mute this channel'),
    h('h3', {}, 'Members'), list, h('div', { class: 'admin-row' }, archive, leave)], editable ? {
    okLabel: 'Save',
    ok: async () => {   // only what changed: a member may set the topic, not the name
      const changes = {};
      if (topic.value !== (channel.topic || '')) changes.topic = topic.value;
      if (manage && name.value !== channel.name) changes.name = name.value;
      if (manage && purpose.value !== (channel.purpose || '')) changes.purpose = purpose.value;
      if (Object.keys(changes).length) await updateChannel(channel, changes);
    },
  } : {});
}

export function profileDialog(signOut) {
  const me = store.me;
  const [nameLabel, name] = field('Display name', { value: me.display_name, required: true });
  const [statusLabel, status, emojiButton, after, clearStatus] = statusFields(me);
  const away = h('input', { type: 'checkbox', id: 'f-away', checked: store.presence.get(me.user_id) === 'away' });
  const picture = h('input', { type: 'file', id: 'f-avatar', accept: 'image/png,image/jpeg,image/gif,image/webp' });
  open('Your profile', [nameLabel, name, statusLabel, h('div', { class: 'status-row' }, emojiButton, status),
    h('label', { for: after.id }, 'Clear status after'), h('div', { class: 'status-row' }, after, clearStatus),
    h('label', { for: 'f-avatar' }, 'Picture (PNG, JPEG, GIF or WebP, up to 5 MB)'), picture,
    h('label', { for: 'f-away' }, away, ' Set yourself away'),
    pushSupported() ? h('p', {}, h('button', { type: 'button', class: 'link',
      onclick: (e) => enablePush().then(() => { e.target.textContent = 'Notifications on for this device ✓'; },
        (err) => { e.target.textContent = err.message; }) },
    'Notify me on this device (also when Parley is closed)')) : null,
    h('p', {}, h('button', { type: 'button', class: 'link', onclick: signOut }, 'Sign out'))], {
    okLabel: 'Save',
    ok: async () => {
      if (picture.files[0]) await put('/me/avatar', picture.files[0]);
      store.me = await patch('/me', { display_name: name.value, ...statusChanges(me, status, emojiButton, after) });
      store.users.set(me.user_id, store.me);
      await put('/me/presence', { presence: away.checked ? 'away' : 'auto' }).catch(() => {});
      store.emit('users');
    },
  });
}

// Status: an emoji (from the picker, kept as its `:short_name:`, or the character when
// the table has no name for it), a text, and when to clear it.
function statusFields(me) {
  const current = shownStatus(me) || { text: '', emoji: '', expires_at: null };
  const [label, text] = field('Status', { value: current.text, placeholder: 'What are you up to?', maxlength: 100 });
  const button = h('button', { type: 'button', class: 'emoji-button', 'aria-haspopup': 'dialog',
    onclick: (e) => openEmojiPicker(e.currentTarget, { label: 'Status emoji', onPick: (picked) => {
      show(picked.name === picked.char ? picked.char : `:${picked.name}:`);
    } }) });
  const show = (emoji) => {
    button.dataset.emoji = emoji;
    button.textContent = emoji ? emojiChar(emoji) : '☺';
    button.setAttribute('aria-label', emoji ? `Status emoji ${emoji}, change it` : 'Choose a status emoji');
  };
  show(current.emoji);
  const until = current.expires_at && new Date(current.expires_at);
  const after = h('select', { id: 'f-status-after', dataset: { initial: until ? 'keep' : 'never' } },
    until ? h('option', { value: 'keep', selected: true }, `As set: until ${until.toLocaleString()}`) : null,
    Object.entries(CLEAR_AFTER).map(([value, choice]) => h('option', { value }, choice.label)));
  const clear = h('button', { type: 'button', class: 'link', onclick: () => {
    text.value = ''; show(''); after.value = 'never';
  } }, 'Clear status');
  return [label, text, button, after, clear];
}

// The status fields to send, only when the status was touched: a status sent again
// without an expiry would lose the one it has.
function statusChanges(me, text, button, after) {
  const current = shownStatus(me) || { text: '', emoji: '', expires_at: null };
  const emoji = button.dataset.emoji;
  if (text.value.trim() === current.text && emoji === current.emoji && after.value === after.dataset.initial) return {};
  const empty = !text.value.trim() && !emoji;
  const expires = empty ? null : after.value === 'keep' ? current.expires_at : CLEAR_AFTER[after.value].at()?.toISOString() ?? null;
  return { status_text: text.value.trim(), status_emoji: emoji, status_expires_at: expires };
}
