// What a person does to a channel as its manager: topic, name and purpose, archive and
// unarchive, removing people. Each answer (the channel as it is now) goes into the
// store at once; the `channel.updated` / `member.left` events bring the same to
// everyone else.
import { del, patch, post } from './api.js';
import { store } from './store.js';

const isDm = (channel) => channel.kind === 'dm' || channel.kind === 'group_dm';

// docs/permissions.md: rename, purpose, archive, unarchive and removing people are for
// workspace owners and admins and the channel's creator, never in a DM. This is the
// client's reading of the matrix, to show the controls; the API has the last word.
export const canManage = (channel) => !isDm(channel)
  && (store.me.role === 'owner' || store.me.role === 'admin' || channel.created_by === store.me.user_id);

// A channel as the server sent it (an answer or a `channel.updated` event, both without
// my membership), over what the store holds.
export function putChannel(channel) {
  const old = store.channels.get(channel.id);
  if (!old) return;
  store.channels.set(channel.id, { ...old, ...channel, membership: old.membership, member_ids: old.member_ids });
  store.emit('channels');
}

export const updateChannel = (channel, changes) => patch(`/channels/${channel.id}`, changes).then(putChannel);
export const setArchived = (channel, archived) =>
  post(`/channels/${channel.id}/${archived ? 'archive' : 'unarchive'}`).then(putChannel);
export const removeMember = (channel, userId) => del(`/channels/${channel.id}/members/${userId}`);
