// keys.js - series keys and selectors as the server reads them
// (docs/protocol.md, "Series keys" and "Selectors"). Pure, no DOM.
//
// A key is `name` or `name{k="v",...}` (canonical: keys sorted, values
// escaped with \\ and \" only). Its labels are the suffix from the first `{`
// from which a whole label list runs to the end; a name may itself contain
// braces (`GET /users/{id}`).

const KEY = /[a-zA-Z_][a-zA-Z0-9_]*/y;

// Reads a label list starting at s[i] === '{' and running to the end of s;
// returns [[key, value], ...] or null. O(length).
function readLabels(s, i) {
  const out = [];
  let j = i + 1;
  if (s[j] === '}') return j === s.length - 1 ? out : null;
  for (;;) {
    KEY.lastIndex = j;
    const m = KEY.exec(s);
    if (!m) return null;
    j += m[0].length;
    if (s[j] !== '=' || s[j + 1] !== '"') return null;
    j += 2;
    let value = '';
    for (;;) {
      if (j >= s.length) return null;
      const c = s[j];
      if (c === '"') break;
      if (c === '\\') {
        if (s[j + 1] !== '\\' && s[j + 1] !== '"') return null;
        value += s[j + 1];
        j += 2;
      } else {
        value += c;
        j++;
      }
    }
    out.push([m[0], value]);
    j++;
    if (s[j] === ',') j++;
    if (s[j] === '}') return j === s.length - 1 ? out : null;
  }
}

// {name, labels: [[key, value], ...]} of a series key.
export function splitKey(key) {
  for (let i = key.indexOf('{'); i >= 0; i = key.indexOf('{', i + 1)) {
    const labels = readLabels(key, i);
    if (labels) return { name: key.slice(0, i), labels };
  }
  return { name: key, labels: [] };
}

// A selector value, quoted and escaped.
export function quoteValue(v) {
  return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

// The selector of every series of a name, whatever its labels: the bare
// name when the server cannot read it as anything else, else __name__=.
export function nameSelector(name) {
  return name.includes('{') || name === '' ? `{__name__=${quoteValue(name)}}` : name;
}

const OP = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*/y;

// Reads a selector's matcher list at s[i] === '{' running to the end (spaces,
// ' or " quotes, escapes, one trailing comma); returns the index of the
// list's closing brace or -1. Only the shape is checked: the server says
// what is wrong with a bad selector.
function readMatchers(s, i) {
  let j = i + 1;
  const end = () => {
    while (s[j] === ' ') j++;
    return s[j] === '}' && j === s.length - 1;
  };
  if (end()) return j;
  for (;;) {
    OP.lastIndex = j;
    const m = OP.exec(s);
    if (!m) return -1;
    j += m[0].length;
    const q = s[j];
    if (q !== '"' && q !== "'") return -1;
    j++;
    while (j < s.length && s[j] !== q) j += s[j] === '\\' ? 2 : 1;
    if (j >= s.length) return -1;
    j++;
    while (s[j] === ' ') j++;
    if (s[j] === ',') j++;
    if (end()) return j;
  }
}

// The selector `sel` with more matchers (a string such as `k!="v",k!="w"`)
// that must hold as well.
export function withMatchers(sel, extra) {
  for (let i = sel.indexOf('{'); i >= 0; i = sel.indexOf('{', i + 1)) {
    const close = readMatchers(sel, i);
    if (close < 0) continue;
    const inner = sel.slice(i + 1, close).trim().replace(/,$/, '');
    return `${sel.slice(0, i)}{${inner ? `${inner},` : ''}${extra}}`;
  }
  return `${sel}{${extra}}`;
}
