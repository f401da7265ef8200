/**
 * Test lab for real plutos: two namespaces joined by a veth pair (unique
 * names per test process), a scratch directory with short paths (the ctl
 * socket must fit in 108 bytes), and cleanup that also works after a failure.
 */
import { rm } from 'node:fs/promises';
import { canUseNetns, connectVeth, createNetns, deleteNetns, nsName } from '../../../lab/netns.js';

/** Namespaces, addresses and a scratch directory for one test file. */
export interface Lab {
  nsA: string;
  nsB: string;
  ipA: string;
  ipB: string;
  dir: string;
}

/** True where the lab can run: Linux, root, libreswan installed. */
export async function canRunPluto(): Promise<boolean> {
  if (!canUseNetns()) return false;
  const { access } = await import('node:fs/promises');
  return access('/usr/libexec/ipsec/pluto')
    .then(() => access('/usr/bin/certutil'))
    .then(
      () => true,
      () => false,
    );
}

/** Creates the namespaces and the veth pair (`tag` keeps files of one process apart; octet keeps subnets apart). */
export async function createLab(tag: string, octet: number): Promise<Lab> {
  const lab: Lab = {
    nsA: nsName(`lsw${tag}a`),
    nsB: nsName(`lsw${tag}b`),
    ipA: `10.231.${octet}.1`,
    ipB: `10.231.${octet}.2`,
    dir: `/tmp/cbt-lsw-${process.pid}-${tag}`,
  };
  await destroyLab(lab);
  await createNetns(lab.nsA);
  await createNetns(lab.nsB);
  const short = `${process.pid % 100000}${tag}`.slice(0, 11);
  await connectVeth(
    { ns: lab.nsA, name: `va${short}`, cidr: `${lab.ipA}/24` },
    { ns: lab.nsB, name: `vb${short}`, cidr: `${lab.ipB}/24` },
  );
  return lab;
}

/** Deletes the namespaces and the directory; absent parts are fine. */
export async function destroyLab(lab: Lab): Promise<void> {
  await deleteNetns(lab.nsA);
  await deleteNetns(lab.nsB);
  await rm(lab.dir, { recursive: true, force: true });
}

/** Kills a process by pid if it still runs (a pluto this test started). */
export function killIfAlive(pid: number | undefined, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (!pid) return;
  try {
    process.kill(pid, signal);
  } catch {
    /* gone */
  }
}
