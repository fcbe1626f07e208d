import { MemoryPresenceStore } from '../../src/index.js';
import { describePresenceStoreContract } from './presence-store-contract.js';

describePresenceStoreContract('MemoryPresenceStore', () => Promise.resolve(new MemoryPresenceStore()));
