// The REST client (/api/v1, docs/api/openapi.yaml): the bearer token, one refresh
// at a time when it expires, 429 Retry-After, and uploads with progress.
const BASE = '/api/v1';
const KEY = 'parley.session';

export class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

export const session = {
  get() { try { return JSON.parse(localStorage.getItem(KEY)); } catch { return null; } },
  set(s) { localStorage.setItem(KEY, JSON.stringify(s)); },
  clear() { localStorage.removeItem(KEY); },
};

let refreshing = null;
let onSignedOut = () => {};
export const whenSignedOut = (fn) => { onSignedOut = fn; };

export async function refresh() {
  refreshing ??= (async () => {
    const s = session.get();
    if (!s?.refresh_token) throw new ApiError(401, 'unauthenticated', 'signed out');
    const res = await fetch(`${BASE}/auth/refresh`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ refresh_token: s.refresh_token }),
    });
    if (!res.ok) { session.clear(); onSignedOut(); throw new ApiError(401, 'unauthenticated', 'session ended'); }
    session.set({ ...s, ...(await res.json()) });
  })().finally(() => { refreshing = null; });
  return refreshing;
}

export async function api(method, path, body, { retry = true } = {}) {
  const raw = body instanceof Blob;   // bytes (an avatar), sent as they are
  const headers = { 'Content-Type': raw ? (body.type || 'application/octet-stream') : 'application/json' };
  const token = session.get()?.access_token;
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(BASE + path, {
    method, headers, body: body === undefined || raw ? body : JSON.stringify(body),
  });
  if (res.status === 401 && token && retry) {
    await refresh();
    return api(method, path, body, { retry: false });
  }
  if (res.status === 429 && retry) {
    const wait = Number(res.headers.get('Retry-After') || 1);
    await new Promise((r) => setTimeout(r, Math.min(wait, 10) * 1000));
    return api(method, path, body, { retry: false });
  }
  const data = res.headers.get('Content-Type')?.includes('json') ? await res.json() : null;
  if (!res.ok) throw new ApiError(res.status, data?.error?.code || 'http_error', data?.error?.message || res.statusText);
  return data;
}

export const get = (path) => api('GET', path);
export const post = (path, body = {}) => api('POST', path, body);
export const put = (path, body = {}) => api('PUT', path, body);
export const patch = (path, body) => api('PATCH', path, body);
export const del = (path) => api('DELETE', path);
export const q = (params) => new URLSearchParams(
  Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== '')).toString();

// POST /files streams the body; XHR because fetch reports no upload progress. An
// expired access token is refreshed and the upload starts again, once.
export function upload(file, onProgress) {
  return sendFile(file, onProgress).catch(async (err) => {
    if (err.status !== 401) throw err;
    await refresh();
    return sendFile(file, onProgress);
  });
}

function sendFile(file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `${BASE}/files?${q({ filename: file.name || 'pasted.png' })}`);
    xhr.setRequestHeader('Authorization', `Bearer ${session.get()?.access_token}`);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      if (xhr.status === 201) resolve(data);
      else reject(new ApiError(xhr.status, data?.error?.code || 'http_error', data?.error?.message || 'upload failed'));
    };
    xhr.onerror = () => reject(new ApiError(0, 'network', 'upload failed: network'));
    xhr.send(file);
  });
}
