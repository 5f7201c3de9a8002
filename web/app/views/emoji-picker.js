// The emoji picker: a popover with a search box over a grid of emoji, the recently
// used first. Focus stays in the search box (a combobox): the arrows move the active
// emoji, Enter picks it, Esc closes; a click picks too. One picker at a time; used for
// reactions, for the composer and for a status.
import { h } from '../dom.js';
import { findEmoji, rememberEmoji } from '../emoji.js';

const COLUMNS = 8;
let current = null;   // {root, close}

export function closeEmojiPicker() { current?.close(); }

// Opens beside `anchor` (inside the anchor's modal dialog if any: the rest of the page
// is inert under a modal). `onPick(entry)` gets {char, name}.
export function openEmojiPicker(anchor, { label, onPick }) {
  const wasOpen = current?.anchor === anchor;
  closeEmojiPicker();
  if (wasOpen) return;   // the anchor's button toggles its picker
  const id = `emoji-${Math.random().toString(36).slice(2)}`;
  const grid = h('div', { class: 'emoji-grid', role: 'listbox', id: `${id}-list`, 'aria-label': 'Emoji' });
  const preview = h('div', { class: 'emoji-preview note', 'aria-live': 'polite' });
  const search = h('input', {
    type: 'search', class: 'emoji-search', placeholder: 'Search emoji', 'aria-label': 'Search emoji',
    role: 'combobox', 'aria-expanded': 'true', 'aria-controls': grid.id, 'aria-autocomplete': 'list',
    autocomplete: 'off',
  });
  const root = h('div', { class: 'emoji-picker', role: 'dialog', 'aria-label': label }, search, grid, preview);
  let found = [];
  let active = 0;

  const show = () => {
    found = findEmoji(search.value);
    active = 0;
    grid.replaceChildren(...found.map((e, i) => h('button', {
      type: 'button', role: 'option', tabindex: '-1', id: `${id}-${i}`, 'aria-label': e.name, title: `:${e.name}:`,
      onclick: () => pick(e),
    }, e.char)));
    preview.textContent = found.length ? '' : 'No emoji match';
    mark();
  };
  const mark = () => {
    grid.querySelector('[aria-selected="true"]')?.setAttribute('aria-selected', 'false');
    const option = grid.children[active];
    if (!option) { search.removeAttribute('aria-activedescendant'); return; }
    option.setAttribute('aria-selected', 'true');
    search.setAttribute('aria-activedescendant', option.id);
    option.scrollIntoView({ block: 'nearest' });
    preview.textContent = `${found[active].char} :${found[active].name}:`;
  };
  const pick = (entry) => {
    rememberEmoji(entry);
    close();
    anchor.focus();   // back where the person was (onPick may move it on)
    onPick(entry);
  };
  const close = () => {
    root.remove();
    document.removeEventListener('pointerdown', outside, true);
    if (current?.root === root) current = null;
  };
  const outside = (e) => { if (!root.contains(e.target) && !anchor.contains(e.target)) close(); };

  search.addEventListener('input', show);
  search.addEventListener('keydown', (e) => {
    const moves = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: COLUMNS, ArrowUp: -COLUMNS };
    if (e.key in moves && found.length) {
      e.preventDefault();
      active = Math.min(found.length - 1, Math.max(0, active + moves[e.key]));
      mark();
    } else if (e.key === 'Enter') {
      e.preventDefault();
      if (found[active]) pick(found[active]);
    } else if (e.key === 'Escape') {
      // the picker only: not the dialog or panel under it
      e.preventDefault(); e.stopPropagation();
      close();
      anchor.focus();
    }
  });
  document.addEventListener('pointerdown', outside, true);
  const dialog = anchor.closest('dialog');
  (dialog || document.body).append(root);
  dialog?.addEventListener('close', close, { once: true });
  place(root, anchor);
  current = { root, close, anchor };
  show();
  search.focus();
}

// Fixed beside the anchor, above it when there is more room there, kept on screen.
function place(root, anchor) {
  const at = anchor.getBoundingClientRect();
  const { width, height } = root.getBoundingClientRect();
  const below = innerHeight - at.bottom;
  const top = below >= height + 8 || below >= at.top ? at.bottom + 4 : at.top - height - 4;
  root.style.top = `${Math.max(4, Math.min(top, innerHeight - height - 4))}px`;
  root.style.left = `${Math.max(4, Math.min(at.right - width, innerWidth - width - 4))}px`;
}
