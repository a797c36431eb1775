import { test, before } from "node:test";
import assert from "node:assert/strict";
import {
  DynamoDBClient,
  DynamoDBServiceException,
  CreateTableCommand,
  DescribeTableCommand,
  DeleteTableCommand,
  ConditionalCheckFailedException,
  TransactionCanceledException,
  ResourceNotFoundException,
  ResourceInUseException,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";
import {
  DynamoDBDocumentClient,
  PutCommand,
  GetCommand,
  UpdateCommand,
  DeleteCommand,
  QueryCommand,
  ScanCommand,
  BatchWriteCommand,
  BatchGetCommand,
  TransactWriteCommand,
  TransactGetCommand,
  paginateQuery,
  paginateScan,
  NumberValue,
} from "@aws-sdk/lib-dynamodb";
import { clientConfig, uniqueName } from "./config.mjs";

const ddb = new DynamoDBClient(clientConfig);
const doc = DynamoDBDocumentClient.from(ddb, { marshallOptions: { removeUndefinedValues: true } });
let table;

before(async () => {
  table = uniqueName("orders");
  const created = await ddb.send(
    new CreateTableCommand({
      TableName: table,
      AttributeDefinitions: [
        { AttributeName: "customer", AttributeType: "S" },
        { AttributeName: "order", AttributeType: "N" },
        { AttributeName: "status", AttributeType: "S" },
      ],
      KeySchema: [
        { AttributeName: "customer", KeyType: "HASH" },
        { AttributeName: "order", KeyType: "RANGE" },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: "by-status",
          KeySchema: [
            { AttributeName: "status", KeyType: "HASH" },
            { AttributeName: "order", KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "ALL" },
        },
      ],
      BillingMode: "PAY_PER_REQUEST",
    }),
  );
  assert.equal(created.TableDescription.TableName, table);
  await waitUntilTableExists({ client: ddb, maxWaitTime: 30 }, { TableName: table });
});

test("table errors map to the SDK's exception classes", async () => {
  const dup = ddb.send(
    new CreateTableCommand({
      TableName: table,
      AttributeDefinitions: [{ AttributeName: "customer", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "customer", KeyType: "HASH" }],
      BillingMode: "PAY_PER_REQUEST",
    }),
  );
  await assert.rejects(dup, ResourceInUseException);
  const missing = await ddb.send(new DescribeTableCommand({ TableName: "no-such-table" })).catch((e) => e);
  assert.ok(missing instanceof ResourceNotFoundException, `got ${missing?.name}`);
  assert.ok(missing instanceof DynamoDBServiceException);
  assert.equal(missing.$metadata.httpStatusCode, 400);
  await assert.rejects(doc.send(new GetCommand({ TableName: "no-such-table", Key: { customer: "x", order: 1 } })), ResourceNotFoundException);

  const badKey = await doc.send(new GetCommand({ TableName: table, Key: { customer: "x" } })).catch((e) => e);
  assert.equal(badKey.name, "ValidationException");
  assert.match(badKey.message, /key element does not match the schema/);

  const reserved = await doc
    .send(new GetCommand({ TableName: table, Key: { customer: "x", order: 1 }, ProjectionExpression: "status" }))
    .catch((e) => e);
  assert.equal(reserved.name, "ValidationException");
  assert.match(reserved.message, /reserved keyword: status/);
});

test("document client: put, get, update, delete with native JavaScript values", async () => {
  const item = {
    customer: "ada",
    order: 1,
    status: "open",
    price: 12.5,
    big: 2 ** 52,
    paid: false,
    note: null,
    tags: new Set(["rush", "gift"]),
    sizes: new Set([1, 2, 3]),
    lineItems: [{ sku: "a-1", qty: 2 }, { sku: "b-2", qty: 1 }],
    address: { city: "London", zip: "N1" },
    payload: new Uint8Array([0, 1, 2, 255]),
  };
  await doc.send(new PutCommand({ TableName: table, Item: item }));

  const got = await doc.send(new GetCommand({ TableName: table, Key: { customer: "ada", order: 1 }, ConsistentRead: true }));
  assert.deepEqual(got.Item, item);

  const proj = await doc.send(
    new GetCommand({
      TableName: table,
      Key: { customer: "ada", order: 1 },
      ProjectionExpression: "#s, address.city, lineItems[1].sku",
      ExpressionAttributeNames: { "#s": "status" },
    }),
  );
  assert.deepEqual(proj.Item, { status: "open", address: { city: "London" }, lineItems: [{ sku: "b-2" }] });

  const updated = await doc.send(
    new UpdateCommand({
      TableName: table,
      Key: { customer: "ada", order: 1 },
      UpdateExpression: "SET price = price + :inc, paid = :t, lineItems[0].qty = :q ADD tags :newTag REMOVE note DELETE sizes :two",
      ConditionExpression: "attribute_exists(customer) AND #s = :open",
      ExpressionAttributeNames: { "#s": "status" },
      ExpressionAttributeValues: { ":inc": 7.5, ":t": true, ":q": 5, ":newTag": new Set(["fragile"]), ":open": "open", ":two": new Set([2]) },
      ReturnValues: "ALL_NEW",
    }),
  );
  assert.equal(updated.Attributes.price, 20);
  assert.equal(updated.Attributes.paid, true);
  assert.equal(updated.Attributes.lineItems[0].qty, 5);
  assert.deepEqual(updated.Attributes.tags, new Set(["rush", "gift", "fragile"]));
  assert.deepEqual(updated.Attributes.sizes, new Set([1, 3]));
  assert.ok(!("note" in updated.Attributes));

  const old = await doc.send(
    new UpdateCommand({
      TableName: table,
      Key: { customer: "ada", order: 1 },
      UpdateExpression: "SET #s = :closed",
      ExpressionAttributeNames: { "#s": "status" },
      ExpressionAttributeValues: { ":closed": "closed" },
      ReturnValues: "UPDATED_OLD",
    }),
  );
  assert.deepEqual(old.Attributes, { status: "open" });

  const deleted = await doc.send(new DeleteCommand({ TableName: table, Key: { customer: "ada", order: 1 }, ReturnValues: "ALL_OLD" }));
  assert.equal(deleted.Attributes.status, "closed");
  const gone = await doc.send(new GetCommand({ TableName: table, Key: { customer: "ada", order: 1 } }));
  assert.equal(gone.Item, undefined);
});

test("ConditionalCheckFailedException, with the item when asked for", async () => {
  await doc.send(new PutCommand({ TableName: table, Item: { customer: "bob", order: 1, status: "open", version: 1 } }));
  const err = await doc
    .send(
      new PutCommand({
        TableName: table,
        Item: { customer: "bob", order: 1, status: "open", version: 2 },
        ConditionExpression: "attribute_not_exists(customer)",
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
      }),
    )
    .catch((e) => e);
  assert.ok(err instanceof ConditionalCheckFailedException, `got ${err?.name}: ${err?.message}`);
  assert.equal(err.name, "ConditionalCheckFailedException");
  assert.equal(err.message, "The conditional request failed");
  assert.equal(err.$metadata.httpStatusCode, 400);
  // The low-level client hands back the item in attribute-value form.
  assert.deepEqual(err.Item, { customer: { S: "bob" }, order: { N: "1" }, status: { S: "open" }, version: { N: "1" } });

  await assert.rejects(
    doc.send(
      new UpdateCommand({
        TableName: table,
        Key: { customer: "bob", order: 1 },
        UpdateExpression: "SET version = :v",
        ConditionExpression: "version = :expected",
        ExpressionAttributeValues: { ":v": 3, ":expected": 2 },
      }),
    ),
    ConditionalCheckFailedException,
  );
  await assert.rejects(
    doc.send(new DeleteCommand({ TableName: table, Key: { customer: "bob", order: 1 }, ConditionExpression: "#s = :x", ExpressionAttributeNames: { "#s": "status" }, ExpressionAttributeValues: { ":x": "closed" } })),
    ConditionalCheckFailedException,
  );
});

test("query and scan page with paginateQuery and paginateScan", async () => {
  const items = [];
  for (let i = 1; i <= 30; i++) items.push({ customer: "carol", order: i, status: i % 3 === 0 ? "shipped" : "open", amount: i * 10 });
  for (let i = 0; i < items.length; i += 25) {
    const res = await doc.send(
      new BatchWriteCommand({ RequestItems: { [table]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) } }),
    );
    assert.deepEqual(res.UnprocessedItems ?? {}, {});
  }

  const orders = [];
  let pages = 0;
  for await (const page of paginateQuery(
    { client: doc, pageSize: 8 },
    {
      TableName: table,
      KeyConditionExpression: "customer = :c AND #o BETWEEN :lo AND :hi",
      ExpressionAttributeNames: { "#o": "order" },
      ExpressionAttributeValues: { ":c": "carol", ":lo": 5, ":hi": 29 },
      ScanIndexForward: false,
    },
  )) {
    pages++;
    assert.ok(page.Count <= 8);
    orders.push(...page.Items.map((it) => it.order));
  }
  assert.equal(pages, 4);
  assert.deepEqual(orders, Array.from({ length: 25 }, (_, i) => 29 - i));

  const filtered = await doc.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: "customer = :c",
      FilterExpression: "amount > :min",
      ExpressionAttributeValues: { ":c": "carol", ":min": 250 },
      Select: "COUNT",
    }),
  );
  assert.equal(filtered.Count, 5);
  assert.equal(filtered.ScannedCount, 30);

  const shipped = [];
  for await (const page of paginateQuery(
    { client: doc, pageSize: 4 },
    {
      TableName: table,
      IndexName: "by-status",
      KeyConditionExpression: "#s = :s",
      ExpressionAttributeNames: { "#s": "status" },
      ExpressionAttributeValues: { ":s": "shipped" },
    },
  )) {
    shipped.push(...page.Items.map((it) => it.order));
  }
  assert.deepEqual(shipped, [3, 6, 9, 12, 15, 18, 21, 24, 27, 30]);

  let scanned = 0;
  for await (const page of paginateScan({ client: doc, pageSize: 7 }, { TableName: table, FilterExpression: "customer = :c", ExpressionAttributeValues: { ":c": "carol" } })) {
    scanned += page.Count;
  }
  assert.equal(scanned, 30);

  const batch = await doc.send(
    new BatchGetCommand({
      RequestItems: { [table]: { Keys: [{ customer: "carol", order: 1 }, { customer: "carol", order: 30 }, { customer: "nobody", order: 1 }] } },
    }),
  );
  assert.deepEqual(batch.Responses[table].map((it) => it.order).sort((a, b) => a - b), [1, 30]);
});

test("TransactWrite commits all or nothing; cancellation reasons name the failed check", async () => {
  await doc.send(
    new TransactWriteCommand({
      TransactItems: [
        { Put: { TableName: table, Item: { customer: "dan", order: 1, status: "open", stock: 5 } } },
        { Put: { TableName: table, Item: { customer: "dan", order: 2, status: "open", stock: 0 } } },
      ],
    }),
  );
  const both = await doc.send(
    new TransactGetCommand({
      TransactItems: [
        { Get: { TableName: table, Key: { customer: "dan", order: 1 } } },
        { Get: { TableName: table, Key: { customer: "dan", order: 2 } } },
      ],
    }),
  );
  assert.deepEqual(both.Responses.map((r) => r.Item.stock), [5, 0]);

  const err = await doc
    .send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: table,
              Key: { customer: "dan", order: 1 },
              UpdateExpression: "SET stock = stock - :one",
              ExpressionAttributeValues: { ":one": 1 },
            },
          },
          {
            ConditionCheck: {
              TableName: table,
              Key: { customer: "dan", order: 2 },
              ConditionExpression: "stock > :zero",
              ExpressionAttributeValues: { ":zero": 0 },
              ReturnValuesOnConditionCheckFailure: "ALL_OLD",
            },
          },
        ],
      }),
    )
    .catch((e) => e);
  assert.ok(err instanceof TransactionCanceledException, `got ${err?.name}: ${err?.message}`);
  assert.match(err.message, /Transaction cancelled, please refer cancellation reasons for specific reasons \[None, ConditionalCheckFailed\]/);
  assert.equal(err.CancellationReasons.length, 2);
  assert.equal(err.CancellationReasons[0].Code, "None");
  assert.equal(err.CancellationReasons[1].Code, "ConditionalCheckFailed");
  assert.deepEqual(err.CancellationReasons[1].Item.stock, { N: "0" });

  const after = await doc.send(new GetCommand({ TableName: table, Key: { customer: "dan", order: 1 } }));
  assert.equal(after.Item.stock, 5, "the cancelled transaction changed nothing");

  const token = uniqueName("token");
  const write = {
    ClientRequestToken: token,
    TransactItems: [{ Update: { TableName: table, Key: { customer: "dan", order: 1 }, UpdateExpression: "ADD stock :n", ExpressionAttributeValues: { ":n": 10 } } }],
  };
  await doc.send(new TransactWriteCommand(write));
  await doc.send(new TransactWriteCommand(write)); // idempotent within the token's window
  const once = await doc.send(new GetCommand({ TableName: table, Key: { customer: "dan", order: 1 } }));
  assert.equal(once.Item.stock, 15);
});

test("numbers beyond doubles, consumed capacity, size limits", async () => {
  // A client of its own: document clients made from one client share settings.
  const precise = DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig), { unmarshallOptions: { wrapNumbers: true } });
  const big = "12345678901234567890.123456789";
  await precise.send(new PutCommand({ TableName: table, Item: { customer: "eve", order: 1, status: "open", big: NumberValue.from(big), neg: NumberValue.from("-1E-130") } }));
  const got = await precise.send(new GetCommand({ TableName: table, Key: { customer: "eve", order: 1 }, ReturnConsumedCapacity: "TOTAL" }));
  assert.equal(got.Item.big.toString(), big);
  // DynamoDB answers numbers in plain notation.
  assert.equal(got.Item.neg.toString(), `-0.${"0".repeat(129)}1`);
  assert.equal(got.ConsumedCapacity.TableName, table);
  assert.equal(got.ConsumedCapacity.CapacityUnits, 0.5);

  const put = await doc.send(
    new PutCommand({ TableName: table, Item: { customer: "eve", order: 2, status: "open", empty: "" }, ReturnConsumedCapacity: "INDEXES" }),
  );
  assert.equal(put.ConsumedCapacity.CapacityUnits, 2);
  assert.equal(put.ConsumedCapacity.Table.CapacityUnits, 1);
  assert.equal(put.ConsumedCapacity.GlobalSecondaryIndexes["by-status"].CapacityUnits, 1);
  assert.equal((await doc.send(new GetCommand({ TableName: table, Key: { customer: "eve", order: 2 } }))).Item.empty, "");

  const tooBig = await doc
    .send(new PutCommand({ TableName: table, Item: { customer: "eve", order: 3, blob: "x".repeat(400 * 1024) } }))
    .catch((e) => e);
  assert.equal(tooBig.name, "ValidationException");
  assert.match(tooBig.message, /Item size has exceeded the maximum allowed size/);

  const emptyKey = await doc.send(new PutCommand({ TableName: table, Item: { customer: "", order: 4 } })).catch((e) => e);
  assert.equal(emptyKey.name, "ValidationException");

  const created = await doc.send(
    new UpdateCommand({
      TableName: table,
      Key: { customer: "eve", order: 5 },
      UpdateExpression: "SET visits = if_not_exists(visits, :zero) + :one, history = list_append(if_not_exists(history, :empty), :entry)",
      ExpressionAttributeValues: { ":zero": 0, ":one": 1, ":empty": [], ":entry": ["first"] },
      ReturnValues: "ALL_NEW",
    }),
  );
  assert.deepEqual(created.Attributes, { customer: "eve", order: 5, visits: 1, history: ["first"] });
});

test("delete table", async () => {
  const gone = uniqueName("scratch");
  await ddb.send(
    new CreateTableCommand({
      TableName: gone,
      AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
      BillingMode: "PAY_PER_REQUEST",
    }),
  );
  const res = await ddb.send(new DeleteTableCommand({ TableName: gone }));
  assert.equal(res.TableDescription.TableName, gone);
});
