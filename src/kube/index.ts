/** Kubernetes API access: client configuration and error messages. */
export { loadKubeConfig, kubeConfigForServer, type KubeConfigOptions } from './kubeconfig.js';
export { describeKubeError, httpStatusOf, type KubeErrorHints } from './api-error.js';
