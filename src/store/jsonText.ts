/**
 * JSON for files shared with Hermes Agent (Python), kept exact: Python reads `9223372036854775807` as an
 * int and `1.0` as a float, where JavaScript numbers would round the first and turn the second into `1`.
 * Numbers whose text a JavaScript number would not write back identically are kept as their text
 * (lossless-json's LosslessNumber) and written back unchanged; every other number is a plain number, so
 * code reading known fields (`priority`, `expires_at`) sees numbers.
 */
import { isLosslessNumber, LosslessNumber, parse, stringify } from 'lossless-json';

/**
 * Deepest nesting read. Python's json gives up near 1000 levels (its recursion limit), so nothing Hermes
 * Agent can read is refused; deeper text is refused before any recursive code sees it.
 */
export const MAX_JSON_DEPTH = 512;

/** The text nests deeper than MAX_JSON_DEPTH. */
export class JsonTooDeepError extends Error {
  override name = 'JsonTooDeepError';
}

/** Parses JSON text, keeping numbers exact; a repeated key keeps its last value (as JSON.parse and Python do). */
export function parseJson(text: string): unknown {
  if (nestingDepth(text) > MAX_JSON_DEPTH) throw new JsonTooDeepError(`JSON nested more than ${MAX_JSON_DEPTH} levels deep`);
  return parse(text, null, {
    parseNumber: (digits) => (String(Number(digits)) === digits ? Number(digits) : new LosslessNumber(digits)),
    onDuplicateKey: ({ newValue }) => newValue,
  });
}

/** Writes a value parsed by parseJson back as JSON, numbers kept as they were read. */
export function stringifyJson(value: unknown, indent?: number): string {
  const text = stringify(value, null, indent);
  if (text === undefined) throw new TypeError('value has no JSON form');
  return text;
}

/** A deep copy of a value parsed by parseJson (structuredClone would strip LosslessNumber's class). */
export function cloneJson<T>(value: T): T {
  if (isLosslessNumber(value) || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item: unknown) => cloneJson(item)) as T;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    // defineProperty: a "__proto__" key stays a key, as in the parsed value
    Object.defineProperty(copy, key, { value: cloneJson(item), enumerable: true, writable: true, configurable: true });
  }
  return copy as T;
}

/** How deeply `text` nests arrays and objects (brackets inside strings do not count); linear, no recursion. */
export function nestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > max) max = depth;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return max;
}

/**
 * The numeric value of a field read by parseJson: a plain number, or a LosslessNumber (a big integer, or a
 * float Python wrote as `1.0`) as the nearest JavaScript number. Anything else is undefined. Readers of
 * auth.json use this instead of `typeof x === 'number'`, which a LosslessNumber fails.
 */
export function jsonNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (isLosslessNumber(value)) return Number(value.value);
  return undefined;
}
