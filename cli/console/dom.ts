import { fmtAge, fmtTime } from './format';

/**
 * The console's DOM helpers. Every refresh updates the page in place (rows keyed by id, text set
 * only when it changed), so scroll position, focus and open dialogs survive it.
 */

type Attrs = Record<string, string>;
export type Child = Node | string;

export const byId = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const found = document.getElementById(id);
  if (!found) throw new Error(`console page: no #${id}`);
  return found as T;
};

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

export function setText(node: Element, text: string): void {
  if (node.textContent !== text) node.textContent = text;
}

export function setAttr(node: Element, name: string, value: string | undefined): void {
  if (value === undefined) {
    if (node.hasAttribute(name)) node.removeAttribute(name);
  } else if (node.getAttribute(name) !== value) node.setAttribute(name, value);
}

export function show(node: HTMLElement, visible: boolean): void {
  if (node.hidden === visible) node.hidden = !visible;
}

/** Replaces `node`'s children with one line each, only when the lines changed. */
export function setLines(node: HTMLElement, lines: readonly string[]): void {
  const joined = lines.join('\n');
  if (node.dataset.v === joined) return;
  node.dataset.v = joined;
  node.replaceChildren(...lines.map((line) => h('div', {}, line)));
}

/**
 * Makes `parent`'s children the rendering of `items`, in order, reusing the element of each key:
 * new keys are made, gone ones removed, and nothing is rebuilt that can be updated.
 */
export function sync<T>(
  parent: HTMLElement,
  items: readonly T[],
  key: (item: T) => string,
  make: (item: T) => HTMLElement,
  update: (node: HTMLElement, item: T) => void,
): void {
  const focused = document.activeElement;
  const old = new Map<string, HTMLElement>();
  for (const child of Array.from(parent.children) as HTMLElement[]) old.set(child.dataset.key ?? '', child);
  let previous: Element | null = null;
  for (const item of items) {
    const k = key(item);
    let node = old.get(k);
    if (node) old.delete(k);
    else {
      node = make(item);
      node.dataset.key = k;
    }
    update(node, item);
    const expected: Element | null = previous ? previous.nextElementSibling : parent.firstElementChild;
    if (expected !== node) parent.insertBefore(node, expected);
    previous = node;
  }
  for (const node of old.values()) node.remove();
  // Moving a row that holds the focus blurs it: give it back.
  if (focused instanceof HTMLElement && focused !== document.activeElement && focused.isConnected) {
    focused.focus({ preventScroll: true });
  }
}

/** Shows `rows` as the term and value pairs of the `<dl>` `list`; `warn` marks a row by its term. */
export function syncTerms(
  list: HTMLElement,
  rows: readonly (readonly [string, string])[],
  warn: (term: string) => boolean = () => false,
): void {
  sync(
    list,
    rows,
    (r) => r[0],
    () => h('div', {}, h('dt'), h('dd')),
    (node, [term, value]) => {
      setText(node.querySelector('dt')!, term);
      setText(node.querySelector('dd')!, value);
      node.classList.toggle('warn', warn(term));
    },
  );
}

/** An element whose text is the age of `iso`, kept ticking by the page's clock. */
export function setAge(node: HTMLElement, iso: string | undefined | null, never = '-'): void {
  setAttr(node, 'data-t', iso ?? undefined);
  setAttr(node, 'title', iso ? fmtTime(iso) : undefined);
  setText(node, iso ? fmtAge(iso) : never);
  node.classList.add('age');
}

/** A table row of plain cells, labelled for the phone layout. */
export function row(labels: readonly string[]): HTMLTableRowElement {
  return h('tr', {}, ...labels.map((label) => h('td', { 'data-label': label })));
}

export function fill(tr: HTMLElement, values: readonly string[]): void {
  values.forEach((value, i) => {
    const td = tr.children[i];
    if (td) setText(td, value);
  });
}

/** A badge in the colour of `state`, saying `text` (the state itself unless told). */
export function stateBadge(node: HTMLElement, state: string, text = state): void {
  setText(node, text);
  const cls = `st st-${state}`;
  if (node.className !== cls) node.className = cls;
}

export function syncOptions(select: HTMLSelectElement, values: readonly string[], all: string): void {
  const wanted = ['', ...values];
  const current = Array.from(select.options).map((o) => o.value);
  if (current.join('\n') === wanted.join('\n')) return;
  const chosen = select.value;
  select.replaceChildren(
    ...wanted.map((v) => h('option', { value: v }, v === '' ? all : v === '-' ? '(none)' : v)),
  );
  select.value = wanted.includes(chosen) ? chosen : '';
}

/** Sets a filter as the address says, adding the option when the list does not have it (yet). */
export function choose(select: HTMLSelectElement, value: string): void {
  if (value && !Array.from(select.options).some((o) => o.value === value)) {
    select.append(h('option', { value }, value));
  }
  select.value = value;
}
