/**
 * Low-water-mark checkpointing, as trufflehog does it: pages finish out of order, but the
 * listing cursor is only advanced past a page once that page and every page before it are
 * fully recorded. A crash therefore never skips an item; at worst it re-lists part of a page,
 * and those items are skipped as unchanged.
 */
export class LowWaterMark {
  private readonly pending = new Map<number, { left: number; cursor: string | undefined; closed: boolean }>();
  private next = 0;
  private lowest = 0;
  // Saves run one after another, so a later cursor can never be overwritten by an earlier one.
  private saving: Promise<void> = Promise.resolve();

  constructor(private readonly onAdvance: (cursor: string | undefined, lastPage: boolean) => Promise<void> | void) {}

  /** Registers a listed page; returns its sequence number. */
  openPage(items: number, cursor: string | undefined): number {
    const seq = this.next++;
    this.pending.set(seq, { left: items, cursor, closed: false });
    return seq;
  }

  /** All items of the page have been handed out; lets empty pages complete. */
  async closePage(seq: number): Promise<void> {
    const p = this.pending.get(seq);
    if (!p) return;
    p.closed = true;
    await this.advance();
  }

  async itemDone(seq: number): Promise<void> {
    const p = this.pending.get(seq);
    if (!p) throw new Error(`checkpoint: unknown page ${seq}`);
    p.left--;
    await this.advance();
  }

  private async advance(): Promise<void> {
    let moved: { cursor: string | undefined } | undefined;
    for (;;) {
      const p = this.pending.get(this.lowest);
      if (!p || !p.closed || p.left > 0) break;
      this.pending.delete(this.lowest);
      this.lowest++;
      moved = p;
    }
    if (!moved) return;
    const { cursor } = moved;
    this.saving = this.saving.then(() => this.onAdvance(cursor, cursor === undefined));
    await this.saving;
  }
}
