// Web push opt-in for this device (docs/notifications.md): the browser's permission,
// a PushManager subscription with the server's VAPID key, registered with
// POST /api/v1/push/subscriptions. web/sw.js shows what arrives.
import { get, post } from './api.js';

export const pushSupported = () => 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;

function keyBytes(base64url) {
  const text = atob(base64url.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (base64url.length % 4)) % 4));
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

export async function enablePush() {
  if (!pushSupported()) throw new Error('This browser cannot receive push notifications.');
  if ((await Notification.requestPermission()) !== 'granted') throw new Error('Notifications are blocked for this site.');
  const registration = await navigator.serviceWorker.ready;
  const { public_key: key } = await get('/push/vapid-public-key');
  const subscription = await registration.pushManager.getSubscription()
    || await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) });
  await post('/push/subscriptions', { ...subscription.toJSON(), user_agent: navigator.userAgent.slice(0, 200) });
}
