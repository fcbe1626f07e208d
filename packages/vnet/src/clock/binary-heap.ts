/** An item of a `BinaryHeap`: ordered by `at`, then by `seq` (insertion order). */
export interface HeapItem {
  at: number;
  seq: number;
  /** Position in the heap's array; -1 when not in a heap. Maintained by the heap. */
  heapIndex: number;
}

/** A min-heap of timed items with removal by handle, for timers and in-flight packets. */
export class BinaryHeap<T extends HeapItem> {
  readonly #items: T[] = [];

  get size(): number {
    return this.#items.length;
  }

  peek(): T | undefined {
    return this.#items[0];
  }

  push(item: T): void {
    item.heapIndex = this.#items.length;
    this.#items.push(item);
    this.#up(item.heapIndex);
  }

  pop(): T | undefined {
    const items = this.#items;
    const top = items[0];
    if (top === undefined) return undefined;
    const last = items.pop() as T;
    if (last !== top) {
      items[0] = last;
      last.heapIndex = 0;
      this.#down(0);
    }
    top.heapIndex = -1;
    return top;
  }

  /** Removes `item` if it is in this heap. */
  remove(item: T): void {
    const items = this.#items;
    const i = item.heapIndex;
    if (i < 0 || items[i] !== item) return;
    const last = items.pop() as T;
    item.heapIndex = -1;
    if (last === item) return;
    items[i] = last;
    last.heapIndex = i;
    this.#down(i);
    this.#up(last.heapIndex);
  }

  clear(): void {
    for (const item of this.#items) item.heapIndex = -1;
    this.#items.length = 0;
  }

  #up(index: number): void {
    const items = this.#items;
    let i = index;
    const item = items[i] as T;
    while (i > 0) {
      const parentIndex = (i - 1) >> 1;
      const parent = items[parentIndex] as T;
      if (!before(item, parent)) break;
      items[i] = parent;
      parent.heapIndex = i;
      i = parentIndex;
    }
    items[i] = item;
    item.heapIndex = i;
  }

  #down(index: number): void {
    const items = this.#items;
    const n = items.length;
    let i = index;
    const item = items[i] as T;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let child = items[l] as T;
      let c = l;
      if (r < n && before(items[r] as T, child)) {
        child = items[r] as T;
        c = r;
      }
      if (!before(child, item)) break;
      items[i] = child;
      child.heapIndex = i;
      i = c;
    }
    items[i] = item;
    item.heapIndex = i;
  }
}

function before(a: HeapItem, b: HeapItem): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
