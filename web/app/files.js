// Attachments: presigned URLs (GET /files/{id}) are asked for once per few minutes.
import { get } from './api.js';

const cache = new Map();   // file id -> {at, promise}
const FRESH_MS = 4 * 60 * 1000;

export function fileUrls(fileId) {
  const hit = cache.get(fileId);
  if (hit && Date.now() - hit.at < FRESH_MS) return hit.promise;
  const promise = get(`/files/${fileId}?expires_in=300`);
  promise.catch(() => cache.delete(fileId));
  cache.set(fileId, { at: Date.now(), promise });
  return promise;
}
