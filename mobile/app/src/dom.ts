// A few DOM helpers. Text is only ever set with textContent: nothing from the network is parsed as
// HTML (the page's CSP also requires Trusted Types for any HTML sink).

type Child = Node | string | null | undefined | false;

/** What a screen draws: its nodes, with null for a part it leaves out. */
export type Parts = Array<Node | null>;

export function h(
  tag: string,
  attrs: Readonly<Record<string, string>> = {},
  ...children: readonly Child[]
): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return el;
}

export function button(label: string, testId: string, onClick: () => void, kind = 'primary'): HTMLElement {
  const b = h('button', { type: 'button', class: kind, 'data-testid': testId }, label);
  b.addEventListener('click', onClick);
  return b;
}

/** Replaces the app's content with `nodes`. */
export function show(...nodes: readonly Child[]): void {
  const root = document.getElementById('app');
  if (!root) return;
  root.replaceChildren(...nodes.filter((n): n is Node | string => !!n));
}
