// Client settings shared by every suite: the cloud under test is at
// NIMBUS_ENDPOINT, started by e2e/js_test.go; credentials are fixed test ones.
import { randomBytes } from "node:crypto";

export const endpoint = process.env.NIMBUS_ENDPOINT;
if (!endpoint) {
  throw new Error("NIMBUS_ENDPOINT is not set: run these tests through go test ./e2e/ -run JS");
}

export const clientConfig = {
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
  // Retries would hide a wrong status behind a later success.
  maxAttempts: 1,
};

export function uniqueName(prefix) {
  return `${prefix}-${randomBytes(4).toString("hex")}`;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
