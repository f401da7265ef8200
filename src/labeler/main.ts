/**
 * `cabled labeler`: wires the offload detection, the node patcher, the NFD
 * feature file and link events into the labeler loop, until SIGTERM/SIGINT.
 * Returns the exit code; only the engine's main.ts exits the process.
 * `--help` and flag errors load nothing else; a run loads the Kubernetes
 * client, netlink and the offload probe.
 */
import { errorMessage } from '../lib/errors.js';
import { LABELER_USAGE, parseLabelerArgs, type LabelerSettings } from './options.js';

/** Runs `cabled labeler <argv>`. */
export async function runLabeler(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let settings: LabelerSettings;
  try {
    settings = parseLabelerArgs(argv, env);
  } catch (err) {
    process.stderr.write(`cabled labeler: ${errorMessage(err)}\nRun "cabled labeler --help" for the flags.\n`);
    return 2;
  }
  if (settings.help) {
    process.stdout.write(LABELER_USAGE);
    return 0;
  }
  const [
    { loadKubeConfig },
    { createLogger },
    { watchLinkEvents },
    { detectEspOffload },
    { OffloadLabeler },
    { NodePatcher },
  ] = await Promise.all([
    import('../kube/index.js'),
    import('../lib/logger.js'),
    import('../lib/netlink/index.js'),
    import('../offload/index.js'),
    import('./labeler.js'),
    import('./node-patcher.js'),
  ]);
  const logger = createLogger({ name: 'cabled-labeler' });
  const labeler = new OffloadLabeler({
    detect: () => detectEspOffload(),
    patcher: new NodePatcher(loadKubeConfig({ path: settings.kubeconfig, env }), settings.nodeName),
    nfdFeaturesDir: settings.nfdFeaturesDir,
    intervalMs: settings.intervalMs,
    linkEvents: settings.once ? undefined : watchLinkEvents,
    logger,
  });
  logger.info('labeler starting', {
    node: settings.nodeName,
    intervalMs: settings.intervalMs,
    nfdFeaturesDir: settings.nfdFeaturesDir || undefined,
  });
  const first = settings.once ? await labeler.check('once') : await labeler.start();
  logger.info('offload checked', { capable: first.capable, node: first.node, nfd: first.nfd });
  if (settings.once) return typeof first.node === 'string' ? 0 : 1;
  await new Promise<void>((resolve) => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => resolve());
  });
  labeler.stop();
  return 0;
}
