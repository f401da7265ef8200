/**
 * Run inside a namespace by the labeler integration tests: detects ESP
 * offload on every link there (real netlink, real ethtool) and prints the
 * report as one JSON line.
 */
import { detectEspOffload } from '../../../src/offload/index.js';

process.stdout.write(`${JSON.stringify(await detectEspOffload())}\n`);
