/**
 * Validates rendered objects against the Kubernetes OpenAPI schemas, through
 * kubernetes-models (one model class per apiVersion/kind the chart renders).
 * Those schemas allow unknown fields, which the API server drops (a typo such
 * as `hostPid` would pass), so fields are also checked against the typed
 * models of @kubernetes/client-node: a field its serializer drops is unknown.
 */
import { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';
import { DaemonSet } from 'kubernetes-models/apps/v1';
import { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { ConfigMap, Secret, ServiceAccount } from 'kubernetes-models/v1';
import type { K8sObject } from './helm.js';

interface Validatable {
  validate(): void;
}

const MODELS: Record<string, (data: K8sObject) => Validatable> = {
  'apps/v1/DaemonSet': (d) => new DaemonSet(d as unknown as ConstructorParameters<typeof DaemonSet>[0]),
  'rbac.authorization.k8s.io/v1/ClusterRole': (d) =>
    new ClusterRole(d as unknown as ConstructorParameters<typeof ClusterRole>[0]),
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': (d) =>
    new ClusterRoleBinding(d as unknown as ConstructorParameters<typeof ClusterRoleBinding>[0]),
  'rbac.authorization.k8s.io/v1/Role': (d) => new Role(d as unknown as ConstructorParameters<typeof Role>[0]),
  'rbac.authorization.k8s.io/v1/RoleBinding': (d) =>
    new RoleBinding(d as unknown as ConstructorParameters<typeof RoleBinding>[0]),
  'v1/ConfigMap': (d) => new ConfigMap(d as unknown as ConstructorParameters<typeof ConfigMap>[0]),
  'v1/Secret': (d) => new Secret(d as unknown as ConstructorParameters<typeof Secret>[0]),
  'v1/ServiceAccount': (d) => new ServiceAccount(d as unknown as ConstructorParameters<typeof ServiceAccount>[0]),
};

/** Throws naming the object and the schema violation; an unknown kind is an error too. */
export function validateObject(object: K8sObject): void {
  const key = `${object.apiVersion}/${object.kind}`;
  const model = MODELS[key];
  if (!model)
    throw new Error(`${key} ${object.metadata.name}: no schema known to the test; add its kubernetes-models class`);
  try {
    model(object).validate();
  } catch (err) {
    throw new Error(
      `${key} ${object.metadata.name} does not match the Kubernetes schema: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  const unknown = unknownFields(object);
  if (unknown.length)
    throw new Error(`${key} ${object.metadata.name} has fields Kubernetes does not know: ${unknown.join(', ')}`);
}

/** Paths of `object`'s fields that the client-node model of its kind does not have. */
export function unknownFields(object: K8sObject): string[] {
  const type = `V1${object.kind}`;
  const roundTrip: unknown = ObjectSerializer.serialize(ObjectSerializer.deserialize(object, type, ''), type, '');
  return dropped(object, roundTrip, '');
}

function dropped(original: unknown, kept: unknown, path: string): string[] {
  if (Array.isArray(original)) {
    return original.flatMap((item: unknown, i) =>
      dropped(item, Array.isArray(kept) ? (kept as unknown[])[i] : undefined, `${path}[${i}]`),
    );
  }
  if (original === null || typeof original !== 'object') return [];
  const keptObject = kept !== null && typeof kept === 'object' ? (kept as Record<string, unknown>) : {};
  return Object.entries(original as Record<string, unknown>).flatMap(([k, v]) =>
    k in keptObject ? dropped(v, keptObject[k], `${path}.${k}`) : [`${path}.${k}`.slice(1)],
  );
}
