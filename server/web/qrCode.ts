import QRCode from 'qrcode';

/**
 * A QR code as a `data:` SVG image: drawn on the server, so the page needs no script, and shown with
 * <img> (the CSP allows data: images; an inline <svg> would need its own accessible name handling).
 */
export async function qrCodeDataUrl(text: string): Promise<string> {
  const svg = await QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2, width: 200 });
  return `data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')}`;
}
