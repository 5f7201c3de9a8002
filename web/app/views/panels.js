// Side panels (thread, search results) and the phone drawer: one open at a time;
// Esc closes the topmost.
import { $ } from '../dom.js';
import { closeThread } from './thread.js';

export function closePanels() {
  closeThread();
  $('#results').hidden = true;
}

export function openDrawer(open) {
  $('#sidebar').classList.toggle('open', open);
  $('#scrim').hidden = !open;
  $('#menu').setAttribute('aria-expanded', String(open));
  if (open) $('#sidebar').querySelector('button')?.focus();
}

export function onEscape() {
  const dialog = $('#dialog');
  if (dialog.open) { dialog.close(); return; }
  if ($('#sidebar').classList.contains('open')) { openDrawer(false); return; }
  if (!$('#thread').hidden || !$('#results').hidden) closePanels();
}
