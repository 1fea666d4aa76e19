/** The Hermes credential store: home/profile resolution, auth.json under lock, credential-pool helpers. */
export * from './home.js';
export * from './authStore.js';
export * from './pool.js';
export * from './storeError.js';
export { UnsafeFileError } from './safeOpen.js';
export { StoreWriteError } from './atomicWrite.js';
