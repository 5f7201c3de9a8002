// Emoji by name (web/app/emoji-data.js, generated): the character shown for a
// reaction or a status stored by short name, the picker's search, and the emoji this
// person used last (kept in localStorage, offered first).
import { EMOJI } from './emoji-data.js';

const byName = new Map();
const ALL = EMOJI.map(([char, names, keywords]) => {
  const list = names.split(' ');
  const entry = { char, name: list[0], names: list, keywords: keywords.split(' ') };
  for (const name of list) byName.set(name, entry);
  return entry;
});
const byChar = new Map(ALL.map((e) => [e.char, e]));

const bare = (name) => String(name).trim().replace(/^:|:$/g, '');

// 'tada' or ':tada:' → '🎉'; an emoji character, or a name the table lacks, as it is.
export const emojiChar = (name) => byName.get(bare(name))?.char || bare(name);

// The entry for a name or a character; a character the table lacks is its own name
// (the API takes one unicode emoji as well as a short name).
export function emojiEntry(nameOrChar) {
  const value = bare(nameOrChar);
  return byName.get(value) || byChar.get(value) || { char: value, name: value, names: [value], keywords: [] };
}

const RECENT_KEY = 'parley.emoji.recent';
const RECENT_MAX = 16;

function recentNames() {
  try { return JSON.parse(localStorage.getItem(RECENT_KEY)) || []; } catch { return []; }
}

export function rememberEmoji(entry) {
  const names = [entry.name, ...recentNames().filter((n) => n !== entry.name)].slice(0, RECENT_MAX);
  localStorage.setItem(RECENT_KEY, JSON.stringify(names));
}

// With no text: the recently used first, then the whole table. With text: names that
// are it, then names starting with it, names containing it, keywords starting with it.
// Typed emoji characters are offered as they are.
export function findEmoji(text) {
  const query = bare(text).toLowerCase();
  if (!query) {
    const recent = recentNames().map(emojiEntry);
    const seen = new Set(recent.map((e) => e.char));
    return [...recent, ...ALL.filter((e) => !seen.has(e.char))];
  }
  if (!/^[\x20-\x7e]+$/.test(query)) return [emojiEntry(query)];
  const rank = (e) => {
    if (e.names.includes(query)) return 0;
    if (e.names.some((n) => n.startsWith(query))) return 1;
    if (e.names.some((n) => n.includes(query))) return 2;
    if (e.keywords.some((k) => k.startsWith(query))) return 3;
    return null;
  };
  return ALL.map((e) => [rank(e), e]).filter(([r]) => r !== null)
    .sort((a, b) => a[0] - b[0]).map(([, e]) => e);
}
