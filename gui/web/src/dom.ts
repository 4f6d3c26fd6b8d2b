// DOM helpers for the GUI. Text is only ever set with textContent: nothing from the daemon or the
// network is parsed as HTML.

export type Child = Node | string | null | undefined | false;

export function h(tag: string, attrs: Readonly<Record<string, string>> = {}, ...children: readonly Child[]) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

export function button(label: string, testId: string, onClick: () => void, kind = 'primary') {
  const b = h('button', { type: 'button', class: kind, 'data-testid': testId }, label);
  b.addEventListener('click', onClick);
  return b;
}

export function field(label: string, testId: string, attrs: Readonly<Record<string, string>> = {}) {
  const input = h('input', { id: testId, 'data-testid': testId, ...attrs }) as HTMLInputElement;
  return { input, node: h('label', { for: testId }, label, input) };
}

/** Reads a file the user picked (the fleet token, the backend's CA) as text; never uploads it. */
export function fileText(input: HTMLInputElement): Promise<string | null> {
  const f = input.files?.[0];
  return f ? f.text() : Promise.resolve(null);
}

export function mount(id: string, ...nodes: readonly Child[]): void {
  document.getElementById(id)?.replaceChildren(...nodes.filter((n): n is Node | string => !!n));
}
