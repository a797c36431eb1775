"""boto3 client API against Nimbus DynamoDB: python3 dynamodb_client.py [case...]"""

import boto3
from botocore.exceptions import ClientError

from s3check import case, check, eq, expect_error, run


def ddb():
    return boto3.client("dynamodb")


def make_table(c, name, **extra):
    c.create_table(
        TableName=name,
        AttributeDefinitions=extra.pop("defs", [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}]),
        KeySchema=extra.pop("keys", [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]),
        BillingMode="PAY_PER_REQUEST",
        **extra,
    )
    c.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 10})


@case
def tables():
    c = ddb()
    out = c.create_table(
        TableName="Prov",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
    )
    eq(out["TableDescription"]["TableStatus"], "CREATING", "CreateTable status")
    c.get_waiter("table_exists").wait(TableName="Prov", WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    d = c.describe_table(TableName="Prov")["Table"]
    eq(d["TableStatus"], "ACTIVE", "status")
    eq(d["ProvisionedThroughput"]["ReadCapacityUnits"], 5, "RCU")
    check(d["TableArn"].endswith(":table/Prov"), "arn", d["TableArn"])
    c.update_table(TableName="Prov", BillingMode="PAY_PER_REQUEST")
    d = c.describe_table(TableName="Prov")["Table"]
    eq(d["BillingModeSummary"]["BillingMode"], "PAY_PER_REQUEST", "billing")
    names = []
    for page in c.get_paginator("list_tables").paginate(PaginationConfig={"PageSize": 1}):
        names += page["TableNames"]
    eq(names, ["Prov"], "list_tables")
    c.delete_table(TableName="Prov")
    c.get_waiter("table_not_exists").wait(TableName="Prov", WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    eq(c.describe_endpoints()["Endpoints"][0]["CachePeriodInMinutes"], 1440, "describe_endpoints")
    check(c.describe_limits()["TableMaxReadCapacityUnits"] > 0, "describe_limits")


@case
def items():
    c = ddb()
    make_table(c, "Things")
    c.put_item(TableName="Things", Item={
        "pk": {"S": "a"}, "sk": {"N": "1"}, "n": {"N": "1.50"}, "ns": {"NS": ["1", "2"]}, "ss": {"SS": ["x", "y"]},
        "b": {"B": b"\x00\x01"}, "m": {"M": {"inner": {"L": [{"S": "v"}, {"NULL": True}, {"BOOL": False}]}}},
    })
    got = c.get_item(TableName="Things", Key={"pk": {"S": "a"}, "sk": {"N": "1"}}, ConsistentRead=True)["Item"]
    eq(got["n"], {"N": "1.5"}, "numbers come back canonical")
    eq(got["b"], {"B": b"\x00\x01"}, "binary")
    eq(sorted(got["ns"]["NS"]), ["1", "2"], "number set")
    eq(got["m"]["M"]["inner"]["L"][1], {"NULL": True}, "nested null")
    proj = c.get_item(TableName="Things", Key={"pk": {"S": "a"}, "sk": {"N": "1"}}, ProjectionExpression="#m.#i[0], n",
                      ExpressionAttributeNames={"#m": "m", "#i": "inner"})["Item"]
    eq(proj, {"m": {"M": {"inner": {"L": [{"S": "v"}]}}}, "n": {"N": "1.5"}}, "projection")
    legacy = c.get_item(TableName="Things", Key={"pk": {"S": "a"}, "sk": {"N": "1"}}, AttributesToGet=["n"])["Item"]
    eq(legacy, {"n": {"N": "1.5"}}, "AttributesToGet")

    out = c.update_item(TableName="Things", Key={"pk": {"S": "a"}, "sk": {"N": "1"}},
                        UpdateExpression="SET n = n + :d, l = list_append(if_not_exists(l, :empty), :one) ADD ns :three DELETE ss :x REMOVE b",
                        ExpressionAttributeValues={":d": {"N": "2"}, ":empty": {"L": []}, ":one": {"L": [{"N": "1"}]},
                                                   ":three": {"NS": ["3"]}, ":x": {"SS": ["x"]}},
                        ReturnValues="ALL_NEW")["Attributes"]
    eq(out["n"], {"N": "3.5"}, "SET arithmetic")
    eq(out["l"], {"L": [{"N": "1"}]}, "list_append")
    eq(sorted(out["ns"]["NS"]), ["1", "2", "3"], "ADD to set")
    eq(out["ss"], {"SS": ["y"]}, "DELETE from set")
    check("b" not in out, "REMOVE")

    # Legacy parameters.
    c.update_item(TableName="Things", Key={"pk": {"S": "a"}, "sk": {"N": "2"}},
                  AttributeUpdates={"cnt": {"Action": "ADD", "Value": {"N": "5"}}},
                  Expected={"cnt": {"Exists": False}})
    got = c.get_item(TableName="Things", Key={"pk": {"S": "a"}, "sk": {"N": "2"}})["Item"]
    eq(got, {"pk": {"S": "a"}, "sk": {"N": "2"}, "cnt": {"N": "5"}}, "AttributeUpdates creates the item")

    cap = c.put_item(TableName="Things", Item={"pk": {"S": "a"}, "sk": {"N": "3"}, "big": {"S": "x" * 3000}},
                     ReturnConsumedCapacity="TOTAL")["ConsumedCapacity"]
    eq(cap, {"TableName": "Things", "CapacityUnits": 3.0, "WriteCapacityUnits": 3.0}, "write capacity")
    cap = c.get_item(TableName="Things", Key={"pk": {"S": "a"}, "sk": {"N": "3"}}, ReturnConsumedCapacity="TOTAL")["ConsumedCapacity"]
    eq(cap["CapacityUnits"], 0.5, "eventually consistent read capacity")

    old = c.delete_item(TableName="Things", Key={"pk": {"S": "a"}, "sk": {"N": "2"}}, ReturnValues="ALL_OLD")["Attributes"]
    eq(old["cnt"], {"N": "5"}, "ALL_OLD")
    check("Item" not in c.get_item(TableName="Things", Key={"pk": {"S": "a"}, "sk": {"N": "2"}}), "deleted")


@case
def query_scan():
    c = ddb()
    make_table(c, "Series")
    for pk in ("a", "b"):
        for sk in range(20):
            c.put_item(TableName="Series", Item={"pk": {"S": pk}, "sk": {"N": str(sk)}, "even": {"BOOL": sk % 2 == 0}})
    items = []
    for page in c.get_paginator("query").paginate(TableName="Series", KeyConditionExpression="pk = :p AND sk >= :lo",
                                                  ExpressionAttributeValues={":p": {"S": "a"}, ":lo": {"N": "5"}},
                                                  PaginationConfig={"PageSize": 4}):
        items += page["Items"]
    eq([int(i["sk"]["N"]) for i in items], list(range(5, 20)), "query pages in order")
    out = c.query(TableName="Series", KeyConditions={"pk": {"AttributeValueList": [{"S": "b"}], "ComparisonOperator": "EQ"}},
                  QueryFilter={"even": {"AttributeValueList": [{"BOOL": True}], "ComparisonOperator": "EQ"}},
                  ScanIndexForward=False, Limit=6)
    eq(out["ScannedCount"], 6, "Limit applies before the filter")
    eq([int(i["sk"]["N"]) for i in out["Items"]], [18, 16, 14], "legacy query, newest first")
    eq(out["LastEvaluatedKey"], {"pk": {"S": "b"}, "sk": {"N": "14"}}, "LastEvaluatedKey")
    total = 0
    for page in c.get_paginator("scan").paginate(TableName="Series", PaginationConfig={"PageSize": 7}):
        total += page["Count"]
    eq(total, 40, "scan")
    out = c.scan(TableName="Series", ScanFilter={"even": {"AttributeValueList": [{"BOOL": False}], "ComparisonOperator": "EQ"}}, Select="COUNT")
    eq((out["Count"], out["ScannedCount"]), (20, 40), "scan count")


@case
def errors():
    c = ddb()
    make_table(c, "Strict", defs=[{"AttributeName": "id", "AttributeType": "S"}], keys=[{"AttributeName": "id", "KeyType": "HASH"}])
    e = expect_error("ValidationException", 400, c.put_item, TableName="Strict", Item={"id": {"S": ""}})
    eq(e["Error"]["Message"], "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: id", "empty key")
    e = expect_error("ValidationException", 400, c.put_item, TableName="Strict", Item={"id": {"N": "1"}})
    eq(e["Error"]["Message"], "One or more parameter values were invalid: Type mismatch for key id expected: S actual: N", "type mismatch")
    e = expect_error("ValidationException", 400, c.get_item, TableName="Strict", Key={"nope": {"S": "x"}})
    eq(e["Error"]["Message"], "The provided key element does not match the schema", "key schema")
    e = expect_error("ResourceNotFoundException", 400, c.describe_table, TableName="Missing")
    eq(e["Error"]["Message"], "Requested resource not found: Table: Missing not found", "missing table")
    c.put_item(TableName="Strict", Item={"id": {"S": "x"}, "v": {"N": "1"}})
    e = expect_error("ConditionalCheckFailedException", 400, c.put_item, TableName="Strict", Item={"id": {"S": "x"}},
                     ConditionExpression="attribute_not_exists(id)", ReturnValuesOnConditionCheckFailure="ALL_OLD")
    eq(e["Item"], {"id": {"S": "x"}, "v": {"N": "1"}}, "item on conditional failure")
    e = expect_error("ValidationException", 400, c.update_item, TableName="Strict", Key={"id": {"S": "x"}},
                     UpdateExpression="SET v = :v", ExpressionAttributeValues={":v": {"N": "1"}, ":w": {"N": "2"}})
    check("unused" in e["Error"]["Message"].lower(), "unused values:", e["Error"]["Message"])
    try:
        c.put_item(TableName="Strict", Item={"id": {"S": "y"}}, ConditionExpression="attribute_exists(id)")
        raise AssertionError("conditional put succeeded")
    except c.exceptions.ConditionalCheckFailedException:
        pass


if __name__ == "__main__":
    run()
