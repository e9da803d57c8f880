/** Worker thread of mintInThreads: mints `count` tokens for `spec` and posts them back. */
import { parentPort, workerData } from "node:worker_threads";
import { createMinter, type MinterSpec } from "./token-minter.js";

const { spec, count, lifetimeSeconds } = workerData as {
  spec: MinterSpec;
  count: number;
  lifetimeSeconds: number;
};
const mint = createMinter(spec);
parentPort?.postMessage(Array.from({ length: count }, () => mint(lifetimeSeconds)));
