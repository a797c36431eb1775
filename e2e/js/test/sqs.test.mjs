import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  SQSClient,
  SQSServiceException,
  CreateQueueCommand,
  GetQueueUrlCommand,
  GetQueueAttributesCommand,
  SendMessageCommand,
  SendMessageBatchCommand,
  ReceiveMessageCommand,
  DeleteMessageCommand,
  DeleteMessageBatchCommand,
  ChangeMessageVisibilityCommand,
  DeleteQueueCommand,
  ListQueuesCommand,
  QueueDoesNotExist,
  InvalidAttributeValue,
  ReceiptHandleIsInvalid,
  BatchEntryIdsNotDistinct,
  paginateListQueues,
} from "@aws-sdk/client-sqs";
import { clientConfig, uniqueName } from "./config.mjs";

const sqs = new SQSClient(clientConfig);
const md5Hex = (data) => createHash("md5").update(data).digest("hex");

async function newQueue(name, Attributes) {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name ?? uniqueName("js"), Attributes }));
  return QueueUrl;
}

test("queues: create, look up, list, attributes, delete", async () => {
  const name = uniqueName("js-q");
  const url = await newQueue(name, { VisibilityTimeout: "45", DelaySeconds: "0" });
  assert.match(url, new RegExp(`/000000000000/${name}$|/\\d{12}/${name}$`));
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
  assert.equal(QueueUrl, url);
  // Creating it again with the same attributes returns the same queue.
  assert.equal(await newQueue(name, { VisibilityTimeout: "45", DelaySeconds: "0" }), url);

  const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["All"] }));
  assert.equal(attrs.Attributes.VisibilityTimeout, "45");
  assert.equal(attrs.Attributes.ApproximateNumberOfMessages, "0");
  assert.match(attrs.Attributes.QueueArn, new RegExp(`^arn:aws:sqs:us-east-1:\\d{12}:${name}$`));

  const prefix = uniqueName("js-list");
  for (let i = 0; i < 5; i++) await newQueue(`${prefix}-${i}`);
  const listed = [];
  for await (const page of paginateListQueues({ client: sqs, pageSize: 2 }, { QueueNamePrefix: prefix })) {
    listed.push(...(page.QueueUrls ?? []));
  }
  assert.equal(listed.length, 5);

  await sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
  const missing = await sqs.send(new GetQueueUrlCommand({ QueueName: name })).catch((e) => e);
  assert.ok(missing instanceof QueueDoesNotExist, `got ${missing?.name}: ${missing?.message}`);
  assert.ok(missing instanceof SQSServiceException);
  assert.equal(missing.$metadata.httpStatusCode, 400);

  const conflicting = await sqs
    .send(new CreateQueueCommand({ QueueName: `${prefix}-0`, Attributes: { VisibilityTimeout: "99" } }))
    .catch((e) => e);
  assert.equal(conflicting.name, "QueueNameExists");

  const bad = await sqs
    .send(new CreateQueueCommand({ QueueName: uniqueName("js-bad"), Attributes: { VisibilityTimeout: "100000" } }))
    .catch((e) => e);
  assert.ok(bad instanceof InvalidAttributeValue, `got ${bad?.name}: ${bad?.message}`);
});

test("messages with attributes: the SDK checks every MD5", async () => {
  const url = await newQueue();
  const body = "hello from javascript ✓";
  const sent = await sqs.send(
    new SendMessageCommand({
      QueueUrl: url,
      MessageBody: body,
      MessageAttributes: {
        color: { DataType: "String", StringValue: "blue" },
        count: { DataType: "Number", StringValue: "42" },
        raw: { DataType: "Binary", BinaryValue: new Uint8Array([1, 2, 3, 250]) },
        "custom.type": { DataType: "String.custom", StringValue: "x" },
      },
      MessageSystemAttributes: {
        AWSTraceHeader: { DataType: "String", StringValue: "Root=1-5759e988-bd862e3fe1be46a994272793" },
      },
    }),
  );
  assert.equal(sent.MD5OfMessageBody, md5Hex(body));
  assert.match(sent.MD5OfMessageAttributes, /^[0-9a-f]{32}$/);
  assert.match(sent.MD5OfMessageSystemAttributes, /^[0-9a-f]{32}$/);
  assert.ok(sent.MessageId);

  const got = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: url,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 1,
      MessageAttributeNames: ["All"],
      MessageSystemAttributeNames: ["All"],
    }),
  );
  assert.equal(got.Messages.length, 1);
  const [m] = got.Messages;
  assert.equal(m.Body, body);
  assert.equal(m.MessageId, sent.MessageId);
  assert.equal(m.MD5OfBody, md5Hex(body));
  assert.equal(m.MD5OfMessageAttributes, sent.MD5OfMessageAttributes);
  assert.equal(m.MessageAttributes.color.StringValue, "blue");
  assert.equal(m.MessageAttributes.count.DataType, "Number");
  assert.deepEqual([...m.MessageAttributes.raw.BinaryValue], [1, 2, 3, 250]);
  assert.equal(m.MessageAttributes["custom.type"].DataType, "String.custom");
  assert.equal(m.Attributes.ApproximateReceiveCount, "1");
  assert.equal(m.Attributes.AWSTraceHeader, "Root=1-5759e988-bd862e3fe1be46a994272793");
  assert.match(m.Attributes.SentTimestamp, /^\d+$/);

  await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 }));
  const again = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 1, MessageSystemAttributeNames: ["ApproximateReceiveCount"] }));
  assert.equal(again.Messages[0].Attributes.ApproximateReceiveCount, "2");
  await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: again.Messages[0].ReceiptHandle }));

  const badHandle = await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: "not-a-handle" })).catch((e) => e);
  assert.ok(badHandle instanceof ReceiptHandleIsInvalid, `got ${badHandle?.name}: ${badHandle?.message}`);

  const missingQueue = await sqs
    .send(new SendMessageCommand({ QueueUrl: url.replace(/[^/]+$/, "no-such-queue"), MessageBody: "x" }))
    .catch((e) => e);
  assert.ok(missingQueue instanceof QueueDoesNotExist, `got ${missingQueue?.name}`);
});

test("batches: send, receive, delete; partial failures", async () => {
  const url = await newQueue();
  const entries = Array.from({ length: 10 }, (_, i) => ({
    Id: `m${i}`,
    MessageBody: `body ${i}`,
    MessageAttributes: { n: { DataType: "Number", StringValue: String(i) } },
  }));
  const sent = await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries }));
  assert.equal(sent.Successful.length, 10);
  assert.equal(sent.Failed?.length ?? 0, 0);
  for (const s of sent.Successful) {
    const i = Number(s.Id.slice(1));
    assert.equal(s.MD5OfMessageBody, md5Hex(`body ${i}`));
  }

  const received = [];
  for (let tries = 0; tries < 10 && received.length < 10; tries++) {
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ["All"] }));
    received.push(...(r.Messages ?? []));
  }
  assert.equal(received.length, 10);
  assert.deepEqual(new Set(received.map((m) => m.Body)), new Set(entries.map((e) => e.MessageBody)));

  const del = await sqs.send(
    new DeleteMessageBatchCommand({
      QueueUrl: url,
      Entries: [...received.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })).slice(0, 9), { Id: "bad", ReceiptHandle: "garbage" }],
    }),
  );
  assert.equal(del.Successful.length, 9);
  assert.equal(del.Failed.length, 1);
  assert.equal(del.Failed[0].Id, "bad");
  assert.equal(del.Failed[0].Code, "ReceiptHandleIsInvalid");
  assert.equal(del.Failed[0].SenderFault, true);

  await assert.rejects(
    sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: "a", MessageBody: "1" }, { Id: "a", MessageBody: "2" }] })),
    BatchEntryIdsNotDistinct,
  );
});

test("long polling waits for a message sent while it waits", async () => {
  const url = await newQueue();
  const started = Date.now();
  const receiving = sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 10 }));
  setTimeout(() => sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "late" })), 500);
  const r = await receiving;
  assert.equal(r.Messages?.[0]?.Body, "late");
  assert.ok(Date.now() - started < 9000, "the poll returns when the message arrives");

  // Whether an empty receive carries "Messages": [] or no member at all is
  // not pinned here: callers write `Messages ?? []`, which takes both.
  const empty = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 1 }));
  assert.equal((empty.Messages ?? []).length, 0);
});

test("FIFO queues: order within a group, deduplication, sequence numbers", async () => {
  const name = `${uniqueName("js-fifo")}.fifo`;
  const url = await newQueue(name, { FifoQueue: "true", ContentBasedDeduplication: "true" });
  const seqs = [];
  for (let i = 0; i < 5; i++) {
    const r = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: `step ${i}`, MessageGroupId: "g1" }));
    assert.match(r.SequenceNumber, /^\d+$/);
    seqs.push(BigInt(r.SequenceNumber));
  }
  for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i] > seqs[i - 1], "sequence numbers grow");

  const dup = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "step 0", MessageGroupId: "g1" }));
  assert.equal(BigInt(dup.SequenceNumber), seqs[0], "a duplicate gets the first send's answer");

  const batch = await sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: url,
      Entries: [
        { Id: "a", MessageBody: "other 0", MessageGroupId: "g2", MessageDeduplicationId: "o0" },
        { Id: "b", MessageBody: "other 1", MessageGroupId: "g2", MessageDeduplicationId: "o1" },
      ],
    }),
  );
  assert.equal(batch.Successful.length, 2);

  const bodies = [];
  for (let tries = 0; tries < 10 && bodies.length < 7; tries++) {
    const r = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageSystemAttributeNames: ["All"] }),
    );
    for (const m of r.Messages ?? []) {
      bodies.push(m.Body);
      assert.ok(m.Attributes.MessageGroupId);
      assert.ok(m.Attributes.SequenceNumber);
      await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
    }
  }
  assert.deepEqual(bodies.filter((b) => b.startsWith("step")), ["step 0", "step 1", "step 2", "step 3", "step 4"]);
  assert.deepEqual(bodies.filter((b) => b.startsWith("other")), ["other 0", "other 1"]);

  const noGroup = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x" })).catch((e) => e);
  assert.equal(noGroup.name, "MissingParameter");
  assert.equal(noGroup.$metadata.httpStatusCode, 400);

  const badName = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName("nofifo"), Attributes: { FifoQueue: "true" } })).catch((e) => e);
  assert.ok(badName instanceof InvalidAttributeValue || badName.name === "InvalidParameterValue", `got ${badName?.name}`);
});

test("message content and size are checked as SQS checks them", async () => {
  const url = await newQueue();
  const invalid = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "bad \u0000 char" })).catch((e) => e);
  assert.equal(invalid.name, "InvalidMessageContents", `${invalid.name}: ${invalid.message}`);
  assert.equal(invalid.$metadata.httpStatusCode, 400);

  const large = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x".repeat(1024 * 1024 + 1) })).catch((e) => e);
  assert.ok(large instanceof Error && large.$metadata?.httpStatusCode === 400, `${large?.name}: ${large?.message}`);

  const tooMany = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 11 })).catch((e) => e);
  assert.equal(tooMany.name, "InvalidParameterValue", `${tooMany.name}: ${tooMany.message}`);

  const delayed = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "later", DelaySeconds: 2 }));
  assert.ok(delayed.MessageId);
  const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["ApproximateNumberOfMessagesDelayed"] }));
  assert.equal(attrs.Attributes.ApproximateNumberOfMessagesDelayed, "1");
});
