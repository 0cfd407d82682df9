// Rules for free text people type (names, references, descriptions, filters).

/**
 * Control characters (U+0000 above all: PostgreSQL cannot store it in text and SQLite keeps it silently)
 * have no place in what we store or search; tab and line breaks stay allowed.
 */
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
export const CONTROL_CHARACTER_MESSAGE = 'must not contain control characters (such as U+0000)';
export const hasControlCharacters = (value: string): boolean => CONTROL_CHARACTERS.test(value);
