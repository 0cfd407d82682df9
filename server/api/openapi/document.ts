// The OpenAPI 3.1 document of /api/v1, served at /api/v1/openapi.json. Requests are described by the very
// zod schemas that validate them (server/domain/saleSchemas.ts, through z.toJSONSchema), responses by
// viewSchemas.ts (checked against the view types at compile time), so the document follows the code.
// test/support/apiContract.ts validates every response of the e2e API tests against it.
import { z } from 'zod';
import { CUSTOMER_CREDIT_METHOD } from '../../domain/customerCredit';
import { paymentInputSchema, refundInputSchema, saleInputSchema, SaleListQuerySchema } from '../../domain/saleSchemas';
import { IDEMPOTENCY_HEADER, REPLAYED_HEADER } from '../idempotency';
import { API_BODY_LIMIT } from '../router';
import {
  ApiErrorSchema, FieldIssueSchema, PaymentResultSchema, PaymentViewSchema, RefundResultSchema, RefundViewSchema,
  SaleLineViewSchema, SalePageSchema, SaleViewSchema, SyncRecordViewSchema,
} from './viewSchemas';

export type JsonSchema = Record<string, unknown>;
export type OpenApiDocument = Record<string, unknown> & {
  openapi: string;
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, JsonSchema>; securitySchemes?: Record<string, unknown> };
};

export const OPENAPI_PATH = '/openapi.json';
/** The version of this document's API (/api/v1); the package version says nothing about the API. */
export const API_VERSION = '1.0.0';
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** Named schemas with `$ref`s between them; JSON Schema's own `$schema`/`$id` do not belong in a component. */
function componentSchemas(entries: Record<string, z.ZodType>, io: 'input' | 'output'): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(entries)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { io, uri: (id) => `#/components/schemas/${id}`, unrepresentable: 'any' });
  return Object.fromEntries(Object.entries(schemas).map(([id, schema]) => {
    const { $schema: _schema, $id: _id, ...rest } = schema as JsonSchema;
    return [id, rest];
  }));
}

const jsonBody = (schemaRef: JsonSchema, description: string) => ({ description, content: { 'application/json': { schema: schemaRef } } });
const errorResponse = (description: string) => jsonBody(ref('Error'), description);

/** The errors any route can answer, by status. */
const COMMON_ERRORS = {
  '401': errorResponse('UNAUTHORIZED: no bearer token, or one that is unknown, revoked or expired.'),
  '403': errorResponse("FORBIDDEN: the token's role may not do this."),
  '500': errorResponse('INTERNAL_ERROR: logged on the server; the answer carries no internals.'),
};
const WRITE_ERRORS = {
  '400': errorResponse('INVALID_JSON (the body does not parse) or JSON_TOO_DEEP (nested more than 16 levels).'),
  '413': errorResponse(`PAYLOAD_TOO_LARGE: the body is larger than ${API_BODY_LIMIT.toUpperCase()}.`),
  '415': errorResponse('UNSUPPORTED_MEDIA_TYPE: a POST must be Content-Type: application/json (UTF-8).'),
  '422': errorResponse(`VALIDATION_FAILED, with every problem in \`details\` (FieldIssue list: invalid fields, more than is left to refund or owed, …); or IDEMPOTENCY_KEY_REUSED: the ${IDEMPOTENCY_HEADER} was used for a different request.`),
};
const SALE_ERRORS = { '404': errorResponse('NOT_FOUND: no such sale in the organisation of the token.') };

const saleId = {
  name: 'id', in: 'path', required: true,
  description: "The sale's id; a sale of another organisation is not found.",
  schema: { type: 'string', pattern: '^[1-9][0-9]{0,14}$' },
};
const idempotencyKey = {
  name: IDEMPOTENCY_HEADER, in: 'header', required: false,
  description: 'Send one (a UUID is ideal) to make a retry safe: the same key with the same method, path and body answers the first answer again, '
    + `with ${REPLAYED_HEADER}: true, and changes nothing; the same key with another request is 422 IDEMPOTENCY_KEY_REUSED. `
    + 'A request that failed stored nothing, so its key may be used again. Answers are kept API_IDEMPOTENCY_TTL_HOURS (24 by default).',
  schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$' },
};
const replayedHeader = {
  [REPLAYED_HEADER]: { description: `\`true\` when this is the stored answer to an earlier request with the same ${IDEMPOTENCY_HEADER}.`, schema: { type: 'string', enum: ['true'] } },
};
/** One example request per POST, in the host's own payment methods (cash, card_terminal) every install has. */
export const REQUEST_EXAMPLES = {
  sale: {
    reference: 'BOOK-1001',
    occurredAt: '2026-05-01T14:30:00Z',
    currency: 'GBP',
    customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
    lines: [
      { description: 'Climbing session', quantity: '2', unitPrice: '12.50', category: 'sessions', taxCode: 'OUTPUT2' },
      { description: 'Shoe hire', quantity: 1, unitPrice: '4.00', discountRate: '50' },
    ],
    payments: [{ method: 'card_terminal', amount: '27.00', providerRef: 'term-4471' }],
  },
  refund: { kind: 'amount', amount: '12.50', method: 'card_terminal', reason: 'Session cancelled' },
  payment: { method: 'cash', amount: '10.00', receivedAt: '2026-05-01T15:00:00Z' },
} as const;

const requestBody = (name: string, example: object) => ({
  required: true,
  content: { 'application/json': { schema: ref(name), examples: { [name]: { value: example } } } },
});

const created = (name: string, description: string) => ({ ...jsonBody(ref(name), description), headers: replayedHeader });

/** The query string's parameters, from the schema that validates them. */
function queryParameters(): JsonSchema[] {
  const query = z.toJSONSchema(SaleListQuerySchema, { io: 'input' }) as { properties: Record<string, JsonSchema> };
  const descriptions: Record<string, string> = {
    limit: 'Sales per page, 1 to 100 (25 by default).',
    cursor: 'The `nextCursor` of the previous page.',
    status: 'Only sales in this state.',
    from: 'Only sales that occurred at or after this date (midnight UTC) or date-time.',
    to: 'Only sales that occurred before this date (midnight UTC) or date-time.',
    reference: "Only the sale with this reference (the booking system's own).",
    q: "Search customer name, email and reference (case-insensitive, part of the text).",
  };
  return Object.entries(query.properties).map(([name, schema]) => ({ name, in: 'query', required: false, description: descriptions[name], schema }));
}

/** The document for an install: its payment methods are the ones a request may name. */
export function buildOpenApiDocument(opts: { paymentMethods: readonly string[] }): OpenApiDocument {
  const methods = opts.paymentMethods;
  // The currency and clock only parametrise checks zod cannot express in JSON Schema (a refund in the sale's
  // currency, no sale in the future); the shapes are the same for any value.
  const requests = componentSchemas({
    // A sale's payments, like a later payment, may come from the customer's credit.
    SaleRequest: saleInputSchema(null, [...methods, CUSTOMER_CREDIT_METHOD], Date.now()),
    RefundRequest: refundInputSchema('GBP', methods),
    // A payment may also come from the customer's credit (their earlier overpayments).
    PaymentRequest: paymentInputSchema('GBP', [...methods, CUSTOMER_CREDIT_METHOD], Date.now()),
  }, 'input');
  const responses = componentSchemas({
    Sale: SaleViewSchema, SaleLine: SaleLineViewSchema, Payment: PaymentViewSchema, Refund: RefundViewSchema,
    SyncRecord: SyncRecordViewSchema, SalePage: SalePageSchema, RefundResult: RefundResultSchema,
    PaymentResult: PaymentResultSchema, Error: ApiErrorSchema, FieldIssue: FieldIssueSchema,
  }, 'output');

  return {
    openapi: '3.1.0',
    info: {
      title: 'Ledgerbridge booking API',
      version: API_VERSION,
      description: 'Sales, refunds and payments of a booking system. Each reaches the installed integrations (Xero, …) '
        + 'exactly once through the outbox. Amounts are decimal strings in the sale\'s currency; a refund or payment is always '
        + 'in its sale\'s currency. Every error is JSON: `{ "error": { "code", "message", "help"?, "details"? } }`.',
    },
    servers: [{ url: '/api/v1' }],
    security: [{ bearerToken: [] }],
    tags: [{ name: 'sales' }, { name: 'meta' }],
    paths: {
      '/sales': {
        post: {
          tags: ['sales'], operationId: 'createSale', summary: 'Record a sale (admin, staff)',
          description: "A payment of `payments` with method `customer_credit` pays from the customer's credit (their earlier overpayments, "
            + "`sale.customerCredit`), in the sale's currency only, as on `POST /sales/{id}/payments`: 422 on `payments.N.method` when the "
            + 'customer has none in it, on `payments.N.amount` when it is short; nothing is recorded then.',
          parameters: [idempotencyKey],
          requestBody: requestBody('SaleRequest', REQUEST_EXAMPLES.sale),
          responses: {
            '201': created('Sale', 'The sale as recorded.'),
            '409': errorResponse('SALE_REFERENCE_TAKEN (another sale has this reference) or PAYMENT_PROVIDER_REF_TAKEN (a payment with this method and provider reference is already recorded); `details` names the other record.'),
            ...WRITE_ERRORS, ...COMMON_ERRORS,
          },
        },
        get: {
          tags: ['sales'], operationId: 'listSales', summary: 'List sales, newest first (any role)',
          parameters: queryParameters(),
          responses: {
            '200': jsonBody(ref('SalePage'), 'A page of sales.'),
            '422': errorResponse('VALIDATION_FAILED: a query parameter is invalid (each in `details`).'),
            ...COMMON_ERRORS,
          },
        },
      },
      '/sales/{id}': {
        get: {
          tags: ['sales'], operationId: 'getSale', summary: 'One sale with its lines, payments, refunds and downstream records (any role)',
          parameters: [saleId],
          responses: { '200': jsonBody(ref('Sale'), 'The sale.'), ...SALE_ERRORS, ...COMMON_ERRORS },
        },
      },
      '/sales/{id}/refunds': {
        post: {
          tags: ['sales'], operationId: 'refundSale', summary: 'Refund all of a sale, an amount, or lines (admin, staff)',
          parameters: [saleId, idempotencyKey],
          requestBody: requestBody('RefundRequest', REQUEST_EXAMPLES.refund),
          responses: {
            '201': created('RefundResult', 'The refund and its sale afterwards.'),
            '409': errorResponse('REFUND_PROVIDER_REF_TAKEN: a refund with this method and provider reference is already recorded; `details` names it.'),
            ...SALE_ERRORS, ...WRITE_ERRORS, ...COMMON_ERRORS,
          },
        },
      },
      '/sales/{id}/payments': {
        post: {
          tags: ['sales'], operationId: 'recordPayment', summary: 'Record a payment on a sale (admin, staff)',
          description: "A payment above what the sale still owes pays it in full; the excess is kept as the customer's credit "
            + '(`payment.toCredit`, `sale.customerCredit`). Method `customer_credit` pays from that credit, in the sale\'s currency only '
            + '(422 on `method` when the customer has none in it, on `amount` when it is short or more than is outstanding).',
          parameters: [saleId, idempotencyKey],
          requestBody: requestBody('PaymentRequest', REQUEST_EXAMPLES.payment),
          responses: {
            '201': created('PaymentResult', 'The payment and its sale afterwards.'),
            '200': created('PaymentResult', 'This method and provider reference were already recorded on this sale: that payment, nothing new.'),
            '409': errorResponse('PAYMENT_PROVIDER_REF_TAKEN: this method and provider reference are recorded on another sale or for another amount; `details` names that payment.'),
            ...SALE_ERRORS, ...WRITE_ERRORS, ...COMMON_ERRORS,
          },
        },
      },
      [OPENAPI_PATH]: {
        get: {
          tags: ['meta'], operationId: 'getOpenApiDocument', summary: 'This document (no token needed)',
          security: [],
          responses: { '200': { description: 'The OpenAPI 3.1 document.', content: { 'application/json': { schema: { type: 'object' } } } } },
        },
      },
    },
    components: {
      securitySchemes: {
        bearerToken: {
          type: 'http', scheme: 'bearer',
          description: 'An API token: `Authorization: Bearer <token>`. Admins create them on the Users page or with '
            + '`npm run cli -- token:create --role <admin|staff|accountant> --name <label>`. A token acts for one organisation with its role.',
        },
      },
      schemas: { ...requests, ...responses },
    },
  };
}
