// A tiny XML well-formedness checker for the plot tests (no DOM): balanced tags, quoted
// attributes with escaped values, text without raw markup characters, one root element.

/** An element of the parsed tree. */
export interface El {
  name: string;
  attrs: Record<string, string>;
  children: El[];
  /** The decoded character data directly inside this element. */
  text: string;
}

const ENTITY = /^&(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/;
const NAME = /^[A-Za-z_][\w.:-]*/;

function decode(s: string, where: number): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '<' || c === '>') throw new Error(`raw ${c} in text or attribute at ${where + i}`);
    if (c !== '&') {
      out += c;
      continue;
    }
    const m = ENTITY.exec(s.slice(i));
    if (m === null) throw new Error(`unescaped & at ${where + i}`);
    const e = m[1];
    out += e === 'amp' ? '&' : e === 'lt' ? '<' : e === 'gt' ? '>' : e === 'quot' ? '"' : e === 'apos' ? "'" : String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    i += m[0].length - 1;
  }
  return out;
}

/** Parses `src` as one XML element; throws on every well-formedness error it knows. */
export function parseXml(src: string): El {
  const root: El = { name: '#root', attrs: {}, children: [], text: '' };
  const stack: El[] = [root];
  let i = 0;
  while (i < src.length) {
    const lt = src.indexOf('<', i);
    const text = src.slice(i, lt === -1 ? src.length : lt);
    if (text.length > 0) {
      const t = decode(text, i);
      if (stack.length === 1 && t.trim() !== '') throw new Error(`text outside the root element at ${i}`);
      stack[stack.length - 1].text += t;
    }
    if (lt === -1) break;
    i = lt + 1;
    if (src[i] === '/') {
      const m = NAME.exec(src.slice(i + 1));
      if (m === null) throw new Error(`bad end tag at ${lt}`);
      i += 1 + m[0].length;
      while (src[i] === ' ') i++;
      if (src[i] !== '>') throw new Error(`bad end tag at ${lt}`);
      i++;
      const top = stack.pop();
      if (top === undefined || top.name !== m[0]) throw new Error(`end tag </${m[0]}> does not match <${top?.name}> at ${lt}`);
      continue;
    }
    const m = NAME.exec(src.slice(i));
    if (m === null) throw new Error(`bad start tag at ${lt}`);
    const el: El = { name: m[0], attrs: {}, children: [], text: '' };
    i += m[0].length;
    for (;;) {
      const ws = /^\s*/.exec(src.slice(i))![0].length;
      i += ws;
      if (src[i] === '>' || src.startsWith('/>', i)) break;
      if (ws === 0) throw new Error(`missing space before attribute at ${i}`);
      const a = /^([A-Za-z_][\w.:-]*)="([^"]*)"/.exec(src.slice(i));
      if (a === null) throw new Error(`bad attribute at ${i}: ${src.slice(i, i + 20)}`);
      if (Object.hasOwn(el.attrs, a[1])) throw new Error(`duplicate attribute ${a[1]} at ${i}`);
      el.attrs[a[1]] = decode(a[2], i);
      i += a[0].length;
    }
    if (stack.length === 1 && root.children.length > 0) throw new Error('more than one root element');
    stack[stack.length - 1].children.push(el);
    if (src[i] === '/') i += 2;
    else {
      i += 1;
      stack.push(el);
    }
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack[stack.length - 1].name}>`);
  if (root.children.length !== 1) throw new Error('no root element');
  return root.children[0];
}

/** Every element under (and including) `el` for which `pred` holds, in document order. */
export function findAll(el: El, pred: (e: El) => boolean): El[] {
  const out: El[] = [];
  const walk = (e: El): void => {
    if (pred(e)) out.push(e);
    e.children.forEach(walk);
  };
  walk(el);
  return out;
}

/** Elements whose class attribute contains `cls`. */
export function byClass(el: El, cls: string): El[] {
  return findAll(el, (e) => (e.attrs.class ?? '').split(/\s+/).includes(cls));
}

/** All text inside `el`, concatenated. */
export function allText(el: El): string {
  return el.text + el.children.map(allText).join('');
}

/** The points of an SVG path made of M and L commands, split into runs at each M. */
export function pathRuns(d: string): [number, number][][] {
  const runs: [number, number][][] = [];
  for (const m of d.matchAll(/([ML])(-?[\d.]+),(-?[\d.]+)/g)) {
    if (m[1] === 'M') runs.push([]);
    runs[runs.length - 1].push([Number(m[2]), Number(m[3])]);
  }
  return runs;
}
