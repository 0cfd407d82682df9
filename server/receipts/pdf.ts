// Draws a Receipt (model.ts) as an A4 PDF with pdfkit and its built-in Helvetica: no fonts to ship or
// fetch. Streams are left uncompressed (a receipt is a few kilobytes) so its text can be read back, and
// the document is dated with the sale, so the same receipt makes the same bytes.
import PDFDocument from 'pdfkit';
import { formatMinor } from '../domain/money';
import type { Receipt } from './model';

const MARGIN = 50;
const WIDTH = 595.28 - 2 * MARGIN;

interface Column { label: string; width: number; align: 'left' | 'right' }

function row(doc: PDFKit.PDFDocument, columns: readonly Column[], cells: readonly string[], bold = false): void {
  const top = doc.y;
  let x = MARGIN;
  let bottom = top;
  doc.font(bold ? 'Helvetica-Bold' : 'Helvetica');
  columns.forEach((column, i) => {
    doc.text(cells[i] ?? '', x, top, { width: column.width - 6, align: column.align });
    bottom = Math.max(bottom, doc.y);
    x += column.width;
  });
  doc.x = MARGIN;
  doc.y = bottom + 3;
}

function heading(doc: PDFKit.PDFDocument, text: string): void {
  doc.moveDown(0.8).font('Helvetica-Bold').fontSize(12).text(text, MARGIN, doc.y).fontSize(10).moveDown(0.3);
}

export function renderReceiptPdf(receipt: Receipt, createdAt: Date): Promise<Buffer> {
  const money = (minor: number): string => formatMinor(minor, receipt.currency);
  const doc = new PDFDocument({ size: 'A4', margin: MARGIN, compress: false, info: { Title: receipt.title, Author: receipt.business, CreationDate: createdAt, ModDate: createdAt } });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  doc.font('Helvetica-Bold').fontSize(18).text(receipt.business);
  doc.font('Helvetica').fontSize(10).moveDown(0.3);
  doc.text(receipt.title);
  doc.text(`Date: ${receipt.day}`);
  if (receipt.serviceDate) doc.text(`Service date: ${receipt.serviceDate}`);
  doc.text(`Currency: ${receipt.currency}`);

  heading(doc, 'Customer');
  doc.font('Helvetica').text(receipt.customer.name);
  if (receipt.customer.email) doc.text(receipt.customer.email);

  heading(doc, 'Lines');
  const lineColumns: Column[] = [
    { label: 'Description', width: WIDTH * 0.36, align: 'left' }, { label: 'Qty', width: WIDTH * 0.08, align: 'right' },
    { label: 'Unit price', width: WIDTH * 0.14, align: 'right' }, { label: 'Discount', width: WIDTH * 0.1, align: 'right' },
    { label: 'VAT rate', width: WIDTH * 0.18, align: 'left' }, { label: 'Amount', width: WIDTH * 0.14, align: 'right' },
  ];
  row(doc, lineColumns, lineColumns.map((c) => c.label), true);
  for (const line of receipt.lines) {
    row(doc, lineColumns, [line.description, line.quantity, money(line.unitPriceMinor), line.discountRate ? `${line.discountRate}%` : '', line.rate ?? 'not stated', money(line.totalMinor)]);
  }

  heading(doc, 'VAT by rate (prices include VAT)');
  const vatColumns: Column[] = [
    { label: 'Rate', width: WIDTH * 0.4, align: 'left' }, { label: 'Net', width: WIDTH * 0.2, align: 'right' },
    { label: 'VAT', width: WIDTH * 0.2, align: 'right' }, { label: 'Gross', width: WIDTH * 0.2, align: 'right' },
  ];
  row(doc, vatColumns, vatColumns.map((c) => c.label), true);
  for (const rate of receipt.vat) row(doc, vatColumns, [`${rate.name} (${rate.ratePercent}%)`, money(rate.netMinor), money(rate.vatMinor), money(rate.grossMinor)]);
  if (receipt.vatNotStatedMinor !== 0) row(doc, vatColumns, ['VAT not stated', '', '', money(receipt.vatNotStatedMinor)]);

  heading(doc, 'Payments');
  const moneyColumns: Column[] = [{ label: 'Date', width: WIDTH * 0.25, align: 'left' }, { label: 'How', width: WIDTH * 0.5, align: 'left' }, { label: 'Amount', width: WIDTH * 0.25, align: 'right' }];
  if (receipt.payments.length === 0) doc.font('Helvetica').text('None yet.');
  for (const p of receipt.payments) row(doc, moneyColumns, [p.day, p.label, money(p.amountMinor)]);
  if (receipt.refunds.length) {
    heading(doc, 'Refunds');
    for (const r of receipt.refunds) row(doc, moneyColumns, [r.day, r.label, money(r.amountMinor)]);
  }

  heading(doc, 'Totals');
  const totalColumns: Column[] = [{ label: '', width: WIDTH * 0.75, align: 'left' }, { label: '', width: WIDTH * 0.25, align: 'right' }];
  const { totals } = receipt;
  row(doc, totalColumns, ['Net', money(totals.netMinor)]);
  row(doc, totalColumns, ['VAT', money(totals.vatMinor)]);
  row(doc, totalColumns, [`Total (${receipt.currency})`, money(totals.totalMinor)], true);
  row(doc, totalColumns, ['Paid', money(totals.paidMinor)]);
  if (totals.refundedMinor) row(doc, totalColumns, ['Refunded', money(totals.refundedMinor)]);
  row(doc, totalColumns, ['Still to pay', money(totals.dueMinor)], true);

  doc.end();
  return done;
}
