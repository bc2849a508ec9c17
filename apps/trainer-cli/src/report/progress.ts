import cliProgress from 'cli-progress';

/** How progress is shown: a live bar, periodic plain lines, or nothing. `auto` = bar on a TTY, else plain. */
export type ProgressMode = 'auto' | 'bar' | 'plain' | 'off';

/** Shows the progress of one phase at a time (SFT, evaluation, RL). */
export interface ProgressReporter {
  /** Begin a phase of `total` units. */
  start(phase: string, total: number): void;
  /** Report `value` units done, with a few named numbers to show. */
  update(value: number, fields?: Readonly<Record<string, string | number>>): void;
  /** End the current phase (prints a final line in plain mode). */
  stop(): void;
  /** Print a line without breaking the bar. */
  log(line: string): void;
}

/** Options of `createProgressReporter`. */
export interface ProgressReporterOptions {
  readonly mode: ProgressMode;
  /** Seconds between plain lines (plain mode). */
  readonly intervalSeconds: number;
  /** Where to write (default process.stderr). */
  readonly stream?: NodeJS.WriteStream;
  /** Clock in milliseconds (tests). */
  readonly now?: () => number;
}

/** A reporter: a cli-progress bar on a terminal, periodic plain lines otherwise (CI logs). */
export function createProgressReporter(options: ProgressReporterOptions): ProgressReporter {
  const stream = options.stream ?? process.stderr;
  const mode = options.mode === 'auto' ? (stream.isTTY ? 'bar' : 'plain') : options.mode;
  if (mode === 'off')
    return { start() {}, update() {}, stop() {}, log: (line) => void stream.write(`${line}\n`) };
  if (mode === 'bar') return createBarReporter(stream);
  return createPlainReporter(stream, options.intervalSeconds, options.now ?? Date.now);
}

function formatFields(fields: Readonly<Record<string, string | number>>): string {
  return Object.entries(fields)
    .map(([key, value]) => `${key} ${typeof value === 'number' ? formatValue(value) : value}`)
    .join(' · ');
}

function formatValue(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 100
    ? value.toFixed(0)
    : Math.abs(value) >= 1
      ? value.toFixed(2)
      : value.toFixed(3);
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

function createPlainReporter(
  stream: NodeJS.WriteStream,
  intervalSeconds: number,
  now: () => number,
): ProgressReporter {
  let phase = '';
  let total = 0;
  let value = 0;
  let fields: Readonly<Record<string, string | number>> = {};
  let startedAt = 0;
  let lastPrinted = 0;
  let lastPrintedValue = -1;
  const print = () => {
    const elapsed = (now() - startedAt) / 1000;
    const eta = value > 0 ? (elapsed / value) * (total - value) : Number.NaN;
    const extra = formatFields(fields);
    stream.write(
      `[${phase}] ${value}/${total} · ${formatDuration(elapsed)} elapsed · eta ${formatDuration(eta)}${extra ? ` · ${extra}` : ''}\n`,
    );
    lastPrinted = now();
    lastPrintedValue = value;
  };
  return {
    start(name, count) {
      phase = name;
      total = count;
      value = 0;
      fields = {};
      startedAt = now();
      lastPrinted = startedAt;
      lastPrintedValue = -1;
    },
    update(next, nextFields) {
      value = next;
      if (nextFields) fields = nextFields;
      if (now() - lastPrinted >= intervalSeconds * 1000) print();
    },
    stop() {
      if (phase && lastPrintedValue !== value) print();
      phase = '';
    },
    log: (line) => void stream.write(`${line}\n`),
  };
}

function createBarReporter(stream: NodeJS.WriteStream): ProgressReporter {
  let bar: cliProgress.SingleBar | undefined;
  return {
    start(name, total) {
      bar?.stop();
      bar = new cliProgress.SingleBar(
        {
          stream,
          format: `${name.padEnd(10)} {bar} {value}/{total} | {duration_formatted} | eta {eta_formatted} | {fields}`,
          hideCursor: true,
          noTTYOutput: true,
          notTTYSchedule: 10_000,
          etaBuffer: 20,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0, { fields: '' });
    },
    update(value, fields) {
      bar?.update(value, fields ? { fields: formatFields(fields) } : {});
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
    log(line) {
      if (bar) {
        stream.write('\r\x1b[K');
        stream.write(`${line}\n`);
        bar.render();
      } else stream.write(`${line}\n`);
    },
  };
}
