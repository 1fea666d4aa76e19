/** Draws a QR code onto a canvas with the bundled `qrcode` encoder: no network, no image service. */
import { create } from 'qrcode';

/** Modules of quiet zone around the symbol, as scanners expect. */
const QUIET_ZONE = 3;

/**
 * Renders `text` as a QR code, dark on white in every colour scheme (scanners want that), sized so each
 * module is a whole number of device pixels for a crisp symbol of about `cssSize` CSS pixels.
 */
export function drawQr(canvas: HTMLCanvasElement, text: string, cssSize = 184): void {
  const { modules } = create(text, { errorCorrectionLevel: 'M' });
  const count = modules.size + QUIET_ZONE * 2;
  const scale = Math.max(2, Math.round((cssSize * (window.devicePixelRatio || 1)) / count));
  const side = count * scale;
  canvas.width = side;
  canvas.height = side;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, side, side);
  ctx.fillStyle = '#0b0d12';
  for (let row = 0; row < modules.size; row++) {
    for (let col = 0; col < modules.size; col++) {
      if (modules.data[row * modules.size + col]) {
        ctx.fillRect((col + QUIET_ZONE) * scale, (row + QUIET_ZONE) * scale, scale, scale);
      }
    }
  }
}
