import { type ComponentChild, render } from 'preact';
import { fmtAge, fmtTime } from './format';

/**
 * The page's fixed frame is HTML (cli/console-page.ts); these set its texts and switch its parts
 * on and off, only where something changed. What varies with the data (rows, cards, lists) is drawn
 * by Preact into the frame's containers ({@link draw}).
 */

export const byId = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const found = document.getElementById(id);
  if (!found) throw new Error(`console page: no #${id}`);
  return found as T;
};

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

/**
 * Draws `tree` into `parent`. Preact compares it with the last drawing and touches only what
 * changed, reusing each row by its key, so scroll position, focus and open dialogs survive a refresh.
 */
export function draw(parent: HTMLElement, tree: ComponentChild): void {
  const focused = document.activeElement;
  render(tree, parent);
  // Moving a row that holds the focus blurs it: give it back.
  if (focused instanceof HTMLElement && focused !== document.activeElement && focused.isConnected) {
    focused.focus({ preventScroll: true });
  }
}

/** A frame element whose text is the age of `iso`, kept ticking by the page's clock. */
export function setAge(node: HTMLElement, iso: string | undefined | null, never = '-'): void {
  setAttr(node, 'data-t', iso ?? undefined);
  setAttr(node, 'title', iso ? fmtTime(iso) : undefined);
  setText(node, iso ? fmtAge(iso) : never);
  node.classList.add('age');
}

/** A badge in the colour of `state` on a frame element, saying `text` (the state itself unless told). */
export function stateBadge(node: HTMLElement, state: string, text = state): void {
  setText(node, text);
  const cls = `st st-${state}`;
  if (node.className !== cls) node.className = cls;
}

/**
 * A filter's options: all, then `values`; the choice stays when it is still offered. The options
 * are the browser's own (a filter the address names may add one, see {@link choose}), not Preact's.
 */
export function syncOptions(select: HTMLSelectElement, values: readonly string[], all: string): void {
  const wanted = ['', ...values];
  const current = Array.from(select.options).map((o) => o.value);
  if (current.join('\n') === wanted.join('\n')) return;
  const chosen = select.value;
  select.replaceChildren(...wanted.map((v) => new Option(v === '' ? all : v === '-' ? '(none)' : v, v)));
  select.value = wanted.includes(chosen) ? chosen : '';
}

/** Sets a filter as the address says, adding the option when the list does not have it (yet). */
export function choose(select: HTMLSelectElement, value: string): void {
  if (value && !Array.from(select.options).some((o) => o.value === value))
    select.append(new Option(value, value));
  select.value = value;
}

/**
 * Wires a list's "more" button: a click calls `more`, and so does scrolling to the button while
 * `busy` (a refresh under way) says no.
 */
export function wireMore(button: HTMLElement, more: () => void, busy: () => boolean): void {
  button.addEventListener('click', more);
  new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting) && !busy()) more();
  }).observe(button);
}
