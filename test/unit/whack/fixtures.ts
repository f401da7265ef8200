/** Reads samples from test/fixtures/whack (the compiled tests run from dist/test/unit/whack). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The text of test/fixtures/whack/<name>. */
export function fixture(name: string): string {
  return readFileSync(fileURLToPath(new URL(`../../../../test/fixtures/whack/${name}`, import.meta.url)), 'utf8');
}
