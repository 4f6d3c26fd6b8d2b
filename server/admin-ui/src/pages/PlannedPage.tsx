// A page of the panel not built yet: it says so, and which CLI command does its job meanwhile.
import type { PageEntry } from './catalog.js';

export function PlannedPage({ page }: { readonly page: PageEntry }) {
  return (
    <>
      <h2>{page.title}</h2>
      <p data-testid="planned">This page is not in the panel yet. Meanwhile, the CLI does its job:</p>
      <pre>
        <code>{page.cli}</code>
      </pre>
    </>
  );
}
