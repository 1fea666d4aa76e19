/** Hermes home and profile resolution, done the way Hermes Agent does it (docs/api.md, Configuration and HTTP API's `profile`). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isErrno } from './atomicWrite.js';

/** Valid profile names (Hermes Agent's own rule). */
export const PROFILE_NAME_RE = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** The name of the root profile. */
export const DEFAULT_PROFILE = 'default';

/** Name Hermes Agent reports when HERMES_HOME is neither the root nor a folder under `<root>/profiles`. */
export const CUSTOM_PROFILE = 'custom';

/** A bad profile name, or a profile whose folder is missing; the message says what to do. */
export class ProfileError extends Error {
  override name = 'ProfileError';
  /** HTTP status an API answers with. */
  readonly status = 400 as const;
}

/** Where the active (or a chosen) profile lives. */
export interface HomeResolution {
  /** The Hermes root (`~/.hermes`, or a custom root derived from HERMES_HOME). */
  root: string;
  /** The profile's home: the folder holding `auth.json` and `auth.lock`. */
  home: string;
  /** `default` for the root, else the profile name. */
  profile: string;
}

/** Inputs of the resolution; every field defaults to the real process. */
export interface HomeOptions {
  /** The `--home` command-line flag; wins over HERMES_HOME. */
  homeFlag?: string;
  /** Environment to read HERMES_HOME from (defaults to process.env). */
  env?: NodeJS.ProcessEnv;
  /** The user's home folder (defaults to os.homedir()). */
  userHome?: string;
}

/** Returns `name` when it is a valid profile name; throws ProfileError otherwise (it never becomes a path). */
export function validateProfileName(name: string): string {
  if (typeof name === 'string' && PROFILE_NAME_RE.test(name)) return name;
  const shown = JSON.stringify(String(name).slice(0, 70));
  throw new ProfileError(
    `${shown} is not a valid profile name: use 1 to 64 characters, lower-case letters, digits, "-" and "_", ` +
      'starting with a letter or a digit.',
  );
}

/** Resolves the active profile: `--home`, else HERMES_HOME, else `~/.hermes` plus its sticky `active_profile` file. */
export function resolveActiveHome(opts: HomeOptions = {}): HomeResolution {
  const userHome = opts.userHome ?? os.homedir();
  const explicit = explicitHome(opts, userHome);
  if (explicit !== undefined) {
    const root = hermesRootOf(explicit, userHome);
    return { root, home: explicit, profile: profileNameOf(explicit, root) };
  }
  const root = nativeRoot(userHome);
  const name = readActiveProfile(root);
  if (name === DEFAULT_PROFILE) return { root, home: root, profile: DEFAULT_PROFILE };
  if (!PROFILE_NAME_RE.test(name)) {
    throw new ProfileError(
      `${path.join(root, 'active_profile')} names ${JSON.stringify(name.slice(0, 70))}, which is not a valid ` +
        'profile name. Run `hermes profile use default` (or write a valid profile name into that file).',
    );
  }
  return profileFolder(root, name);
}

/**
 * The Hermes root for a home (docs/api.md, Configuration): `~/.hermes` when the home lies inside it; otherwise the
 * home's grandparent when its parent is a `profiles` folder; otherwise the home itself.
 */
export function hermesRootOf(home: string, userHome: string = os.homedir()): string {
  const native = nativeRoot(userHome);
  const resolved = path.resolve(home);
  if (isWithin(resolved, native)) return native;
  const parent = path.dirname(resolved);
  if (path.basename(parent) === 'profiles') return path.dirname(parent);
  return resolved;
}

/**
 * Resolves a profile chosen by a caller: undefined → the active profile; `default` → the root;
 * another valid name → `<root>/profiles/<name>`, which must be an existing folder (ProfileError otherwise).
 */
export function resolveProfileHome(profile: string | undefined, opts: HomeOptions = {}): HomeResolution {
  if (profile === undefined) return resolveActiveHome(opts);
  validateProfileName(profile);
  const userHome = opts.userHome ?? os.homedir();
  const explicit = explicitHome(opts, userHome);
  const root = explicit === undefined ? nativeRoot(userHome) : hermesRootOf(explicit, userHome);
  if (profile === DEFAULT_PROFILE) return { root, home: root, profile: DEFAULT_PROFILE };
  return profileFolder(root, profile);
}

/** `default` followed by every folder under `<root>/profiles` with a valid name, sorted. */
export function listProfiles(root: string): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(path.join(root, 'profiles'), { withFileTypes: true });
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return [DEFAULT_PROFILE];
    throw err;
  }
  const names = entries
    .filter((e) => PROFILE_NAME_RE.test(e.name) && e.name !== DEFAULT_PROFILE)
    // a symlinked profile folder is refused when used (see profileFolder), so it is not offered either
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  return [DEFAULT_PROFILE, ...names];
}

/** The `--home` flag or HERMES_HOME as an absolute path (a leading `~` expanded), when one is set. */
function explicitHome(opts: HomeOptions, userHome: string): string | undefined {
  const raw = nonEmpty(opts.homeFlag) ?? nonEmpty((opts.env ?? process.env).HERMES_HOME);
  if (raw === undefined) return undefined;
  const expanded = raw === '~' || raw.startsWith('~/') ? path.join(userHome, raw.slice(1)) : raw;
  return path.resolve(expanded);
}

/** `~/.hermes` for this user. */
function nativeRoot(userHome: string): string {
  return path.join(path.resolve(userHome), '.hermes');
}

/** The profile name Hermes Agent derives for an explicit home under `root`. */
function profileNameOf(home: string, root: string): string {
  if (samePath(home, root)) return DEFAULT_PROFILE;
  const name = path.basename(home);
  if (samePath(path.dirname(home), path.join(root, 'profiles')) && PROFILE_NAME_RE.test(name)) return name;
  return CUSTOM_PROFILE;
}

/** Longest active_profile read: a profile name is at most 64 characters. */
const ACTIVE_PROFILE_MAX_BYTES = 4096;

/**
 * The sticky profile name in `<root>/active_profile`; `default` when the file is missing, empty or
 * unreadable (as Hermes Agent does). Read without following a link (whose target's first bytes would end
 * up in an error message) and without blocking on a FIFO (this read is synchronous): such a file is refused.
 */
function readActiveProfile(root: string): string {
  const file = path.join(root, 'active_profile');
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (err) {
    if (isErrno(err, 'ELOOP') || isErrno(err, 'EMLINK')) throw new ProfileError(refusedText(file, 'a symbolic link'));
    return DEFAULT_PROFILE;
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new ProfileError(refusedText(file, 'not a regular file'));
    const buf = Buffer.alloc(Math.min(st.size, ACTIVE_PROFILE_MAX_BYTES));
    const read = fs.readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, read).toString('utf8').trim() || DEFAULT_PROFILE;
  } catch (err) {
    if (err instanceof ProfileError) throw err;
    return DEFAULT_PROFILE;
  } finally {
    fs.closeSync(fd);
  }
}

/** Why a file or folder in the Hermes root was refused, and what to do. */
function refusedText(p: string, what: string): string {
  return (
    `Refused ${p}: it is ${what}, and hermes-onboard never follows links or reads special files in a Hermes ` +
    'root (run as root, a link made by the home\'s owner could point it at any file or home on the machine). ' +
    'Replace it with a real file or folder, then try again.'
  );
}

/**
 * `<root>/profiles/<name>`, which must exist as a real folder: a symlink is refused, and so is a folder
 * that resolves outside `<root>/profiles` (a link higher up), since a sign-in would then land in another
 * home, maybe another user's.
 */
function profileFolder(root: string, name: string): HomeResolution {
  const profiles = path.join(root, 'profiles');
  const home = path.join(profiles, name);
  let st: fs.Stats | undefined;
  try {
    st = fs.lstatSync(home);
  } catch {
    st = undefined;
  }
  if (st?.isSymbolicLink()) throw new ProfileError(refusedText(home, 'a symbolic link'));
  // the folder resolves inside the root exactly when neither it (checked above) nor `profiles` is a link: one
  // lstat, where comparing real paths cost a realpath of each (a syscall per component), at every sign-in
  if (st?.isDirectory() && isLink(profiles)) {
    throw new ProfileError(refusedText(home, `a folder that resolves outside ${root} (its profiles folder is a link)`));
  }
  if (!st?.isDirectory()) {
    throw new ProfileError(
      `Profile "${name}" does not exist: there is no folder ${home}. Create it with \`hermes profile create ${name}\`, ` +
        `or choose one of: ${safeList(root).join(', ')}.`,
    );
  }
  return { root, home, profile: name };
}

/** True when `p` is a symbolic link (false when it is missing or unreadable). */
function isLink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

/** listProfiles for an error message: never throws. */
function safeList(root: string): string[] {
  try {
    return listProfiles(root);
  } catch {
    return [DEFAULT_PROFILE];
  }
}

/** The real path when it exists, else the lexically resolved one (Python's Path.resolve()). */
function canonical(p: string): string {
  try {
    return fs.realpathSync.native(p);
  } catch {
    return path.resolve(p);
  }
}

/** True when both paths name the same place. */
function samePath(a: string, b: string): boolean {
  return path.resolve(a) === path.resolve(b) || canonical(a) === canonical(b);
}

/** True when `child` is `parent` or lies inside it (compared lexically and through symlinks). */
function isWithin(child: string, parent: string): boolean {
  const inside = (c: string, p: string) => {
    const rel = path.relative(p, c);
    return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
  };
  return inside(path.resolve(child), path.resolve(parent)) || inside(canonical(child), canonical(parent));
}

/** The trimmed string, or undefined when empty or unset. */
function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}
