/**
 * A bounded text buffer for a child process's output. Keeps the most recent `limitBytes`
 * characters so a chatty process (coturn at -v, a server under load) cannot exhaust memory.
 */
export class OutputBuffer {
  private text = '';
  private droppedChars = 0;

  constructor(private readonly limitChars = 1 << 20) {}

  append(chunk: string): void {
    this.text += chunk;
    if (this.text.length > this.limitChars) {
      const excess = this.text.length - this.limitChars;
      this.text = this.text.slice(excess);
      this.droppedChars += excess;
    }
  }

  /** Everything kept so far (the tail, when older output was dropped). */
  toString(): string {
    return this.text;
  }

  /** How many characters were dropped from the front to stay under the limit. */
  get dropped(): number {
    return this.droppedChars;
  }
}
