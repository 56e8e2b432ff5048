/**
 * Data that stays in the CPU kernels' memory from call to call: the packed panels of weights (kept
 * tensors), made and copied in once, below the scratch area each op lays its operands out in.
 * Copying a weight's panels in on every call cost more than some of the products (an S0 image
 * forward copied 38 MB of them; a text forward at batch 1, 150 MB).
 *
 * Where the memory is shared (so growing it never detaches a view), tensors' arrays are blocks here
 * too (WasmKernels.tensorArray): the kernels then read and write them in place.
 *
 * Floats [0, top) are resident blocks, in use or free; scratch starts at `top`. A block is freed
 * when its tensor is released (`forget`) or, failing that, collected (a FinalizationRegistry); a
 * free block is reused best-fit, and free blocks at the top give their floats back to the scratch.
 */

export interface Block {
  at: number;
  length: number;
}

/** Blocks start on 16 bytes (4 floats). */
const round4 = (n: number) => Math.ceil(n / 4) * 4;

export class ResidentRegion {
  /** Where the scratch area starts (floats): every resident block lies below. */
  top = 0;
  private readonly free: Block[] = [];
  private readonly byOwner = new WeakMap<object, Map<string, Block>>();
  private readonly collected = new FinalizationRegistry<Map<string, Block>>((blocks) => {
    for (const b of blocks.values()) this.release(b);
  });

  /** `memory(n)`: the kernels' memory as floats, grown to at least n. */
  constructor(private readonly memory: (floats: number) => Float32Array) {}

  /**
   * The float offset of `owner`'s data under `key` (say, a weight array's packed panels), made by
   * `make` and copied in the first time. Call before laying out scratch: it may move `top`.
   */
  get(owner: object, key: string, make: () => Float32Array): number {
    let blocks = this.byOwner.get(owner);
    const have = blocks?.get(key);
    if (have) return have.at;
    const data = make();
    const block = this.allocate(data.length);
    this.memory(block.at + block.length).set(data, block.at);
    if (!blocks) {
      this.byOwner.set(owner, (blocks = new Map()));
      this.collected.register(owner, blocks, owner);
    }
    blocks.set(key, block);
    return block.at;
  }

  /** Frees `owner`'s blocks (its tensor was released). */
  forget(owner: object): void {
    const blocks = this.byOwner.get(owner);
    if (!blocks) return;
    this.byOwner.delete(owner);
    this.collected.unregister(owner);
    for (const b of blocks.values()) this.release(b);
  }

  /** A block of at least `length` floats (a tensor's, where tensors live in this memory): may move `top`. */
  allocate(length: number): Block {
    const need = round4(Math.max(length, 1));
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      if (this.free[i].length >= need && (best < 0 || this.free[i].length < this.free[best].length)) best = i;
    }
    if (best < 0) {
      const block = { at: this.top, length: need };
      this.top += need;
      return block;
    }
    const [b] = this.free.splice(best, 1);
    if (b.length > need) this.free.push({ at: b.at + need, length: b.length - need });
    return { at: b.at, length: need };
  }

  /** Gives a block back. */
  release(b: Block): void {
    this.free.push(b);
    for (let i = this.free.findIndex((f) => f.at + f.length === this.top); i >= 0; i = this.free.findIndex((f) => f.at + f.length === this.top)) {
      this.top = this.free[i].at;
      this.free.splice(i, 1);
    }
  }
}
