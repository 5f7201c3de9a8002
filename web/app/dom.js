// Building DOM nodes. User text only ever becomes text nodes or attribute values:
// nothing here (or anywhere in the app) assigns innerHTML.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'value' || (key in el && typeof value !== 'string')) el[key] = value;
    else el.setAttribute(key, value === true ? '' : value);
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

export const $ = (selector, root = document) => root.querySelector(selector);

// Make `parent`'s children exactly `nodes`, touching only what differs: nodes already
// in place stay put (keeping focus, selection, a hover or a tap in progress), new ones
// are inserted, others removed. Cheap when nodes are reused between redraws.
export function reconcile(parent, nodes) {
  const keep = new Set(nodes);
  let cursor = parent.firstChild;
  for (const node of nodes) {
    while (cursor && !keep.has(cursor)) {
      const stale = cursor;
      cursor = cursor.nextSibling;
      stale.remove();
    }
    if (node === cursor) cursor = cursor.nextSibling;
    else parent.insertBefore(node, cursor);
  }
  while (cursor) {
    const stale = cursor;
    cursor = cursor.nextSibling;
    stale.remove();
  }
  return parent;
}

export function debounce(fn, ms) {
  let timer;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}

// A search box: looks up `find(text)` when typing pauses (and once at the start), and
// shows only the answer to the latest text, so a slow earlier answer never replaces a
// newer one under the person's pointer.
export function liveSearch(input, find, show, ms = 250) {
  let latest = 0;
  const run = async () => {
    const asked = ++latest;
    const found = await find(input.value);
    if (asked === latest) show(found);
  };
  input.addEventListener('input', debounce(run, ms));
  run();
}

export function uuid() {
  return crypto.randomUUID ? crypto.randomUUID()
    : 'c-' + Date.now().toString(36) + '-' + Math.random().toString(36).slice(2);
}
