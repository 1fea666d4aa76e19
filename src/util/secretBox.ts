/**
 * Seals flow secrets (device codes, PKCE verifiers, OAuth codes) before they leave the process for a shared store,
 * with AES-256-GCM under a key from HERMES_ONBOARD_SECRET_KEY. A sealed value is bound to a context string (the
 * flow id) as additional authenticated data, so a sealed value copied into another flow's record does not open.
 *
 * Format: `v1.<iv>.<ciphertext>.<tag>`, each part base64url: a version prefix (so a later key or algorithm can be
 * told apart), a random 96-bit IV per seal (GCM's recommended size; never reused under one key in practice: 2^-32
 * collision odds only after ~2^32 seals), and the 128-bit tag.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** The environment variable holding the key. */
export const SECRET_KEY_VARIABLE = 'HERMES_ONBOARD_SECRET_KEY';

const VERSION = 'v1';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** What every key error says, so an operator can fix it without reading the code. */
const HOW_TO_MAKE_ONE =
  `make one with \`openssl rand -base64 32\` or \`node -e "console.log(require('node:crypto').randomBytes(32).toString('base64'))"\``;

/** The key setting is missing or unusable. The message names the variable and how to make a key, never the value. */
export class SecretKeyError extends Error {
  override name = 'SecretKeyError';
}

/** A sealed value did not open: tampered, sealed under another key, bound to another context, or not ours. */
export class SecretBoxError extends Error {
  override name = 'SecretBoxError';
}

/**
 * Parses a 32-byte key written as 64 hex digits or as base64 (standard or URL-safe, padding optional).
 * Throws SecretKeyError, naming `name` (the variable or flag) and how to make a key; the value is never echoed.
 */
export function parseSecretKey(text: string | undefined, name = SECRET_KEY_VARIABLE): Buffer {
  const value = text?.trim() ?? '';
  if (value === '') throw new SecretKeyError(`${name} is not set; it must be a 32-byte key in base64 or hex: ${HOW_TO_MAKE_ONE}.`);
  let key: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(value)) key = Buffer.from(value, 'hex');
  else if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) key = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (key === undefined || key.length !== KEY_BYTES) {
    const got = key === undefined ? 'it is neither base64 nor hex' : `it decodes to ${key.length} bytes`;
    throw new SecretKeyError(`${name} must be exactly 32 bytes in base64 (44 characters) or hex (64 digits), but ${got}: ${HOW_TO_MAKE_ONE}.`);
  }
  return key;
}

/** Seals and opens JSON values under one AES-256-GCM key. */
export class SecretBox {
  readonly #key: Buffer;

  /** `key`: exactly 32 bytes (see parseSecretKey); the box keeps its own copy. */
  constructor(key: Uint8Array) {
    if (key.length !== KEY_BYTES) throw new SecretKeyError(`A secret box key must be exactly ${KEY_BYTES} bytes; ${HOW_TO_MAKE_ONE}.`);
    this.#key = Buffer.from(key);
  }

  /** A box keyed from HERMES_ONBOARD_SECRET_KEY in `env`; throws SecretKeyError when it is missing or unusable. */
  static fromEnv(env: NodeJS.ProcessEnv): SecretBox {
    return new SecretBox(parseSecretKey(env[SECRET_KEY_VARIABLE]));
  }

  /** Encrypts `value` (anything JSON.stringify accepts) bound to `context` (e.g. the flow id); returns opaque text. */
  seal(value: unknown, context: string): string {
    const json = JSON.stringify(value);
    if (json === undefined) throw new TypeError('SecretBox.seal needs a JSON value');
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad(context));
    const ciphertext = Buffer.concat([cipher.update(json, 'utf8'), cipher.final()]);
    return [VERSION, iv, ciphertext, cipher.getAuthTag()].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
  }

  /** Decrypts text made by `seal` with the same key and context; throws SecretBoxError when it does not open. */
  open(sealed: string, context: string): unknown {
    const parts = sealed.split('.');
    if (parts.length !== 4 || parts[0] !== VERSION) throw new SecretBoxError('The sealed value is not in the v1 format.');
    const [iv, ciphertext, tag] = parts.slice(1).map((part) => Buffer.from(part, 'base64url'));
    if (!iv || iv.length !== IV_BYTES || !tag || tag.length !== TAG_BYTES || !ciphertext) {
      throw new SecretBoxError('The sealed value is not in the v1 format.');
    }
    const decipher = createDecipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad(context));
    decipher.setAuthTag(tag);
    let json: string;
    try {
      json = Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
    } catch {
      // GCM says only "unable to authenticate": a changed byte, another key and another context look the same.
      throw new SecretBoxError('The sealed value did not open: it was changed, sealed under another key, or belongs to another flow.');
    }
    return JSON.parse(json);
  }
}

/** The authenticated context: the format version and the caller's context, so neither can be swapped. */
function aad(context: string): Buffer {
  return Buffer.from(`hermes-onboard/${VERSION}/${context}`, 'utf8');
}
