// What a person does to messages. Sends go over the socket (kept until acked, resent
// after a reconnect with the same client_msg_id); edits, deletes and reactions use
// REST, whose answer is the message as it is now.
import { del, patch, post, put, upload } from './api.js';
import { uuid } from './dom.js';
import { store } from './store.js';

let socket = null;
export const useSocket = (s) => { socket = s; };

export function sendMessage(channelId, text, attachments = [], threadParentId = null) {
  const draft = {
    id: null, client_msg_id: uuid(), channel_id: channelId, sender_id: store.me.user_id,
    text, attachments, thread_parent_id: threadParentId, created_at: new Date().toISOString(),
    pending: true, reactions: [],
  };
  store.addDraft(draft);
  const frame = { type: 'send', channel_id: channelId, client_msg_id: draft.client_msg_id, text,
    attachments: attachments.map((f) => f.id) };
  if (threadParentId) frame.thread_parent_id = threadParentId;
  socket.notify({ type: 'typing', channel_id: channelId, thread_parent_id: threadParentId, state: 'stopped' });
  return socket.request(frame).then(
    (ack) => store.putMessages(channelId, [ack.message]),
    (err) => { draft.failed = err.message || 'not sent'; store.emit('messages', channelId); });
}

const path = (m) => `/channels/${m.channel_id}/messages/${m.id}`;
const apply = (m) => store.putMessages(m.channel_id, [m]);

export const editMessage = (m, text) => patch(path(m), { text }).then(apply);
export const deleteMessage = (m) => del(path(m)).then(apply);
export const togglePin = (m) => (m.pinned ? del(`${path(m)}/pin`) : post(`${path(m)}/pin`)).then(apply);

export function toggleReaction(m, emoji) {
  const mine = m.reactions?.find((r) => r.emoji === emoji)?.user_ids.includes(store.me.user_id);
  const url = `${path(m)}/reactions/${encodeURIComponent(emoji)}`;
  return (mine ? del(url) : put(url)).then(apply);
}

let lastTyping = 0;
export function typing(channelId, threadParentId = null) {
  if (Date.now() - lastTyping < 2500) return;
  lastTyping = Date.now();
  socket.notify({ type: 'typing', channel_id: channelId, thread_parent_id: threadParentId, state: 'started' });
}

export function presence(state) {
  return socket.request({ type: 'presence', state }).catch(() => {});
}

// The conversation this device shows (null: none, or in the background), so that
// notifications spare what is being looked at.
export function viewing() {
  const channelId = document.visibilityState === 'visible' ? store.active : null;
  if (store.connection === 'open') socket.request({ type: 'view', channel_id: channelId }).catch(() => {});
}

export function delivered(channelId, seq) {
  socket.request({ type: 'delivered', channel_id: channelId, seq }).catch(() => {});
}

export { upload };
