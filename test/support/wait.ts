// Small helpers the e2e tests share: wait for a condition (never a fixed sleep), and a London calendar day.

/** Polls `read` every 50 ms until it gives a value, or fails naming `what` after `timeoutMs`. */
export async function until<T>(what: string, read: () => Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** YYYY-MM-DD in London at `ms` (the test organisations' time zone). */
export const londonDay = (ms: number): string =>
  new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(ms));
