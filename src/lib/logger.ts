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
 */
import winston from 'winston';

export type Logger = winston.Logger;

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

const redactFormat = winston.format((info) => {
  if (secretValues.size && typeof info.message === 'string') info.message = scrubSecrets(info.message);
  for (const key of Object.keys(info)) {
    if (key === 'level' || key === 'message') continue;
    (info as Record<string, unknown>)[key] = SECRET_KEY.test(key) ? '[redacted]' : redact(info[key]);
  }
  return info;
});

export interface LoggerOptions {
  /** error | warn | info | debug. @default process.env.CABLED_LOG_LEVEL ?? 'info' */
  level?: string;
  /** Force JSON (true) or readable (false) output. @default !process.stderr.isTTY */
  json?: boolean;
  /** Name of the process, e.g. "cabled" or "driver.vxlan". */
  name?: string;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const json =
    options.json ?? (process.env.CABLED_LOG_FORMAT ? process.env.CABLED_LOG_FORMAT === 'json' : !process.stderr.isTTY);
  const readable = winston.format.printf((info) => {
    const { level, message, timestamp, component, ...rest } = info as Record<string, unknown>;
    const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
    return `${String(timestamp)} ${String(level).padEnd(5)} ${component ? `[${String(component)}] ` : ''}${String(message)}${extra}`;
  });
  const logger = winston.createLogger({
    level: options.level ?? process.env.CABLED_LOG_LEVEL ?? 'info',
    defaultMeta: options.name ? { process: options.name } : undefined,
    format: winston.format.combine(redactFormat(), winston.format.timestamp(), json ? winston.format.json() : readable),
    // Everything goes to stderr: stdout of a driver carries its handshake line.
    transports: [
      new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] }),
    ],
  });
  dropDisabledLevelsEarly(logger);
  return logger;
}

/**
 * winston runs every entry through the formats (redaction, timestamp, JSON)
 * and its streams before the transport drops one below the level: a debug
 * line per cable in a 1000-cable batch cost that much for nothing. The level
 * methods below info return at once when their level is off (children too:
 * they inherit these methods).
 */
function dropDisabledLevelsEarly(logger: winston.Logger): void {
  for (const level of ['http', 'verbose', 'debug', 'silly'] as const) {
    const original = logger[level] as (...args: unknown[]) => winston.Logger;
    (logger as unknown as Record<string, unknown>)[level] = function (this: winston.Logger, ...args: unknown[]) {
      return this.isLevelEnabled(level) ? original.apply(this, args) : this;
    };
  }
}

/** A logger that drops everything, for unit tests and library defaults. */
export function silentLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console({ silent: true })] });
}
