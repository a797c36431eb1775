import { test } from "node:test";
import assert from "node:assert/strict";
import {
  SNSClient,
  SNSServiceException,
  CreateTopicCommand,
  GetTopicAttributesCommand,
  SubscribeCommand,
  SetSubscriptionAttributesCommand,
  PublishCommand,
  PublishBatchCommand,
  ListSubscriptionsByTopicCommand,
  DeleteTopicCommand,
  NotFoundException,
  InvalidParameterException,
  InvalidParameterValueException,
  paginateListTopics,
} from "@aws-sdk/client-sns";
import {
  SQSClient,
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SetQueueAttributesCommand,
  ReceiveMessageCommand,
} from "@aws-sdk/client-sqs";
import { clientConfig, uniqueName } from "./config.mjs";

const sns = new SNSClient(clientConfig);
const sqs = new SQSClient(clientConfig);

// queueFor makes a queue the topic may send to and returns its URL and ARN.
async function queueFor(topicArn, name, Attributes = {}) {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name ?? uniqueName("js-sub"), Attributes }));
  const { Attributes: a } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
  const policy = {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: "sns.amazonaws.com" },
        Action: "sqs:SendMessage",
        Resource: a.QueueArn,
        Condition: { ArnEquals: { "aws:SourceArn": topicArn } },
      },
    ],
  };
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { Policy: JSON.stringify(policy) } }));
  return { url: QueueUrl, arn: a.QueueArn };
}

async function receiveAll(url, want) {
  const got = [];
  for (let tries = 0; tries < 10 && got.length < want; tries++) {
    const r = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ["All"] }),
    );
    got.push(...(r.Messages ?? []));
  }
  return got;
}

test("topics: create, attributes, list, delete", async () => {
  const name = uniqueName("js-topic");
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: name, Attributes: { DisplayName: "JS" }, Tags: [{ Key: "team", Value: "js" }] }));
  assert.match(TopicArn, new RegExp(`^arn:aws:sns:us-east-1:\\d{12}:${name}$`));
  const again = await sns.send(new CreateTopicCommand({ Name: name, Attributes: { DisplayName: "JS" } }));
  assert.equal(again.TopicArn, TopicArn);

  const { Attributes } = await sns.send(new GetTopicAttributesCommand({ TopicArn }));
  assert.equal(Attributes.DisplayName, "JS");
  assert.equal(Attributes.TopicArn, TopicArn);
  assert.equal(Attributes.SubscriptionsConfirmed, "0");

  const listed = [];
  for await (const page of paginateListTopics({ client: sns }, {})) listed.push(...page.Topics.map((t) => t.TopicArn));
  assert.ok(listed.includes(TopicArn));

  await sns.send(new DeleteTopicCommand({ TopicArn }));
  const gone = await sns.send(new GetTopicAttributesCommand({ TopicArn })).catch((e) => e);
  assert.ok(gone instanceof NotFoundException, `got ${gone?.name}: ${gone?.message}`);
  assert.ok(gone instanceof SNSServiceException);
  assert.equal(gone.$metadata.httpStatusCode, 404);

  const badName = await sns.send(new CreateTopicCommand({ Name: "no spaces allowed" })).catch((e) => e);
  assert.ok(badName instanceof InvalidParameterException, `got ${badName?.name}: ${badName?.message}`);
  assert.equal(badName.$metadata.httpStatusCode, 400);
});

test("publish to an SQS subscriber: the envelope arrives on the queue", async () => {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: uniqueName("js-fanout") }));
  const envelopeQueue = await queueFor(TopicArn);
  const rawQueue = await queueFor(TopicArn);

  const sub = await sns.send(new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: envelopeQueue.arn, ReturnSubscriptionArn: true }));
  assert.match(sub.SubscriptionArn, new RegExp(`^${TopicArn}:[0-9a-f-]{36}$`));
  const rawSub = await sns.send(
    new SubscribeCommand({
      TopicArn,
      Protocol: "sqs",
      Endpoint: rawQueue.arn,
      Attributes: { RawMessageDelivery: "true", FilterPolicy: JSON.stringify({ kind: ["order"] }) },
      ReturnSubscriptionArn: true,
    }),
  );
  const subs = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn }));
  assert.equal(subs.Subscriptions.length, 2);

  const published = await sns.send(
    new PublishCommand({
      TopicArn,
      Subject: "greeting",
      Message: "hello subscribers",
      MessageAttributes: {
        kind: { DataType: "String", StringValue: "order" },
        amount: { DataType: "Number", StringValue: "12.5" },
        blob: { DataType: "Binary", BinaryValue: new Uint8Array([9, 8, 7]) },
      },
    }),
  );
  assert.match(published.MessageId, /^[0-9a-f-]{36}$/);
  await sns.send(new PublishCommand({ TopicArn, Message: "filtered out of the raw queue", MessageAttributes: { kind: { DataType: "String", StringValue: "refund" } } }));

  const envelopes = await receiveAll(envelopeQueue.url, 2);
  assert.equal(envelopes.length, 2);
  const env = envelopes.map((m) => JSON.parse(m.Body)).find((e) => e.MessageId === published.MessageId);
  assert.ok(env, "the first publish reached the queue");
  assert.equal(env.Type, "Notification");
  assert.equal(env.TopicArn, TopicArn);
  assert.equal(env.Subject, "greeting");
  assert.equal(env.Message, "hello subscribers");
  assert.equal(env.SignatureVersion, "1");
  assert.ok(env.Signature && env.SigningCertURL && env.UnsubscribeURL && env.Timestamp);
  assert.equal(new URL(env.UnsubscribeURL).searchParams.get("SubscriptionArn"), sub.SubscriptionArn);
  assert.deepEqual(env.MessageAttributes.kind, { Type: "String", Value: "order" });
  assert.deepEqual(env.MessageAttributes.amount, { Type: "Number", Value: "12.5" });
  assert.deepEqual(env.MessageAttributes.blob, { Type: "Binary", Value: Buffer.from([9, 8, 7]).toString("base64") });

  const raw = await receiveAll(rawQueue.url, 1);
  assert.equal(raw.length, 1);
  assert.equal(raw[0].Body, "hello subscribers");
  assert.equal(raw[0].MessageAttributes.kind.StringValue, "order");
  assert.deepEqual([...raw[0].MessageAttributes.blob.BinaryValue], [9, 8, 7]);

  // Turning raw delivery off sends the envelope again.
  await sns.send(new SetSubscriptionAttributesCommand({ SubscriptionArn: rawSub.SubscriptionArn, AttributeName: "RawMessageDelivery", AttributeValue: "false" }));
  await sns.send(new PublishCommand({ TopicArn, Message: "wrapped", MessageAttributes: { kind: { DataType: "String", StringValue: "order" } } }));
  const wrapped = await receiveAll(rawQueue.url, 1);
  assert.equal(JSON.parse(wrapped[0].Body).Message, "wrapped");
});

test("publish batches and FIFO topics", async () => {
  const { TopicArn } = await sns.send(
    new CreateTopicCommand({ Name: `${uniqueName("js-fifo")}.fifo`, Attributes: { FifoTopic: "true", ContentBasedDeduplication: "true" } }),
  );
  const queue = await queueFor(TopicArn, `${uniqueName("js-fifo-sub")}.fifo`, { FifoQueue: "true" });
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: queue.arn, Attributes: { RawMessageDelivery: "true" } }));

  const one = await sns.send(new PublishCommand({ TopicArn, Message: "first", MessageGroupId: "g" }));
  assert.match(one.SequenceNumber, /^\d+$/);
  const batch = await sns.send(
    new PublishBatchCommand({
      TopicArn,
      PublishBatchRequestEntries: [
        { Id: "a", Message: "second", MessageGroupId: "g" },
        { Id: "b", Message: "third", MessageGroupId: "g" },
      ],
    }),
  );
  assert.equal(batch.Successful.length, 2);
  assert.equal(batch.Failed?.length ?? 0, 0);
  assert.ok(batch.Successful.every((s) => s.SequenceNumber && s.MessageId));

  const got = await receiveAll(queue.url, 3);
  assert.deepEqual(got.map((m) => m.Body), ["first", "second", "third"]);

  const noGroup = await sns.send(new PublishCommand({ TopicArn, Message: "x" })).catch((e) => e);
  assert.ok(noGroup instanceof InvalidParameterException, `got ${noGroup?.name}: ${noGroup?.message}`);
});

test("Publish errors map to the SDK's exception classes", async () => {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: uniqueName("js-errors") }));

  const missingTopic = await sns.send(new PublishCommand({ TopicArn: `${TopicArn}-gone`, Message: "x" })).catch((e) => e);
  assert.ok(missingTopic instanceof NotFoundException, `got ${missingTopic?.name}: ${missingTopic?.message}`);
  assert.equal(missingTopic.message, "Topic does not exist");
  assert.equal(missingTopic.$metadata.httpStatusCode, 404);

  const empty = await sns.send(new PublishCommand({ TopicArn, Message: "" })).catch((e) => e);
  assert.ok(empty instanceof InvalidParameterException, `got ${empty?.name}: ${empty?.message}`);
  assert.equal(empty.$metadata.httpStatusCode, 400);

  const tooBig = await sns.send(new PublishCommand({ TopicArn, Message: "x".repeat(256 * 1024 + 1) })).catch((e) => e);
  assert.ok(tooBig instanceof InvalidParameterException, `got ${tooBig?.name}: ${tooBig?.message}`);

  const badStructure = await sns.send(new PublishCommand({ TopicArn, Message: "not json", MessageStructure: "json" })).catch((e) => e);
  assert.ok(badStructure instanceof InvalidParameterException, `got ${badStructure?.name}: ${badStructure?.message}`);

  const badAttr = await sns
    .send(new PublishCommand({ TopicArn, Message: "x", MessageAttributes: { n: { DataType: "Number", StringValue: "not a number" } } }))
    .catch((e) => e);
  assert.ok(badAttr instanceof InvalidParameterValueException, `got ${badAttr?.name}: ${badAttr?.message}`);

  const noTarget = await sns.send(new PublishCommand({ Message: "x" })).catch((e) => e);
  assert.ok(noTarget instanceof InvalidParameterException, `got ${noTarget?.name}: ${noTarget?.message}`);

  const badArn = await sns.send(new PublishCommand({ TopicArn: "not-an-arn", Message: "x" })).catch((e) => e);
  assert.ok(badArn instanceof InvalidParameterException, `got ${badArn?.name}: ${badArn?.message}`);

  const dupIds = await sns
    .send(new PublishBatchCommand({ TopicArn, PublishBatchRequestEntries: [{ Id: "a", Message: "1" }, { Id: "a", Message: "2" }] }))
    .catch((e) => e);
  assert.equal(dupIds.name, "BatchEntryIdsNotDistinctException");
});

test("per-protocol messages and array attributes with filter policies", async () => {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: uniqueName("js-structure") }));
  const queue = await queueFor(TopicArn);
  await sns.send(
    new SubscribeCommand({
      TopicArn,
      Protocol: "sqs",
      Endpoint: queue.arn,
      Attributes: { FilterPolicy: JSON.stringify({ colors: ["red"] }) },
    }),
  );
  await sns.send(
    new PublishCommand({
      TopicArn,
      MessageStructure: "json",
      Message: JSON.stringify({ default: "for everyone", sqs: "for queues" }),
      MessageAttributes: { colors: { DataType: "String.Array", StringValue: JSON.stringify(["blue", "red"]) } },
    }),
  );
  await sns.send(
    new PublishCommand({
      TopicArn,
      Message: "no red here",
      MessageAttributes: { colors: { DataType: "String.Array", StringValue: JSON.stringify(["green"]) } },
    }),
  );
  const got = await receiveAll(queue.url, 1);
  assert.equal(got.length, 1);
  const env = JSON.parse(got[0].Body);
  assert.equal(env.Message, "for queues");
  assert.deepEqual(env.MessageAttributes.colors, { Type: "String.Array", Value: JSON.stringify(["blue", "red"]) });

  const noDefault = await sns
    .send(new PublishCommand({ TopicArn, MessageStructure: "json", Message: JSON.stringify({ sqs: "x" }) }))
    .catch((e) => e);
  assert.ok(noDefault instanceof InvalidParameterException, `got ${noDefault?.name}: ${noDefault?.message}`);
});
