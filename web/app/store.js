// The client's state, and who to tell when a part of it changes. Messages are kept
// per channel by id (so a message announced twice is stored once) and listed by seq;
// sends not yet acknowledged are kept by client_msg_id until the stored message
// replaces them.

const listeners = new Map();

export const store = {
  me: null,
  users: new Map(),          // user_id -> profile
  channels: new Map(),       // channel_id -> channel (with membership)
  messages: new Map(),       // channel_id -> Map(message id -> message)
  pending: new Map(),        // channel_id -> Map(client_msg_id -> draft message)
  seen: new Map(),           // channel_id -> highest seq with nothing missing below it
  older: new Map(),          // channel_id -> true while older history may exist
  unread: new Map(),         // channel_id -> {unread, mentions, read_seq}, as unread.js counts them
  presence: new Map(),       // user_id -> online | away | offline
  typing: new Map(),         // channel_id -> Map(user_id -> expiry ms)
  receipts: new Map(),       // DM channel_id -> Map(user_id -> read_seq)
  active: null,              // the open channel's id
  thread: null,              // the open thread's parent message {channel_id, id}
  connection: 'closed',

  on(topic, fn) {
    if (!listeners.has(topic)) listeners.set(topic, new Set());
    listeners.get(topic).add(fn);
  },
  emit(topic, detail) { for (const fn of listeners.get(topic) || []) fn(detail); },

  channelMessages(channelId) {
    if (!this.messages.has(channelId)) this.messages.set(channelId, new Map());
    return this.messages.get(channelId);
  },

  // Add or replace stored messages; returns true if a seq was skipped (a gap).
  putMessages(channelId, list) {
    const box = this.channelMessages(channelId);
    const drafts = this.pending.get(channelId);
    for (const m of list) {
      const known = box.get(m.id);
      if (!known || (m.edited_at || '') >= (known.edited_at || '') || m.deleted_at) box.set(m.id, m);
      if (m.sender_id === this.me?.user_id) drafts?.delete(m.client_msg_id);
    }
    const seqs = new Set([...box.values()].map((m) => m.seq));
    let seen = this.seen.get(channelId) ?? 0;
    while (seqs.has(seen + 1)) seen += 1;
    this.seen.set(channelId, seen);
    this.emit('messages', channelId);
    return Math.max(0, ...seqs) > seen;
  },

  // Whether a message is in the stretch of history held: known, or not older than the
  // oldest message held.
  holds(m) {
    const box = this.messages.get(m.channel_id);
    if (!box) return false;
    if (box.has(m.id)) return true;
    let oldest = Infinity;
    for (const held of box.values()) oldest = Math.min(oldest, held.seq);
    return m.seq >= oldest;
  },

  // Messages of a channel (or of a thread) in seq order, drafts last.
  list(channelId, threadId = null) {
    const all = [...this.channelMessages(channelId).values()].sort((a, b) => a.seq - b.seq);
    const drafts = [...(this.pending.get(channelId)?.values() || [])]
      .filter((d) => (d.thread_parent_id || null) === threadId);
    if (threadId) return [...all.filter((m) => m.id === threadId || m.thread_parent_id === threadId), ...drafts];
    return [...all.filter((m) => !m.thread_parent_id || m.also_to_channel), ...drafts];
  },

  addDraft(draft) {
    if (!this.pending.has(draft.channel_id)) this.pending.set(draft.channel_id, new Map());
    this.pending.get(draft.channel_id).set(draft.client_msg_id, draft);
    this.emit('messages', draft.channel_id);
  },

  name(userId) {
    if (userId === 'channel' || userId === 'here') return userId;
    return this.users.get(userId)?.display_name || 'someone';
  },

  channelTitle(channel) {
    if (!channel) return '';
    if (channel.kind === 'dm' || channel.kind === 'group_dm') {
      const others = (channel.member_ids || []).filter((id) => id !== this.me.user_id);
      return others.map((id) => this.name(id)).join(', ') || 'Just you';
    }
    return channel.name;
  },
};
