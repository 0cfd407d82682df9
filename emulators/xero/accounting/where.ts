// The `where` query parameter: a small subset of the .NET dynamic-LINQ expressions Xero accepts, enough
// for the filters integrations use — `InvoiceNumber=="INV-1"`, `Contact.ContactID==guid("…")`,
// `Status=="AUTHORISED" && Type=="ACCREC"`, `Date>=DateTime(2024,01,31)`, `Name.Contains("x")`,
// `Name.ToLower()=="x"`, parentheses, `&&`/`AND`, `||`/`OR`, `!`/`NOT`.
// It is evaluated against the record's Xero JSON (serializers emit every known field, even when
// undefined), so an unknown field is a QueryParseException just as Xero reports it.

export class QueryParseError extends Error {}

type Literal =
  | { kind: 'literal'; type: 'string' | 'guid'; value: string }
  | { kind: 'literal'; type: 'number' | 'date'; value: number }
  | { kind: 'literal'; type: 'bool'; value: boolean }
  | { kind: 'literal'; type: 'null'; value: null };
type FieldRef = { kind: 'field'; path: string[]; transform?: 'ToLower' | 'ToUpper' };
type Operand = Literal | FieldRef;
type CompareOp = '==' | '!=' | '>' | '>=' | '<' | '<=';
export type WhereExpr =
  | { kind: 'and' | 'or'; left: WhereExpr; right: WhereExpr }
  | { kind: 'not'; inner: WhereExpr }
  | { kind: 'compare'; op: CompareOp; left: Operand; right: Operand }
  | { kind: 'method'; method: 'Contains' | 'StartsWith' | 'EndsWith'; target: FieldRef; arg: Operand }
  | { kind: 'truthy'; operand: Operand };

type Token = { type: 'ident' | 'string' | 'number' | 'op' | 'punct'; text: string };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const ch = source.charAt(i);
    if (/\s/.test(ch)) { i += 1; continue; }
    if (ch === '"') {
      let text = '';
      i += 1;
      while (i < source.length && source.charAt(i) !== '"') {
        if (source.charAt(i) === '\\' && i + 1 < source.length) i += 1;
        text += source.charAt(i);
        i += 1;
      }
      if (i >= source.length) throw new QueryParseError('Unterminated string literal');
      i += 1;
      tokens.push({ type: 'string', text });
      continue;
    }
    const two = source.slice(i, i + 2);
    if (['==', '!=', '>=', '<=', '&&', '||'].includes(two)) { tokens.push({ type: 'op', text: two }); i += 2; continue; }
    if ('<>!='.includes(ch)) { tokens.push({ type: 'op', text: ch === '=' ? '==' : ch }); i += 1; continue; }
    if ('(),'.includes(ch)) { tokens.push({ type: 'punct', text: ch }); i += 1; continue; }
    const number = /^-?\d+(\.\d+)?/.exec(source.slice(i));
    if (number) { tokens.push({ type: 'number', text: number[0] }); i += number[0].length; continue; }
    const ident = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(source.slice(i));
    if (ident) { tokens.push({ type: 'ident', text: ident[0] }); i += ident[0].length; continue; }
    throw new QueryParseError(`Syntax error '${ch}'`);
  }
  return tokens;
}

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): WhereExpr {
    const expr = this.parseOr();
    if (this.pos < this.tokens.length) throw new QueryParseError(`Syntax error '${this.tokens[this.pos]?.text}'`);
    return expr;
  }

  private peek(): Token | undefined { return this.tokens[this.pos]; }
  private next(): Token {
    const token = this.tokens[this.pos];
    if (!token) throw new QueryParseError('Expression expected');
    this.pos += 1;
    return token;
  }
  private expect(text: string): void {
    const token = this.next();
    if (token.text !== text) throw new QueryParseError(`'${text}' expected`);
  }
  private isWord(word: string): boolean {
    const token = this.peek();
    return token?.type === 'ident' && token.text.toUpperCase() === word;
  }

  private parseOr(): WhereExpr {
    let left = this.parseAnd();
    while (this.peek()?.text === '||' || this.isWord('OR')) {
      this.next();
      left = { kind: 'or', left, right: this.parseAnd() };
    }
    return left;
  }

  private parseAnd(): WhereExpr {
    let left = this.parseUnary();
    while (this.peek()?.text === '&&' || this.isWord('AND')) {
      this.next();
      left = { kind: 'and', left, right: this.parseUnary() };
    }
    return left;
  }

  private parseUnary(): WhereExpr {
    if (this.peek()?.text === '!' || this.isWord('NOT')) {
      this.next();
      return { kind: 'not', inner: this.parseUnary() };
    }
    if (this.peek()?.text === '(') {
      this.next();
      const inner = this.parseOr();
      this.expect(')');
      return inner;
    }
    return this.parseComparison();
  }

  private parseComparison(): WhereExpr {
    const left = this.parseOperand();
    if (left.kind === 'field' && this.pendingMethod) {
      const method = this.pendingMethod;
      this.pendingMethod = undefined;
      const arg = this.parseOperand();
      this.expect(')');
      return { kind: 'method', method, target: left, arg };
    }
    const op = this.peek();
    if (op?.type === 'op' && ['==', '!=', '>', '>=', '<', '<='].includes(op.text)) {
      this.next();
      return { kind: 'compare', op: op.text as CompareOp, left, right: this.parseOperand() };
    }
    return { kind: 'truthy', operand: left };
  }

  private pendingMethod: 'Contains' | 'StartsWith' | 'EndsWith' | undefined;

  private parseOperand(): Operand {
    const token = this.next();
    if (token.type === 'string') return { kind: 'literal', type: 'string', value: token.text };
    if (token.type === 'number') return { kind: 'literal', type: 'number', value: Number(token.text) };
    if (token.type !== 'ident') throw new QueryParseError(`Syntax error '${token.text}'`);
    const upper = token.text.toUpperCase();
    if (upper === 'TRUE' || upper === 'FALSE') return { kind: 'literal', type: 'bool', value: upper === 'TRUE' };
    if (upper === 'NULL') return { kind: 'literal', type: 'null', value: null };
    if (this.peek()?.text === '(') {
      this.next();
      if (upper === 'GUID') {
        const value = this.next();
        this.expect(')');
        return { kind: 'literal', type: 'guid', value: value.text.toLowerCase() };
      }
      if (upper === 'DATETIME' || upper === 'DATE') {
        const parts: number[] = [];
        while (this.peek()?.text !== ')') {
          const part = this.next();
          if (part.text === ',') continue;
          if (part.type === 'string') {
            const parsed = Date.parse(part.text.endsWith('Z') ? part.text : `${part.text}Z`);
            if (Number.isNaN(parsed)) throw new QueryParseError(`Invalid date '${part.text}'`);
            parts.push(parsed);
            continue;
          }
          parts.push(Number(part.text));
        }
        this.expect(')');
        if (parts.length === 1) return { kind: 'literal', type: 'date', value: parts[0] ?? 0 };
        const [y = 0, mo = 1, d = 1, h = 0, mi = 0, s = 0] = parts;
        return { kind: 'literal', type: 'date', value: Date.UTC(y, mo - 1, d, h, mi, s) };
      }
      // Field.Method(...): the identifier's last segment is the method name.
      const segments = token.text.split('.');
      const method = segments.pop() ?? '';
      if (method === 'ToLower' || method === 'ToUpper') {
        this.expect(')');
        return { kind: 'field', path: segments, transform: method };
      }
      if (method === 'Contains' || method === 'StartsWith' || method === 'EndsWith') {
        this.pendingMethod = method;
        return { kind: 'field', path: segments };
      }
      throw new QueryParseError(`No applicable method '${method}' exists`);
    }
    return { kind: 'field', path: token.text.split('.') };
  }
}

export function parseWhere(source: string): WhereExpr {
  return new Parser(tokenize(source)).parse();
}

const MS_DATE = /^\/Date\((-?\d+)([+-]\d{4})?\)\/$/;

function lookup(record: Record<string, unknown>, path: string[], typeName: string): unknown {
  let current: unknown = record;
  let owner = typeName;
  for (const segment of path) {
    if (current === undefined || current === null) return undefined;
    if (typeof current !== 'object') throw new QueryParseError(`No property or field '${segment}' exists in type '${owner}'`);
    const key = Object.keys(current).find((k) => k.toLowerCase() === segment.toLowerCase());
    if (key === undefined) throw new QueryParseError(`No property or field '${segment}' exists in type '${owner}'`);
    current = (current as Record<string, unknown>)[key];
    owner = segment;
  }
  return current;
}

type Value = string | number | boolean | null;

function resolve(operand: Operand, record: Record<string, unknown>, typeName: string): Value {
  if (operand.kind === 'literal') return operand.value;
  let value = lookup(record, operand.path, typeName);
  if (typeof value === 'string') {
    const ms = MS_DATE.exec(value);
    if (ms) value = Number(ms[1]);
    else if (operand.transform === 'ToLower') value = (value as string).toLowerCase();
    else if (operand.transform === 'ToUpper') value = (value as string).toUpperCase();
  }
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return JSON.stringify(value);
}

function compare(op: CompareOp, left: Value, right: Value): boolean {
  if (left === null || right === null) {
    if (op === '==') return left === right;
    if (op === '!=') return left !== right;
    return false;
  }
  let a: Value = left;
  let b: Value = right;
  // String equality is case-insensitive, as Xero's database collation makes it.
  if (typeof a === 'string' && typeof b === 'string') { a = a.toLowerCase(); b = b.toLowerCase(); }
  if (typeof a === 'string' && typeof b === 'number') a = Number(a);
  if (typeof a === 'number' && typeof b === 'string') b = Number(b);
  switch (op) {
    case '==': return a === b;
    case '!=': return a !== b;
    case '>': return a > b;
    case '>=': return a >= b;
    case '<': return a < b;
    case '<=': return a <= b;
  }
}

export function evaluateWhere(expr: WhereExpr, record: Record<string, unknown>, typeName: string): boolean {
  switch (expr.kind) {
    case 'and': return evaluateWhere(expr.left, record, typeName) && evaluateWhere(expr.right, record, typeName);
    case 'or': return evaluateWhere(expr.left, record, typeName) || evaluateWhere(expr.right, record, typeName);
    case 'not': return !evaluateWhere(expr.inner, record, typeName);
    case 'compare': return compare(expr.op, resolve(expr.left, record, typeName), resolve(expr.right, record, typeName));
    case 'truthy': return resolve(expr.operand, record, typeName) === true;
    case 'method': {
      const target = resolve(expr.target, record, typeName);
      const arg = resolve(expr.arg, record, typeName);
      if (typeof target !== 'string' || typeof arg !== 'string') return false;
      const t = target.toLowerCase();
      const a = arg.toLowerCase();
      if (expr.method === 'Contains') return t.includes(a);
      if (expr.method === 'StartsWith') return t.startsWith(a);
      return t.endsWith(a);
    }
  }
}

/** Filter records by a where clause; throws QueryParseError on a bad expression or unknown field. */
export function filterWhere<T>(items: T[], where: string | undefined, view: (item: T) => Record<string, unknown>, typeName: string): T[] {
  if (!where || where.trim() === '') return items;
  const expr = parseWhere(where);
  return items.filter((item) => evaluateWhere(expr, view(item), typeName));
}
