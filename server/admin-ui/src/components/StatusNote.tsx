// What the last action did ("Token 1a2b3c4d revoked.", "You are signed out."), announced to screen
// readers as a status.
export function StatusNote({
  note,
  testId = 'note',
}: {
  readonly note: string | null;
  readonly testId?: string;
}) {
  if (!note) return null;
  return (
    <p className="note" role="status" data-testid={testId}>
      {note}
    </p>
  );
}
