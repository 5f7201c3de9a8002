// Message text → DOM nodes: **bold**, _italic_ / *italic*, `code`, ```code blocks```,
// > quotes, http(s) links and <@USER_ID> mentions. Text is never parsed as HTML.
import { h } from './dom.js';

const INLINE = /(`[^`\n]+`)|(\*\*[^*\n]+\*\*)|(\*[^*\n]+\*|_[^_\n]+_)|(https?:\/\/[^\s<>"]+[^\s<>".,;:!?)\]'])|(<@[A-Za-z0-9_-]{1,64}>)|(@channel\b|@here\b)/g;

export function renderText(text, nameOf = (id) => id) {
  const nodes = [];
  const parts = text.split(/```/);
  parts.forEach((part, i) => {
    if (i % 2 === 1 && i < parts.length - 1) {
      nodes.push(h('pre', { class: 'codeblock' }, h('code', {}, part.replace(/^\n/, ''))));
    } else {
      const chunk = i % 2 === 1 ? '```' + part : part;  // an unclosed fence stays text
      nodes.push(...blocks(chunk, nameOf));
    }
  });
  return nodes;
}

function blocks(text, nameOf) {
  const out = [];
  const lines = text.split('\n');
  let quote = null;
  lines.forEach((line, i) => {
    if (line.startsWith('>')) {
      if (!quote) { quote = h('blockquote'); out.push(quote); }
      else quote.append(h('br'));
      quote.append(...inline(line.replace(/^> ?/, ''), nameOf));
      return;
    }
    quote = null;
    out.push(...inline(line, nameOf));
    if (i < lines.length - 1 && !(lines[i + 1] || '').startsWith('>')) out.push(h('br'));
  });
  return out;
}

export function inline(text, nameOf) {
  const out = [];
  let last = 0;
  for (const m of text.matchAll(INLINE)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    const [all, code, bold, italic, link, mention, broadcast] = m;
    if (code) out.push(h('code', {}, code.slice(1, -1)));
    else if (bold) out.push(h('strong', {}, ...inline(bold.slice(2, -2), nameOf)));
    else if (italic) out.push(h('em', {}, ...inline(italic.slice(1, -1), nameOf)));
    else if (link) out.push(h('a', { href: link, target: '_blank', rel: 'noopener noreferrer' }, link));
    else if (mention) out.push(h('span', { class: 'mention' }, '@' + nameOf(mention.slice(2, -1))));
    else if (broadcast) out.push(h('span', { class: 'mention' }, broadcast));
    else out.push(all);
    last = m.index + all.length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

// A search snippet is escaped HTML whose only markup is <mark>…</mark>: split on the
// two tags and unescape the rest into text nodes.
const ENTITIES = { '&lt;': '<', '&gt;': '>', '&amp;': '&', '&quot;': '"', '&#x27;': "'", '&#39;': "'" };
export function renderSnippet(snippet) {
  const unescape = (s) => s.replace(/&(lt|gt|amp|quot|#x27|#39);/g, (e) => ENTITIES[e]);
  return snippet.split(/(<mark>[\s\S]*?<\/mark>)/).filter(Boolean).map((part) =>
    part.startsWith('<mark>') ? h('mark', {}, unescape(part.slice(6, -7))) : unescape(part));
}

export function dayLabel(date) {
  const today = new Date(); today.setHours(0, 0, 0, 0);
  const day = new Date(date); day.setHours(0, 0, 0, 0);
  const diff = Math.round((today - day) / 86400000);
  if (diff === 0) return 'Today';
  if (diff === 1) return 'Yesterday';
  return date.toLocaleDateString(undefined, { weekday: 'long', month: 'long', day: 'numeric', year: 'numeric' });
}

export const timeLabel = (date) => date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });

export function sizeLabel(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1048576) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1048576).toFixed(1)} MB`;
}
