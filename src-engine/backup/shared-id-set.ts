/**
 * A fixed-size hash set of blob ids in shared memory, so chunk workers decide "is this chunk new?" among
 * themselves with one atomic compare-and-swap instead of a message round trip to the main thread. Exactly
 * one thread wins the claim for a new id and stores the blob; every other thread sees it present.
 *
 * Layout: Int32 state per slot (0 empty, 1 being written, 2 full) followed by 16 bytes of id per slot.
 * Ids are HMAC outputs, uniformly random, so their first 16 bytes identify them and index the table.
 */
const KEY_BYTES = 16;
const EMPTY = 0;
const WRITING = 1;
const FULL = 2;

export class SharedIdSet {
  private readonly states: Int32Array;
  private readonly keys: Uint8Array;

  private constructor(
    readonly buffer: SharedArrayBuffer,
    readonly capacity: number,
  ) {
    this.states = new Int32Array(buffer, 0, capacity);
    this.keys = new Uint8Array(buffer, capacity * 4, capacity * KEY_BYTES);
  }

  /** Room for `expected` ids at most half full, so probes stay short. */
  static create(expected: number): SharedIdSet {
    const capacity = Math.max(1024, Math.ceil(expected * 2));
    return new SharedIdSet(new SharedArrayBuffer(capacity * (4 + KEY_BYTES)), capacity);
  }

  static attach(buffer: SharedArrayBuffer, capacity: number): SharedIdSet {
    return new SharedIdSet(buffer, capacity);
  }

  /** True when this call added the id (the caller must store the blob); false when it was there already. */
  claim(id: Uint8Array): boolean {
    const { states, keys, capacity } = this;
    let i = ((id[0]! | (id[1]! << 8) | (id[2]! << 16) | (id[3]! << 24)) >>> 0) % capacity;
    for (let probes = 0; probes < capacity; probes++) {
      let st = Atomics.load(states, i);
      if (st === EMPTY) {
        if (Atomics.compareExchange(states, i, EMPTY, WRITING) === EMPTY) {
          keys.set(id.subarray(0, KEY_BYTES), i * KEY_BYTES);
          Atomics.store(states, i, FULL);
          Atomics.notify(states, i);
          return true;
        }
        st = Atomics.load(states, i);
      }
      // Another thread is writing this slot's id: wait the few instructions it takes.
      while (st === WRITING) {
        Atomics.wait(states, i, WRITING, 1);
        st = Atomics.load(states, i);
      }
      let same = true;
      const base = i * KEY_BYTES;
      for (let k = 0; k < KEY_BYTES; k++) {
        if (keys[base + k] !== id[k]) {
          same = false;
          break;
        }
      }
      if (same) return false;
      i = i + 1 === capacity ? 0 : i + 1;
    }
    throw new Error('blob id table is full');
  }
}
