// The /ws client (docs/api/websocket.md): connects with the access token, waits for
// `hello`, reconnects with backoff, pings to notice a dead link, and keeps every
// `send` until its `ack`: unacknowledged sends go again after a reconnect with their
// original client_msg_id, so the server stores each once. A reconnect resumes
// (`/ws?resume=1`, then `resume` with the highest seq held per channel, from
// `resumeChannels()`): the server replays what was missed, then says `resumed`.
import { session, refresh } from './api.js';

export class Socket extends EventTarget {
  constructor() {
    super();
    this.ws = null;
    this.state = 'closed';        // closed | connecting | open
    this.nextReq = 1;
    this.waiting = new Map();     // req_id -> {frame, resolve, reject}
    this.outbox = new Map();      // client_msg_id -> req_id of a send not yet acked
    this.backoff = 500;
    this.stopped = true;
    this.connectedBefore = false;
    this.resumeChannels = null;   // () => {channel id: highest seq held}, set by the app
  }

  start() { this.stopped = false; this.connect(); }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.ws?.close(1000, 'bye');
  }

  setState(state) {
    this.state = state;
    this.dispatchEvent(new CustomEvent('state', { detail: state }));
  }

  connect() {
    if (this.stopped || this.ws) return;
    const token = session.get()?.access_token;
    if (!token) return;
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    this.resuming = this.connectedBefore && Boolean(this.resumeChannels);
    const ws = new WebSocket(`${scheme}://${location.host}/ws?access_token=${encodeURIComponent(token)}${this.resuming ? '&resume=1' : ''}`);
    this.ws = ws;
    this.setState('connecting');
    ws.onmessage = (e) => this.receive(JSON.parse(e.data));
    ws.onclose = (e) => this.closed(ws, e.code);
  }

  // Drop the connection now (the browser went offline, or pings went unanswered).
  drop() { if (this.ws) { const ws = this.ws; ws.close(); this.closed(ws, 1006); } }

  async closed(ws, code) {
    if (ws !== this.ws) return;
    this.ws = null;
    clearInterval(this.pingTimer);
    for (const [id, w] of this.waiting) if (!w.frame.client_msg_id) { w.reject(new Error('disconnected')); this.waiting.delete(id); }
    this.setState('closed');
    if (this.stopped) return;
    if (code === 4001) { try { await refresh(); } catch { return; } }
    if (!navigator.onLine) return;  // 'online' reconnects
    this.retryTimer = setTimeout(() => this.connect(), this.backoff);
    this.backoff = Math.min(this.backoff * 2, 10000);
  }

  receive(frame) {
    if (frame.type === 'hello') {
      this.backoff = 500;
      this.setState('open');
      this.startPings();
      this.connectedBefore = true;
      const unacked = [...this.waiting.values()];
      const resend = () => unacked.forEach((w) => this.write(w.frame));   // same client_msg_id
      this.dispatchEvent(new CustomEvent('hello', { detail: { ...frame, resuming: this.resuming } }));
      if (!this.resuming) { resend(); return; }
      // after `resumed` (or its error: the app then catches up over REST)
      this.request({ type: 'resume', channels: this.resumeChannels() })
        .then((reply) => reply, () => null)
        .then((reply) => { this.dispatchEvent(new CustomEvent('resumed', { detail: reply })); resend(); });
      return;
    }
    if (frame.req_id !== undefined && this.waiting.has(frame.req_id)) {
      const w = this.waiting.get(frame.req_id);
      this.waiting.delete(frame.req_id);
      if (w.frame.client_msg_id) this.outbox.delete(w.frame.client_msg_id);
      if (frame.type === 'error') w.reject(Object.assign(new Error(frame.message), { code: frame.code }));
      else w.resolve(frame);
      return;
    }
    if (frame.type === 'pong') { this.lastPong = Date.now(); return; }
    this.dispatchEvent(new CustomEvent('event', { detail: frame }));
  }

  startPings() {
    this.lastPong = Date.now();
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => {
      if (Date.now() - this.lastPong > 25000) return this.drop();
      this.write({ type: 'ping', req_id: 'p' + this.nextReq++ });
    }, 10000);
  }

  write(frame) {
    if (this.state === 'open' && this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(frame));
  }

  // A frame expecting a reply. Sends (with client_msg_id) survive reconnects; other
  // frames fail when the connection drops.
  request(frame) {
    if (frame.client_msg_id && this.outbox.has(frame.client_msg_id)) {
      return this.waiting.get(this.outbox.get(frame.client_msg_id)).promise;
    }
    const req_id = 'r' + this.nextReq++;
    const full = { ...frame, req_id };
    let entry;
    const promise = new Promise((resolve, reject) => { entry = { frame: full, resolve, reject }; });
    entry.promise = promise;
    if (!frame.client_msg_id && this.state !== 'open') return Promise.reject(new Error('offline'));
    this.waiting.set(req_id, entry);
    if (frame.client_msg_id) this.outbox.set(frame.client_msg_id, req_id);
    this.write(full);
    return promise;
  }

  // A frame with no reply on success (typing).
  notify(frame) { this.write(frame); }
}
