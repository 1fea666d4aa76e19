/** The environment benchmark child processes run with. */

/**
 * The caller's environment without any HERMES_* setting or proxy (which could point the server at
 * another home, a token, or send loopback traffic elsewhere), plus `extra`.
 */
export function benchEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('HERMES_') && !/_proxy$/i.test(key)) env[key] = value;
  }
  return { ...env, NO_PROXY: '127.0.0.1,localhost', ...extra };
}
