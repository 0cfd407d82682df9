// All organisations' books, keyed by tenantId (= OrganisationID), with snapshot/restore.
import type { TenantSummary } from '../contracts';
import { newId } from './ids';
import { bookToData, dataToBook, type Book, type BookData } from './model';
import { buildBook, defaultBooks } from './seed';

export const SNAPSHOT_VERSION = 1;

export interface AccountingSnapshot { version: number; books: BookData[] }

export class BookStore {
  private books = new Map<string, Book>();

  constructor(private readonly now: () => number) {
    this.reset();
  }

  reset(): void {
    this.books = new Map(defaultBooks(this.now()).map((book) => [book.organisation.OrganisationID, book]));
  }

  get(tenantId: string): Book | undefined {
    return this.books.get(tenantId.toLowerCase());
  }

  all(): Book[] {
    return [...this.books.values()];
  }

  add(input: { name: string; baseCurrency: string; countryCode?: string }): Book {
    const book = buildBook({ id: newId(), name: input.name, baseCurrency: input.baseCurrency.toUpperCase(), countryCode: (input.countryCode ?? 'GB').toUpperCase() }, this.now());
    this.books.set(book.organisation.OrganisationID, book);
    return book;
  }

  snapshot(): AccountingSnapshot {
    return { version: SNAPSHOT_VERSION, books: this.all().map(bookToData) };
  }

  restore(data: unknown): void {
    const snapshot = data as Partial<AccountingSnapshot> | null;
    if (!snapshot || snapshot.version !== SNAPSHOT_VERSION || !Array.isArray(snapshot.books)) {
      throw new Error(`Unsupported accounting snapshot (expected version ${SNAPSHOT_VERSION})`);
    }
    this.books = new Map(snapshot.books.map((bookData) => {
      const book = dataToBook(bookData);
      return [book.organisation.OrganisationID, book];
    }));
  }
}

export function tenantSummary(book: Book): TenantSummary {
  const org = book.organisation;
  return { tenantId: org.OrganisationID, name: org.Name, shortCode: org.ShortCode, baseCurrency: org.BaseCurrency, countryCode: org.CountryCode, tenantType: 'ORGANISATION' };
}
