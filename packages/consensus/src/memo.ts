// A string-keyed memory of bounded size for the node's caches (verified signatures, judgment-list roots). When it
// is full the older generation is dropped and the current one becomes it, so what was used lately survives. Plain
// objects, no Map: it runs on Espruino too.

export class BoundedMemo<T> {
  private readonly limit: number;
  private young: { [key: string]: T };
  private old: { [key: string]: T };
  private size: number;

  /** Keeps at most 2·limit entries. */
  constructor(limit: number) {
    this.limit = limit;
    this.young = {};
    this.old = {};
    this.size = 0;
  }

  get(key: string): T | undefined {
    const hit = this.young[key];
    return hit !== undefined ? hit : this.old[key];
  }

  set(key: string, value: T): void {
    if (this.size >= this.limit) {
      this.old = this.young;
      this.young = {};
      this.size = 0;
    }
    this.young[key] = value;
    this.size++;
  }
}
