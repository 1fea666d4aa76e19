/** Terminal rendering for the CLI commands: a rewritable status line, the user code in a box, QR codes, tables. */
import QRCode from 'qrcode';

/** A stream we print to; `isTTY` says whether a person's terminal is on the other end. */
export type Output = NodeJS.WritableStream & { isTTY?: boolean };

const BOLD = '\x1b[1m';
const RESET = '\x1b[0m';
const CLEAR_LINE = '\r\x1b[K';

/** `text` without control characters, so nothing a provider sends can drive the terminal. */
export function plain(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
}

/** The user code framed in a box (bold on a terminal), so it stands out and is easy to read out. */
export function codeBox(code: string, tty: boolean): string {
  const shown = plain(code);
  const rule = '─'.repeat(shown.length + 6);
  const inner = tty ? `${BOLD}${shown}${RESET}` : shown;
  return `┌${rule}┐\n│   ${inner}   │\n└${rule}┘\n`;
}

/** A QR code of `text` drawn with block characters for a terminal (the `qrcode` package's small terminal renderer). */
export function terminalQr(text: string): Promise<string> {
  return QRCode.toString(text, { type: 'terminal', small: true });
}

/**
 * One line of live status. On a terminal it is rewritten in place (status and detail, e.g. a countdown);
 * elsewhere (a pipe, a log file) a line is printed only when the status itself changes.
 */
export class StatusLine {
  #status = '';
  #shown = false;

  constructor(private readonly out: Output) {}

  /** Shows `status` with `detail`; returns nothing, prints only what the output kind calls for. */
  update(status: string, detail = ''): void {
    const text = detail ? `${status} ${detail}` : status;
    if (this.out.isTTY) {
      this.out.write(`${CLEAR_LINE}${text}`);
      this.#shown = true;
    } else if (status !== this.#status) {
      this.out.write(`${text}\n`);
    }
    this.#status = status;
  }

  /** Clears the live line on a terminal so the next output starts on a clean line. */
  end(): void {
    if (this.#shown) this.out.write(CLEAR_LINE);
    this.#shown = false;
  }
}

/** Rows aligned in columns (two spaces apart), trailing spaces trimmed. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}
