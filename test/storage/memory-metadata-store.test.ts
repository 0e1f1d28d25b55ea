import { MemoryMetadataStore } from '../../src/storage/metadata/memory.js';
import { describeMetadataStore } from './metadata-store-suite.js';

describeMetadataStore('MemoryMetadataStore', async () => ({ store: new MemoryMetadataStore(), cleanup: async () => {} }));
