/**
 * A kubelet gRPC probe, run inside a node's network namespace
 * (`ip netns exec <node> node grpc-probe.js '{"target":"ip:port","service":"","timeoutMs":5000}'`):
 * grpc.health.v1.Health/Check over a plaintext connection with the probe's
 * timeout, as kubelet's prober does (pkg/probe/grpc). Prints one JSON line:
 * {"result":"success"} when the status is SERVING, otherwise
 * {"result":"failure","output":"..."} with kubelet's reason.
 */
import { checkHealth, createHealthClient } from '../../src/lib/grpc/health-client.js';

interface ProbeInput {
  target: string;
  service: string;
  timeoutMs: number;
}

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2] ?? '{}') as ProbeInput;
  const client = createHealthClient(input.target);
  let out: { result: 'success' | 'failure'; output?: string };
  try {
    const status = await checkHealth(client, input.service, { timeoutMs: input.timeoutMs });
    out =
      status === 'SERVING'
        ? { result: 'success' }
        : { result: 'failure', output: `service unhealthy (responded with "${status}")` };
  } catch (err) {
    out = { result: 'failure', output: `failed to connect service "${input.target}": ${String(err)}` };
  } finally {
    client.close();
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

void main();
