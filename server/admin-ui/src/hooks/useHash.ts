// The location's hash (`#/users`): the panel's pages are hash routes, so the backend serves one
// page and needs no fallback route under /admin/, where the admin API lives.
import { useEffect, useState } from 'react';

export function useHash(): string {
  const [hash, setHash] = useState(() => window.location.hash);
  useEffect(() => {
    const onChange = () => setHash(window.location.hash);
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return hash;
}
