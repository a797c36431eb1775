"""boto3 behaviours users lean on against Nimbus DynamoDB: python3 dynamodb_checks.py [case...]

Decimal round trips, paginators, waiters around UpdateTable, transaction
cancellation reasons, consumed capacity shapes, the Query filter rule.
"""

from decimal import Decimal

import boto3
from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from s3check import case, check, eq, expect_error, run


def keyed_table(ddb, name, **extra):
    table = ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}]
        + extra.pop("defs", []),
        BillingMode="PAY_PER_REQUEST",
        **extra,
    )
    table.wait_until_exists()
    return table


@case
def decimals():
    table = keyed_table(boto3.resource("dynamodb"), "Numbers")
    values = [Decimal("1.5"), Decimal("-0.000001"), Decimal("12345678901234567890123456789012345678"), Decimal("0"),
              Decimal("100"), Decimal("1.10"), Decimal("-1E-130"), Decimal("9.99E+37")]
    for i, v in enumerate(values):
        table.put_item(Item={"pk": "n", "sk": i, "v": v, "s": {v}})
    for i, v in enumerate(values):
        item = table.get_item(Key={"pk": "n", "sk": i})["Item"]
        eq(item["v"], v, f"number {v}")
        eq(item["s"], {v}, f"number set {v}")
    # Trailing zeros go: 1.10 comes back 1.1.
    raw = boto3.client("dynamodb").get_item(TableName="Numbers", Key={"pk": {"S": "n"}, "sk": {"N": "5"}})["Item"]
    eq(raw["v"], {"N": "1.1"}, "1.10 normalized")
    err = expect_error("ValidationException", 400, table.put_item, Item={"pk": "n", "sk": 99, "v": Decimal("1E+126")})
    eq(err["Error"]["Message"], "Number overflow. Attempting to store a number with magnitude larger than supported range", "overflow")
    table.update_item(Key={"pk": "n", "sk": 0}, UpdateExpression="ADD v :d", ExpressionAttributeValues={":d": Decimal("0.25")})
    eq(table.get_item(Key={"pk": "n", "sk": 0})["Item"]["v"], Decimal("1.75"), "exact ADD")


@case
def paginators():
    c = boto3.client("dynamodb")
    ddb = boto3.resource("dynamodb")
    table = keyed_table(ddb, "Paged")
    with table.batch_writer() as batch:
        for i in range(45):
            batch.put_item(Item={"pk": f"p{i % 3}", "sk": i, "n": i})
    query = c.get_paginator("query")
    args = {"TableName": "Paged", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "p1"}}}
    pages = list(query.paginate(**args, PaginationConfig={"PageSize": 4}))
    eq([p["Count"] for p in pages], [4, 4, 4, 3], "query pages of 4")
    eq([int(i["sk"]["N"]) for p in pages for i in p["Items"]], list(range(1, 45, 3)), "query items in order")
    first = query.paginate(**args, PaginationConfig={"PageSize": 4, "MaxItems": 6}).build_full_result()
    eq(len(first["Items"]), 6, "MaxItems")
    rest = query.paginate(**args, PaginationConfig={"PageSize": 4, "StartingToken": first["NextToken"]}).build_full_result()
    eq([int(i["sk"]["N"]) for i in first["Items"] + rest["Items"]], list(range(1, 45, 3)), "StartingToken resumes")
    scan = c.get_paginator("scan")
    seen = [int(i["sk"]["N"]) for p in scan.paginate(TableName="Paged", PaginationConfig={"PageSize": 7}) for i in p["Items"]]
    eq(sorted(seen), list(range(45)), "scan pages")
    counted = scan.paginate(TableName="Paged", Select="COUNT", FilterExpression="n >= :z",
                            ExpressionAttributeValues={":z": {"N": "40"}}, PaginationConfig={"PageSize": 10}).build_full_result()
    eq((counted["Count"], counted["ScannedCount"]), (5, 45), "scan COUNT with a filter")
    for i in range(4):
        keyed_table(ddb, f"Paged{i}")
    names = [n for p in c.get_paginator("list_tables").paginate(PaginationConfig={"PageSize": 2}) for n in p["TableNames"]]
    eq(names, ["Paged", "Paged0", "Paged1", "Paged2", "Paged3"], "list_tables pages")
    # The resource API's collections paginate too.
    eq(sum(1 for _ in table.query(KeyConditionExpression=Key("pk").eq("p2"))["Items"]), 15, "resource query")
    eq(len(list(ddb.tables.page_size(2))), 5, "ddb.tables")


@case
def update_table_indexes():
    c = boto3.client("dynamodb")
    table = keyed_table(boto3.resource("dynamodb"), "Indexed")
    for i in range(6):
        table.put_item(Item={"pk": "a", "sk": i, "g": f"g{i % 2}", "n": i})
    out = c.update_table(
        TableName="Indexed",
        AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[{"Create": {"IndexName": "byG", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                                 "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["n"]}}}],
    )["TableDescription"]
    eq(out["TableStatus"], "UPDATING", "UpdateTable's table status")
    eq([(g["IndexName"], g["IndexStatus"]) for g in out["GlobalSecondaryIndexes"]], [("byG", "CREATING")], "UpdateTable's index status")
    # What users poll for: the table ACTIVE and every index ACTIVE.
    c.get_waiter("table_exists").wait(TableName="Indexed", WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    desc = c.describe_table(TableName="Indexed")["Table"]
    eq(desc["TableStatus"], "ACTIVE", "table status")
    eq([(g["IndexName"], g["IndexStatus"], g["ItemCount"]) for g in desc["GlobalSecondaryIndexes"]], [("byG", "ACTIVE", 6)], "index")
    got = table.query(IndexName="byG", KeyConditionExpression=Key("g").eq("g1"))["Items"]
    eq(sorted(int(i["sk"]) for i in got), [1, 3, 5], "GSI query after the backfill")
    check(all(set(i) == {"pk", "sk", "g", "n"} for i in got), "INCLUDE projection", got)
    out = c.update_table(TableName="Indexed", GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "byG"}}])["TableDescription"]
    eq([(g["IndexName"], g["IndexStatus"]) for g in out["GlobalSecondaryIndexes"]], [("byG", "DELETING")], "deleted index")
    desc = c.describe_table(TableName="Indexed")["Table"]
    check("GlobalSecondaryIndexes" not in desc, "index still described", desc)
    eq([a["AttributeName"] for a in desc["AttributeDefinitions"]], ["pk", "sk"], "definitions after the delete")
    # On demand, then provisioned: the billing summary stays.
    out = c.update_table(TableName="Indexed", BillingMode="PROVISIONED",
                         ProvisionedThroughput={"ReadCapacityUnits": 2, "WriteCapacityUnits": 3})["TableDescription"]
    desc = c.describe_table(TableName="Indexed")["Table"]
    eq(desc["BillingModeSummary"]["BillingMode"], "PROVISIONED", "billing summary")
    eq((desc["ProvisionedThroughput"]["ReadCapacityUnits"], desc["ProvisionedThroughput"]["WriteCapacityUnits"]), (2, 3), "throughput")
    table.delete()
    table.wait_until_not_exists()


@case
def transactions():
    c = boto3.client("dynamodb")
    table = keyed_table(boto3.resource("dynamodb"), "Txn")
    table.put_item(Item={"pk": "a", "sk": 1, "n": 1})
    try:
        c.transact_write_items(TransactItems=[
            {"Put": {"TableName": "Txn", "Item": {"pk": {"S": "b"}, "sk": {"N": "1"}}}},
            {"ConditionCheck": {"TableName": "Txn", "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}}, "ConditionExpression": "n = :two",
                                "ExpressionAttributeValues": {":two": {"N": "2"}}, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
        ])
        raise AssertionError("the transaction went through")
    except c.exceptions.TransactionCanceledException as e:
        eq(e.response["Error"]["Message"],
           "Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed]", "message")
        reasons = e.response["CancellationReasons"]
        eq(reasons[0], {"Code": "None"}, "first reason")
        eq(reasons[1]["Code"], "ConditionalCheckFailed", "second reason")
        eq(reasons[1]["Message"], "The conditional request failed", "second reason's message")
        eq(reasons[1]["Item"], {"pk": {"S": "a"}, "sk": {"N": "1"}, "n": {"N": "1"}}, "second reason's item")
    eq(table.get_item(Key={"pk": "b", "sk": 1}).get("Item"), None, "nothing written")
    # Through the resource's client, values are Python values.
    try:
        table.meta.client.transact_write_items(TransactItems=[
            {"Update": {"TableName": "Txn", "Key": {"pk": "a", "sk": 1}, "UpdateExpression": "SET n = n + :one",
                        "ConditionExpression": "n > :five", "ExpressionAttributeValues": {":one": 1, ":five": 5}}},
        ])
        raise AssertionError("the transaction went through")
    except ClientError as e:
        eq(e.response["Error"]["Code"], "TransactionCanceledException", "code")
        eq([r["Code"] for r in e.response["CancellationReasons"]], ["ConditionalCheckFailed"], "reasons")
    token = "same-request"
    for _ in range(2):
        c.transact_write_items(ClientRequestToken=token, TransactItems=[
            {"Update": {"TableName": "Txn", "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}}, "UpdateExpression": "ADD n :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}}}}])
    eq(table.get_item(Key={"pk": "a", "sk": 1})["Item"]["n"], Decimal(2), "an idempotent retry applies once")
    expect_error("IdempotentParameterMismatchException", 400, c.transact_write_items, ClientRequestToken=token, TransactItems=[
        {"Delete": {"TableName": "Txn", "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}}}}])
    got = c.transact_get_items(TransactItems=[{"Get": {"TableName": "Txn", "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}}}},
                                              {"Get": {"TableName": "Txn", "Key": {"pk": {"S": "zz"}, "sk": {"N": "1"}}}}])
    eq(len(got["Responses"]), 2, "transact_get_items answers every get")
    eq(got["Responses"][1], {}, "a missing item is an empty response")


@case
def consumed_capacity():
    c = boto3.client("dynamodb")
    keyed_table(boto3.resource("dynamodb"), "Cap",
                defs=[{"AttributeName": "g", "AttributeType": "S"}],
                GlobalSecondaryIndexes=[{"IndexName": "byG", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                         "Projection": {"ProjectionType": "ALL"}}])
    item = {"pk": {"S": "a"}, "sk": {"N": "1"}, "g": {"S": "x"}}
    total = c.put_item(TableName="Cap", Item=item, ReturnConsumedCapacity="TOTAL")["ConsumedCapacity"]
    eq(total, {"TableName": "Cap", "CapacityUnits": 2.0, "WriteCapacityUnits": 2.0}, "put TOTAL")
    moved = dict(item, g={"S": "y"})
    indexes = c.put_item(TableName="Cap", Item=moved, ReturnConsumedCapacity="INDEXES")["ConsumedCapacity"]
    eq(indexes["CapacityUnits"], 3.0, "put INDEXES total")
    eq(indexes["Table"], {"CapacityUnits": 1.0, "WriteCapacityUnits": 1.0}, "put INDEXES table")
    eq(indexes["GlobalSecondaryIndexes"], {"byG": {"CapacityUnits": 2.0, "WriteCapacityUnits": 2.0}}, "put INDEXES index (a moved entry is a delete and a put)")
    same = c.put_item(TableName="Cap", Item=moved, ReturnConsumedCapacity="INDEXES")["ConsumedCapacity"]
    eq(same["CapacityUnits"], 1.0, "an unchanged item does not write the index")
    check("ConsumedCapacity" not in c.put_item(TableName="Cap", Item=item), "no capacity unless asked")
    got = c.get_item(TableName="Cap", Key={"pk": {"S": "a"}, "sk": {"N": "1"}}, ReturnConsumedCapacity="TOTAL")["ConsumedCapacity"]
    eq(got, {"TableName": "Cap", "CapacityUnits": 0.5, "ReadCapacityUnits": 0.5}, "eventually consistent get")
    got = c.get_item(TableName="Cap", Key={"pk": {"S": "a"}, "sk": {"N": "1"}}, ConsistentRead=True, ReturnConsumedCapacity="TOTAL")["ConsumedCapacity"]
    eq(got["CapacityUnits"], 1.0, "strongly consistent get")
    q = c.query(TableName="Cap", IndexName="byG", KeyConditionExpression="g = :g", ExpressionAttributeValues={":g": {"S": "y"}},
                ReturnConsumedCapacity="INDEXES")["ConsumedCapacity"]
    eq(q["GlobalSecondaryIndexes"], {"byG": {"CapacityUnits": 0.5, "ReadCapacityUnits": 0.5}}, "GSI query INDEXES")
    batch = c.batch_get_item(RequestItems={"Cap": {"Keys": [{"pk": {"S": "a"}, "sk": {"N": "1"}}]}}, ReturnConsumedCapacity="TOTAL")
    eq(batch["ConsumedCapacity"], [{"TableName": "Cap", "CapacityUnits": 0.5, "ReadCapacityUnits": 0.5}], "batch get TOTAL")


@case
def query_filter_on_key():
    table = keyed_table(boto3.resource("dynamodb"), "Filtered")
    table.put_item(Item={"pk": "a", "sk": 1, "n": 1})
    err = expect_error("ValidationException", 400, table.query, KeyConditionExpression=Key("pk").eq("a"), FilterExpression=Attr("sk").gt(0))
    eq(err["Error"]["Message"], "Filter Expression can only contain non-primary key attributes: Primary key attribute: sk", "message")
    eq(table.query(KeyConditionExpression=Key("pk").eq("a") & Key("sk").gt(0), FilterExpression=Attr("n").eq(1))["Count"], 1, "key condition")
    eq(table.scan(FilterExpression=Attr("sk").gt(0))["Count"], 1, "Scan filters on keys")


@case
def client_errors():
    ddb = boto3.resource("dynamodb")
    c = ddb.meta.client
    try:
        ddb.Table("Absent").load()
        raise AssertionError("loaded a missing table")
    except c.exceptions.ResourceNotFoundException as e:
        eq(e.response["Error"]["Message"], "Requested resource not found: Table: Absent not found", "message")
    table = keyed_table(ddb, "Errs")
    table.put_item(Item={"pk": "a", "sk": 1, "n": 1})
    try:
        table.put_item(Item={"pk": "a", "sk": 1}, ConditionExpression=Attr("pk").not_exists(), ReturnValuesOnConditionCheckFailure="ALL_OLD")
        raise AssertionError("conditional put went through")
    except c.exceptions.ConditionalCheckFailedException as e:
        eq(e.response["Error"]["Message"], "The conditional request failed", "message")
        eq(e.response["Item"], {"pk": {"S": "a"}, "sk": {"N": "1"}, "n": {"N": "1"}}, "old item in the error")
    err = expect_error("ValidationException", 400, table.get_item, Key={"pk": "a"})
    eq(err["Error"]["Message"], "The provided key element does not match the schema", "missing key part")
    err = expect_error("ValidationException", 400, table.put_item, Item={"pk": "", "sk": 1})
    check("cannot contain an empty string value" in err["Error"]["Message"], err)
    err = expect_error("ValidationException", 400, table.update_item, Key={"pk": "a", "sk": 1}, UpdateExpression="SET pk = :v",
                       ExpressionAttributeValues={":v": "b"})
    eq(err["Error"]["Message"], "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key", "key update")
    expect_error("ResourceInUseException", 400, c.create_table, TableName="Errs", BillingMode="PAY_PER_REQUEST",
                 KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])


if __name__ == "__main__":
    run()
