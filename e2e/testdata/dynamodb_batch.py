"""boto3 batch and transaction APIs against Nimbus DynamoDB: python3 dynamodb_batch.py [case...]"""

import uuid
from decimal import Decimal

import boto3
from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from s3check import case, check, eq, expect_error, run


def orders_table(ddb):
    table = ddb.create_table(
        TableName="Orders",
        KeySchema=[{"AttributeName": "customer", "KeyType": "HASH"}, {"AttributeName": "order", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "customer", "AttributeType": "S"},
            {"AttributeName": "order", "AttributeType": "N"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    table.wait_until_exists()
    return table


@case
def batch_writer():
    ddb = boto3.resource("dynamodb")
    table = orders_table(ddb)
    # More than one BatchWriteItem's worth: the writer flushes every 25.
    with table.batch_writer() as batch:
        for i in range(110):
            batch.put_item(Item={"customer": f"c{i % 4}", "order": i, "total": Decimal(i) / 4, "tags": {"a", f"t{i % 3}"}})
    eq(table.query(KeyConditionExpression=Key("customer").eq("c2"), Select="COUNT")["Count"], 27, "items of c2")
    item = table.get_item(Key={"customer": "c1", "order": 5})["Item"]
    eq(item["total"], Decimal("1.25"), "decimal round trip")
    eq(item["tags"], {"a", "t2"}, "string set")
    # overwrite_by_pkeys folds repeated keys into one request, as DynamoDB
    # refuses duplicates within a batch.
    with table.batch_writer(overwrite_by_pkeys=["customer", "order"]) as batch:
        for i in range(50):
            batch.put_item(Item={"customer": "c0", "order": 0, "total": i})
        for i in range(1, 110):
            batch.delete_item(Key={"customer": f"c{i % 4}", "order": i})
    eq(table.scan(Select="COUNT")["Count"], 1, "after batch deletes")
    eq(table.get_item(Key={"customer": "c0", "order": 0})["Item"]["total"], 49, "last put wins")


@case
def batch_client():
    c = boto3.client("dynamodb")
    orders_table(boto3.resource("dynamodb"))
    out = c.batch_write_item(RequestItems={"Orders": [
        {"PutRequest": {"Item": {"customer": {"S": "x"}, "order": {"N": str(i)}, "v": {"S": "v" * i}}}} for i in range(1, 6)
    ]}, ReturnConsumedCapacity="TOTAL")
    eq(out["UnprocessedItems"], {}, "UnprocessedItems")
    eq(out["ConsumedCapacity"], [{"TableName": "Orders", "CapacityUnits": 5.0, "WriteCapacityUnits": 5.0}], "ConsumedCapacity")
    got = c.batch_get_item(RequestItems={"Orders": {
        "Keys": [{"customer": {"S": "x"}, "order": {"N": "2"}}, {"customer": {"S": "x"}, "order": {"N": "42"}}],
        "ProjectionExpression": "#o, v", "ExpressionAttributeNames": {"#o": "order"},
    }})
    eq(got["Responses"], {"Orders": [{"order": {"N": "2"}, "v": {"S": "vv"}}]}, "Responses")
    eq(got["UnprocessedKeys"], {}, "UnprocessedKeys")
    err = expect_error("ValidationException", 400, c.batch_write_item, RequestItems={"Orders": [
        {"PutRequest": {"Item": {"customer": {"S": "x"}, "order": {"N": "1"}}}},
        {"DeleteRequest": {"Key": {"customer": {"S": "x"}, "order": {"N": "1.0"}}}},
    ]})
    eq(err["Error"]["Message"], "Provided list of item keys contains duplicates", "duplicates")
    # 101 keys over two tables (one table's 101 fails the Keys length check).
    err = expect_error("ValidationException", 400, c.batch_get_item, RequestItems={
        "Orders": {"Keys": [{"customer": {"S": "x"}, "order": {"N": str(i)}} for i in range(60)]},
        "Other": {"Keys": [{"id": {"S": str(i)}} for i in range(41)]}})
    eq(err["Error"]["Message"], "Too many items requested for the BatchGetItem call", "too many keys")
    expect_error("ResourceNotFoundException", 400, c.batch_get_item, RequestItems={"Nope": {"Keys": [{"id": {"S": "a"}}]}})


@case
def transactions():
    c = boto3.client("dynamodb")
    orders_table(boto3.resource("dynamodb"))
    c.put_item(TableName="Orders", Item={"customer": {"S": "ann"}, "order": {"N": "1"}, "status": {"S": "open"}})

    def ship(order, token=None):
        kwargs = {"ClientRequestToken": token} if token else {}
        return c.transact_write_items(TransactItems=[
            {"Update": {"TableName": "Orders", "Key": {"customer": {"S": "ann"}, "order": {"N": str(order)}},
                        "UpdateExpression": "SET #s = :shipped ADD shipments :one",
                        "ConditionExpression": "#s = :open",
                        "ExpressionAttributeNames": {"#s": "status"},
                        "ExpressionAttributeValues": {":shipped": {"S": "shipped"}, ":open": {"S": "open"}, ":one": {"N": "1"}},
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
            {"Put": {"TableName": "Orders", "Item": {"customer": {"S": "log"}, "order": {"N": str(order)}}}},
        ], **kwargs)

    token = str(uuid.uuid4())
    ship(1, token)
    ship(1, token)  # the same request again: not applied a second time
    item = c.get_item(TableName="Orders", Key={"customer": {"S": "ann"}, "order": {"N": "1"}})["Item"]
    eq(item["shipments"], {"N": "1"}, "applied once")
    expect_error("IdempotentParameterMismatchException", 400, ship, 2, token)

    try:
        ship(1)
        raise AssertionError("shipping twice succeeded")
    except ClientError as e:
        eq(e.response["Error"]["Code"], "TransactionCanceledException", "code")
        eq(e.response["Error"]["Message"],
           "Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, None]", "message")
        reasons = e.response["CancellationReasons"]
        eq([r["Code"] for r in reasons], ["ConditionalCheckFailed", "None"], "codes")
        eq(reasons[0]["Item"]["status"], {"S": "shipped"}, "ALL_OLD item")
        eq(reasons[0]["Message"], "The conditional request failed", "reason message")
    check("Message" not in reasons[1], "a None reason has no message", reasons[1])

    got = c.transact_get_items(TransactItems=[
        {"Get": {"TableName": "Orders", "Key": {"customer": {"S": "ann"}, "order": {"N": "1"}}, "ProjectionExpression": "shipments"}},
        {"Get": {"TableName": "Orders", "Key": {"customer": {"S": "nobody"}, "order": {"N": "1"}}}},
    ], ReturnConsumedCapacity="TOTAL")
    eq(got["Responses"], [{"Item": {"shipments": {"N": "1"}}}, {}], "TransactGetItems")
    eq(got["ConsumedCapacity"], [{"TableName": "Orders", "CapacityUnits": 4.0, "ReadCapacityUnits": 4.0}], "transactional reads cost twice")


if __name__ == "__main__":
    run()
