// A time of the API (ISO-8601 UTC) as the administrator reads it, with the exact value on hover.
export function When({ iso }: { readonly iso: string | null }) {
  if (!iso) return <span className="muted">—</span>;
  const d = new Date(iso);
  return (
    <time dateTime={iso} title={iso}>
      {d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })}
    </time>
  );
}
