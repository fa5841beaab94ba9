/**
 * A crypto worker thread: runs the native single-chunk X25519 age path for
 * the main thread's bulk commands (see workers.ts). It parses the identities
 * it was started with once, and answers one message per job.
 */
import { parentPort, workerData } from "node:worker_threads";
import { AgeIdentity, AgeRecipient } from "./keys.js";
import { addRecipientsNative, armorDecodeCanonical, armorEncode, decryptNative, encryptNative } from "./native-age.js";
import type { JobRequest, JobResult } from "./workers.js";

const data = workerData as { identities: string[]; done: Int32Array };
const ready = Promise.all(data.identities.map((s) => AgeIdentity.parse(s, "worker")));
// Identities it cannot read: the thread ends (in a worker, process.exit ends the thread), and the
// pool hands every job back to the main thread, rather than each job making a useless round trip.
ready.catch(() => process.exit(1));

function run(job: JobRequest, identities: AgeIdentity[]): JobResult {
  switch (job.op) {
    case "encrypt": {
      const file = encryptNative(job.plaintext, job.recipients.map(AgeRecipient.parse));
      return file ? { armored: armorEncode(file) } : {};
    }
    case "decrypt": {
      const bytes = armorDecodeCanonical(job.armored);
      const out = bytes && decryptNative(bytes, identities, job.order);
      return out?.kind === "plaintext" ? { plaintext: out.plaintext } : {};
    }
    case "add": {
      const bytes = armorDecodeCanonical(job.armored);
      const out = bytes && addRecipientsNative(bytes, identities, job.order, job.recipients.map(AgeRecipient.parse));
      return out ? { armored: armorEncode(out.file), plaintext: out.plaintext } : {};
    }
  }
}

parentPort?.on("message", async (message: { id: number; job: JobRequest; cost: number }) => {
  let result: JobResult;
  try {
    result = run(message.job, await ready);
  } catch {
    result = {}; // the main thread redoes the job itself, and reports what went wrong
  }
  parentPort?.postMessage({ id: message.id, result });
  Atomics.add(data.done, 0, message.cost); // seen by the main thread at once, unlike the message
});
