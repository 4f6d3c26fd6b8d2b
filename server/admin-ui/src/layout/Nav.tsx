// The navigation of the signed-in role: only the pages it may read; planned pages are marked.
import type { UserRole } from '../../../../core/api/admin.js';
import { visiblePages } from '../access.js';
import { hashOf, isReady, type PageId } from '../pages/catalog.js';

export function Nav({ role, current }: { readonly role: UserRole; readonly current: PageId | null }) {
  return (
    <nav className="side" aria-label="Pages">
      <ul>
        {visiblePages(role).map((p) => (
          <li key={p.id}>
            <a
              href={hashOf(p.id)}
              aria-current={p.id === current ? 'page' : undefined}
              data-testid={`nav-${p.id}`}
            >
              {p.title}
              {!isReady(p.id) && <span className="soon"> (soon)</span>}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}
