// Where the person is looking, for the server's check order (server/focus.py): the function under the cursor
// first, then those on screen. Sent as the `metacompress/focus` notification, at most every FOCUS_DELAY ms.

export const FOCUS_NOTIFICATION = "metacompress/focus";
export const FOCUS_DELAY = 150;

export interface LineRange {
  start: { line: number };
  end: { line: number };
}

export interface FocusParams {
  uri: string;
  line: number;
  visible: [number, number][];
}

export function focusParams(uri: string, cursorLine: number, visible: readonly LineRange[]): FocusParams {
  return { uri, line: cursorLine, visible: visible.map((r) => [r.start.line, r.end.line]) };
}

/** Calls `send` with the latest value once no newer one came for `delay` ms (a cursor held down sends one). */
export class Debounced<T> {
  private timer: ReturnType<typeof setTimeout> | undefined;
  constructor(
    private readonly send: (value: T) => void,
    private readonly delay: number = FOCUS_DELAY,
  ) {}

  push(value: T): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.send(value);
    }, this.delay);
  }

  dispose(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }
}
