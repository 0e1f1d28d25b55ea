export * from './store.js';
export { FilesystemBlobStore } from './filesystem.js';
export { MemoryBlobStore } from './memory.js';
export * from './staging.js';
