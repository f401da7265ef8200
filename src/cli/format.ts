/**
 * Pure text formatting for cablectl: aligned tables, key/value sections,
 * byte counts, durations. No I/O, no gRPC types.
 */

/** A table cell: text, or empty/undefined shown as "-". */
export type Cell = string | number | undefined | null;

/**
 * Renders rows under headers in columns separated by three spaces (like
 * kubectl and subctl). Empty cells show "-"; newlines in cells become spaces;
 * trailing spaces are trimmed.
 */
export function renderTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const text = (cell: Cell): string => {
    const s = cell === undefined || cell === null ? '' : String(cell).replace(/\s*\n\s*/g, ' ');
    return s === '' ? '-' : s;
  };
  const all = [headers.map((h) => h.toUpperCase()), ...rows.map((r) => headers.map((_, i) => text(r[i])))];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('   ')
        .trimEnd(),
    )
    .join('\n');
}

/** A titled group of fields for `renderSections`. */
export interface Section {
  title: string;
  fields: readonly (readonly [label: string, value: Cell])[];
}

/** Renders sections as "Title" then indented "Label:  value" lines, values aligned across all sections. */
export function renderSections(sections: readonly Section[]): string {
  const width = Math.max(0, ...sections.flatMap((s) => s.fields.map(([label]) => label.length + 1)));
  return sections
    .map((s) =>
      [
        s.title,
        ...s.fields.map(([label, value]) =>
          `  ${`${label}:`.padEnd(width)}  ${value === undefined || value === null || value === '' ? '-' : String(value)}`.trimEnd(),
        ),
      ].join('\n'),
    )
    .join('\n');
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** Bytes in binary units: 512 → "512 B", 1536 → "1.5 KiB", 3·2^20 → "3.0 MiB", 20480 → "20 KiB". */
export function humanBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '-';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${Math.round(value)} B`;
  const rounded = value < 10 ? value.toFixed(1) : String(Math.round(value));
  // 1023.96 KiB rounds to "1024 KiB": show the next unit instead.
  if (rounded === '1024' && unit < BYTE_UNITS.length - 1) return `1.0 ${BYTE_UNITS[unit + 1]}`;
  return `${rounded} ${BYTE_UNITS[unit]}`;
}

/** A span of milliseconds, coarse and short: 850 → "850ms", 45_000 → "45s", 192_000 → "3m12s", 90_000_000 → "1d1h". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.floor(ms / 1000);
  const units: [number, string][] = [
    [86_400, 'd'],
    [3_600, 'h'],
    [60, 'm'],
    [1, 's'],
  ];
  for (let i = 0; i < units.length; i++) {
    const [size, name] = units[i] ?? [1, 's'];
    if (s >= size) {
      const major = Math.floor(s / size);
      const [nextSize, nextName] = units[i + 1] ?? [0, ''];
      const minor = nextSize ? Math.floor((s % size) / nextSize) : 0;
      return minor ? `${major}${name}${minor}${nextName}` : `${major}${name}`;
    }
  }
  return `${s}s`;
}

/** Nanoseconds with the unit that fits: 850 → "850ns", 12_300 → "12.3µs", 1_500_000 → "1.5ms", 2e9 → "2s". */
export function formatNanos(ns: number): string {
  if (!Number.isFinite(ns) || ns < 0) return '-';
  if (Math.round(ns) < 1_000) return `${Math.round(ns)}ns`;
  const units: [number, string][] = [
    [1e3, 'µs'],
    [1e6, 'ms'],
    [1e9, 's'],
  ];
  for (let i = 0; i < units.length; i++) {
    const [size, unit] = units[i] ?? [1e9, 's'];
    const value = ns / size;
    const digits = value < 10 ? 2 : value < 100 ? 1 : 0;
    const shown = Number(value.toFixed(digits));
    // 999.6µs rounds to 1000µs: use the next unit instead.
    if (shown < 1000 || i === units.length - 1) return `${shown}${unit}`;
  }
  return `${ns}ns`;
}

/** How long ago a unix-ms time was: "1m30s ago"; 0 (unset) → "never". Future times (clock skew) read "just now". */
export function formatAge(unixMs: number, now: number = Date.now()): string {
  if (!unixMs || unixMs <= 0) return 'never';
  const age = now - unixMs;
  return age < 1000 ? 'just now' : `${formatDuration(age)} ago`;
}

/** "yes" / "no". */
export function yesNo(value: boolean): string {
  return value ? 'yes' : 'no';
}
