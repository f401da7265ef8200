/**
 * Run inside a network namespace by runNodeInNetns: GETs the URL given as
 * {"url": ...} and prints {"status", "contentType", "body"} as one JSON line.
 */
import { httpGet } from '../../helpers/prometheus-text.js';

const { url } = JSON.parse(process.argv[2] ?? '{}') as { url: string };
httpGet(url).then(
  (res) => process.stdout.write(`${JSON.stringify(res)}\n`),
  (err: unknown) => {
    process.stderr.write(`GET ${url} failed: ${String(err)}\n`);
    process.exit(1);
  },
);
