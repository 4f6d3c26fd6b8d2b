// "Bind your phone": the bind link (or code) IT sent to this computer, drawn as a QR code for the
// phone's camera, so nobody has to type it on a phone. Drawn with SVG elements, never markup text.
import { encode } from 'uqr';

const SVG = 'http://www.w3.org/2000/svg';
const CODE = /^[A-Za-z0-9 -]{10,16}$/;

/** The phone app link for what the user pasted: a bind link as is, a bare code on the backend. */
export function bindLinkFor(pasted: string, backendUrl: string | null): string | null {
  const text = pasted.trim();
  try {
    const u = new URL(text);
    return u.protocol === 'https:' && u.pathname === '/phone/' && /^#bind=[A-Za-z0-9-]{10,16}$/.test(u.hash)
      ? u.href
      : null;
  } catch {
    if (!CODE.test(text) || !backendUrl) return null;
    return `${new URL(backendUrl).origin}/phone/#bind=${encodeURIComponent(text.replace(/[\s-]/g, '').toUpperCase())}`;
  }
}

/** The QR code of `text` as an SVG element (one path, a quiet zone of 4 modules). */
export function qrSvg(text: string): SVGSVGElement {
  const { data, size } = encode(text, { border: 4 });
  let d = '';
  data.forEach((row, y) => {
    row.forEach((dark, x) => {
      if (dark) d += `M${x} ${y}h1v1h-1z`;
    });
  });
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${size} ${size}`);
  svg.setAttribute('width', '240');
  svg.setAttribute('height', '240');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', 'QR code of the bind link');
  svg.setAttribute('data-testid', 'bind-qr');
  const bg = document.createElementNS(SVG, 'rect');
  bg.setAttribute('width', String(size));
  bg.setAttribute('height', String(size));
  bg.setAttribute('fill', '#fff');
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', d);
  path.setAttribute('fill', '#000');
  svg.append(bg, path);
  return svg;
}
