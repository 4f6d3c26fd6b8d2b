// A QR code drawn as SVG elements (one path), never as markup text: nothing reaches an HTML sink,
// which the panel's Trusted Types policy would refuse anyway.
import { encode } from 'uqr';

export function QrCode({
  text,
  label,
  testId,
}: {
  readonly text: string;
  readonly label: string;
  readonly testId?: string;
}) {
  const { data, size } = encode(text, { border: 4 });
  let d = '';
  data.forEach((row, y) => {
    row.forEach((dark, x) => {
      if (dark) d += `M${x} ${y}h1v1h-1z`;
    });
  });
  return (
    <svg
      className="qr"
      viewBox={`0 0 ${size} ${size}`}
      width="220"
      height="220"
      role="img"
      aria-label={label}
      data-testid={testId}
    >
      <rect width={size} height={size} fill="#fff" />
      <path d={d} fill="#000" />
    </svg>
  );
}
