/**
 * The layering check (scripts/check-layers.sh) on fixture trees written to a temp dir: a tree that
 * breaks every rule fails with each rule named, and the same tree without the breaches passes (the
 * negative control that shows the check is not simply failing).
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../../../lab/fs-helpers.js';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));

/** Writes `files` under `root`, with the repository's node_modules linked in (npm imports resolve). */
function writeTree(root: string, files: Record<string, string>): void {
  symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

function check(root: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile('bash', [join(REPO, 'scripts/check-layers.sh'), root], { timeout: 120000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, output: stdout + stderr });
    });
  });
}

const TSCONFIG = JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext' } });

/** A small tree shaped like cabled's, legal as written. */
const CLEAN: Record<string, string> = {
  'tsconfig.json': TSCONFIG,
  'src/lib/util.ts': 'export const one = 1;\n',
  'src/lib/whack/adapter.ts': "export const WHACK = '/usr/libexec/ipsec/whack';\n",
  'src/engine/engine.ts': "import { one } from '../lib/util.js';\nexport const engine = one;\n",
  'drivers/vxlan/driver.ts': "import { one } from '../../src/lib/util.js';\nexport const driver = one;\n",
  'lab/helper.ts': "import { one } from '../src/lib/util.js';\nexport const helper = one;\n",
  'bench/b.ts': "import { helper } from '../lab/helper.js';\nexport const b = helper;\n",
  'test/t.ts': "import { helper } from '../lab/helper.js';\nexport const t = helper;\n",
};

/** The same tree with one breach of each rule added. */
const BROKEN: Record<string, string> = {
  ...CLEAN,
  'src/lib/util.ts': "import { engine } from '../engine/engine.js';\nexport const one = 1;\nexport const e = engine;\n",
  'src/config/a.ts': "import type { B } from './b.js';\nexport interface A { b?: B }\n",
  'src/config/b.ts': "import type { A } from './a.js';\nexport interface B { a?: A }\n",
  'drivers/vxlan/driver.ts': "import { engine } from '../../src/engine/engine.js';\nexport const driver = engine;\n",
  'src/engine/uses-driver.ts': "import { driver } from '../../drivers/vxlan/driver.js';\nexport const d = driver;\n",
  'bench/b.ts': "import { t } from '../test/t.js';\nexport const b = t;\n",
  'src/engine/talks-netlink.ts': "import * as netlink from 'netlink';\nexport const n = netlink;\n",
  'src/engine/spawns.ts': "import { execa } from 'execa';\nexport const x = execa;\n",
  'src/engine/runs-whack.ts':
    "import { execFile } from 'node:child_process';\nexport const go = () => execFile('/usr/libexec/ipsec/whack', ['--status']);\n",
};

describe('layering check (scripts/check-layers.sh on fixture trees)', function () {
  this.timeout(240000);

  it('should pass a tree that keeps the layers (negative control)', async () => {
    const root = tempDir('cabled-layers-clean-');
    writeTree(root, CLEAN);
    const { code, output } = await check(root);
    assert.equal(code, 0, output);
    assert.match(output, /no cycles, no forbidden imports/);
  });

  it('should fail, naming each rule, when a cycle or a forbidden import is added', async () => {
    const root = tempDir('cabled-layers-broken-');
    writeTree(root, BROKEN);
    const { code, output } = await check(root);
    assert.equal(code, 1, output);
    for (const rule of [
      'no-cycles',
      'lib-stays-at-the-bottom',
      'drivers-never-reach-the-engine',
      'engine-never-reaches-a-driver',
      'product-never-imports-tests',
      'only-the-netlink-adapter-imports-netlink',
      'only-the-exec-module-imports-execa',
    ]) {
      assert.match(output, new RegExp(rule), `${rule} not reported:\n${output}`);
    }
    assert.match(output, /only src\/lib\/whack may run whack or addconn[\s\S]*src\/engine\/runs-whack\.ts/);
  });
});
