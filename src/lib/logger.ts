/**
 * One logging module for the whole project. Components take a child logger
 * (`logger.child({ component: 'engine' })`). JSON lines when stderr is not a
 * terminal (containers, journald), readable lines when it is.
 *
 * Secrets never reach a log: values under keys that look secret (psk, secret,
 * password, token) are replaced before a line is written, and so is any
 * registered secret value (registerSecretValue: the PSKs this process has
 * read) wherever it appears, in the message or any field: a second line of
 * defence behind messages that are built not to hold secrets.
 *
 * Small on purpose: every process (engine, each driver, cablectl) loads it at
 * start, so it is a few functions over process.stderr rather than a logging
 * framework (winston cost each process ~55 ms to load, several times that
 * under the e2e guest's emulated CPU; issue 9). Its JSON lines are those
 * winston wrote: keys sorted, ISO timestamp, the process name as "process".
 */
/** Log levels, most severe first; a logger writes its level and those above it. */
const LEVELS = { error: 0, warn: 1, info: 2, http: 3, verbose: 4, debug: 5, silly: 6 } as const;
export type LogLevel = keyof typeof LEVELS;

/** Fields of a log line besides its message. */
export type LogFields = Record<string, unknown>;

export interface Logger {
  /** The most verbose level written. */
  readonly level: string;
  error(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
  log(level: string, message: string, fields?: LogFields): void;
  /** A logger whose lines carry `fields` too (e.g. { component: 'engine' }). */
  child(fields: LogFields): Logger;
}

const SECRET_KEY = /psk|secret|password|token/i;

/** Secret values this process knows (the PSK); never written to a log. */
const secretValues = new Set<string>();
/** Shorter values are not registered: they would match ordinary text. */
const MIN_SECRET_LENGTH = 8;

/** Registers a secret value: from now on every log line has it replaced by [redacted]. */
export function registerSecretValue(value: string): void {
  if (value.length >= MIN_SECRET_LENGTH) secretValues.add(value);
}

/** `text` with every registered secret value replaced. */
export function scrubSecrets(text: string): string {
  let out = text;
  for (const secret of secretValues) if (out.includes(secret)) out = out.split(secret).join('[redacted]');
  return out;
}

/** Replaces the values of secret-looking keys, recursively, in a log entry. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return secretValues.size ? scrubSecrets(value) : value;
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = SECRET_KEY.test(k) && v !== '' && v !== undefined ? '[redacted]' : redact(v, depth + 1);
  }
  return out;
}

/** JSON with object keys sorted (stable lines to diff and grep), cycles as "[Circular]", bigints as strings. */
function stableJson(value: unknown): string {
  const seen = new Set<object>();
  const walk = (v: unknown): unknown => {
    if (typeof v === 'bigint') return String(v);
    if (v === null || typeof v !== 'object') return v;
    if (seen.has(v)) return '[Circular]';
    if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return v;
    seen.add(v);
    let out: unknown;
    if (Array.isArray(v)) out = v.map(walk);
    else {
      const o: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) o[k] = walk((v as Record<string, unknown>)[k]);
      out = o;
    }
    seen.delete(v);
    return out;
  };
  return JSON.stringify(walk(value));
}

export interface LoggerOptions {
  /** error | warn | info | debug. @default process.env.CABLED_LOG_LEVEL ?? 'info' */
  level?: string;
  /** Force JSON (true) or readable (false) output. @default !process.stderr.isTTY */
  json?: boolean;
  /** Name of the process, e.g. "cabled" or "driver.vxlan". */
  name?: string;
  /** Where each line goes (with its newline). @default process.stderr: stdout of a driver carries its handshake line */
  write?: (line: string) => void;
}

/** What every logger of one createLogger shares. */
interface Sink {
  level: string;
  max: number;
  json: boolean;
  write: (line: string) => void;
}

class LineLogger implements Logger {
  constructor(
    private readonly sink: Sink,
    private readonly fields: LogFields,
  ) {}

  get level(): string {
    return this.sink.level;
  }

  error(message: string, fields?: LogFields): void {
    this.log('error', message, fields);
  }

  warn(message: string, fields?: LogFields): void {
    this.log('warn', message, fields);
  }

  info(message: string, fields?: LogFields): void {
    this.log('info', message, fields);
  }

  debug(message: string, fields?: LogFields): void {
    this.log('debug', message, fields);
  }

  log(level: string, message: string, fields?: LogFields): void {
    const rank = LEVELS[level as LogLevel];
    if (rank === undefined || rank > this.sink.max) return;
    const { level: _level, message: extra, timestamp: _timestamp, ...rest } = { ...this.fields, ...fields };
    const text = typeof extra === 'string' && extra ? `${message} ${extra}` : message;
    const entry: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(rest)) entry[key] = SECRET_KEY.test(key) ? '[redacted]' : redact(value);
    const scrubbed = secretValues.size ? scrubSecrets(text) : text;
    const timestamp = new Date().toISOString();
    let line: string;
    if (this.sink.json) {
      line = stableJson({ ...entry, level, message: scrubbed, timestamp });
    } else {
      const { component, ...others } = entry;
      const tail = Object.keys(others).length
        ? ` ${JSON.stringify(others, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`
        : '';
      line = `${timestamp} ${level.padEnd(5)} ${component ? `[${String(component)}] ` : ''}${scrubbed}${tail}`;
    }
    this.sink.write(`${line}\n`);
  }

  child(fields: LogFields): Logger {
    return new LineLogger(this.sink, { ...this.fields, ...fields });
  }
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const json =
    options.json ?? (process.env.CABLED_LOG_FORMAT ? process.env.CABLED_LOG_FORMAT === 'json' : !process.stderr.isTTY);
  const level = options.level ?? process.env.CABLED_LOG_LEVEL ?? 'info';
  return new LineLogger(
    {
      level,
      max: LEVELS[level as LogLevel] ?? LEVELS.info,
      json,
      write: options.write ?? ((line) => void process.stderr.write(line)),
    },
    options.name ? { process: options.name } : {},
  );
}

/** A logger that drops everything, for unit tests and library defaults. */
export function silentLogger(): Logger {
  return new LineLogger({ level: 'silent', max: -1, json: true, write: () => undefined }, {});
}
