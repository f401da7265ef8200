/**
 * Applies the ESP-offload label and annotation to one node through the
 * Kubernetes API: GET the node, compute the merge patch, PATCH only when
 * something changes. Errors say what to do (RBAC get/patch on nodes, a wrong
 * node name).
 */
import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { describeKubeError } from '../kube/index.js';
import { CabledError } from '../lib/errors.js';
import { offloadPatch } from './node-labels.js';

/** What applyOffloadMarks did. */
export type PatchOutcome = 'patched' | 'unchanged';

const hints = (node: string) => ({
  rbac: 'get and patch on nodes',
  notFound: `node ${node} does not exist; pass this node's name (--node-name, or NODE_NAME from the downward API spec.nodeName)`,
});

/** Writes the node labels for these capable interfaces; throws CabledError with the reason. */
export class NodePatcher {
  private readonly api: CoreV1Api;
  constructor(
    kubeConfig: KubeConfig,
    private readonly nodeName: string,
  ) {
    this.api = kubeConfig.makeApiClient(CoreV1Api);
  }

  async apply(capable: readonly string[]): Promise<PatchOutcome> {
    const name = this.nodeName;
    let node;
    try {
      node = await this.api.readNode({ name });
    } catch (err) {
      throw new CabledError(describeKubeError(`read node ${name}`, err, hints(name)), undefined, { cause: err });
    }
    const patch = offloadPatch(node.metadata ?? {}, capable);
    if (!patch) return 'unchanged';
    try {
      await this.api.patchNode({ name, body: patch }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    } catch (err) {
      throw new CabledError(describeKubeError(`label node ${name}`, err, hints(name)), undefined, { cause: err });
    }
    return 'patched';
  }
}
