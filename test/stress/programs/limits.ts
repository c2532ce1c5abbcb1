// Sizes of the stress programs' maps, fixed when the module loads (a program's maps are declared
// once): enough for the long form; the short form uses a part of them.
export const HASH_LIMITS = {
  /** Keys in play: 4096 over all CPUs. HASH and PERCPU_HASH hold exactly that many; LRU gets 4x room so it never has to evict. */
  keys: 4096,
  maxEntries: { hash: 4096, percpu_hash: 4096, lru_hash: 16384 } as Record<string, number>,
  /** Operations per CPU (one log byte each): 10 million over 2 CPUs. */
  maxOpsPerCpu: 5_000_000,
  maxCpus: 8,
};
