"""boto3 resource API against Nimbus DynamoDB: python3 dynamodb_resource.py [case...]"""

from decimal import Decimal

import boto3
from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from s3check import case, check, eq, run


def music_table(ddb):
    table = ddb.create_table(
        TableName="Music",
        KeySchema=[{"AttributeName": "artist", "KeyType": "HASH"}, {"AttributeName": "song", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "artist", "AttributeType": "S"},
            {"AttributeName": "song", "AttributeType": "S"},
            {"AttributeName": "year", "AttributeType": "N"},
        ],
        GlobalSecondaryIndexes=[{
            "IndexName": "byYear",
            "KeySchema": [{"AttributeName": "year", "KeyType": "HASH"}, {"AttributeName": "song", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"},
        }],
        BillingMode="PAY_PER_REQUEST",
    )
    table.wait_until_exists()
    return table


@case
def table_and_items():
    ddb = boto3.resource("dynamodb")
    table = music_table(ddb)
    eq(table.table_status, "CREATING", "create_table's answer")
    table.reload()
    eq(table.table_status, "ACTIVE", "table_status after the waiter")
    table.put_item(Item={"artist": "Ada", "song": "Loops", "year": 1843, "rating": Decimal("4.5"), "tags": {"calc", "engine"}})
    item = table.get_item(Key={"artist": "Ada", "song": "Loops"})["Item"]
    eq(item["year"], Decimal(1843), "number")
    eq(item["tags"], {"calc", "engine"}, "string set")
    table.update_item(Key={"artist": "Ada", "song": "Loops"}, UpdateExpression="SET rating = rating + :d",
                      ExpressionAttributeValues={":d": Decimal("0.25")})
    eq(table.get_item(Key={"artist": "Ada", "song": "Loops"})["Item"]["rating"], Decimal("4.75"), "exact decimal arithmetic")
    table.reload()
    eq(table.item_count, 1, "item_count")
    check(table.table_size_bytes > 0, "table_size_bytes")


@case
def batch_writer():
    ddb = boto3.resource("dynamodb")
    table = music_table(ddb)
    with table.batch_writer() as batch:
        for i in range(60):
            batch.put_item(Item={"artist": f"band{i % 3}", "song": f"s{i:03d}", "year": 1990 + i % 5})
    got = table.query(KeyConditionExpression=Key("artist").eq("band1") & Key("song").begins_with("s0"))
    eq(got["Count"], 20, "query after batch_writer")
    got = table.query(IndexName="byYear", KeyConditionExpression=Key("year").eq(1992) & Key("song").between("s010", "s030"))
    eq([i["song"] for i in got["Items"]], ["s012", "s017", "s022", "s027"], "GSI query")
    items = []
    kwargs = {"FilterExpression": Attr("year").gte(1993), "Limit": 9}
    while True:
        page = table.scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    eq(len(items), 24, "paged scan with filter")
    with table.batch_writer(overwrite_by_pkeys=["artist", "song"]) as batch:
        for i in range(60):
            batch.delete_item(Key={"artist": f"band{i % 3}", "song": f"s{i:03d}"})
    eq(table.scan(Select="COUNT")["Count"], 0, "batch deletes")


@case
def conditions():
    ddb = boto3.resource("dynamodb")
    table = music_table(ddb)
    table.put_item(Item={"artist": "Bo", "song": "One", "year": 2000, "plays": 1})
    try:
        table.put_item(Item={"artist": "Bo", "song": "One", "year": 2001}, ConditionExpression=Attr("artist").not_exists())
        raise AssertionError("conditional put succeeded")
    except ClientError as e:
        eq(e.response["Error"]["Code"], "ConditionalCheckFailedException", "code")
    table.update_item(Key={"artist": "Bo", "song": "One"}, UpdateExpression="ADD plays :one",
                      ConditionExpression=Attr("plays").lt(5) & Attr("year").between(1990, 2010),
                      ExpressionAttributeValues={":one": 1})
    eq(table.get_item(Key={"artist": "Bo", "song": "One"})["Item"]["plays"], Decimal(2), "conditional ADD")
    got = table.query(KeyConditionExpression=Key("artist").eq("Bo"), FilterExpression=Attr("plays").eq(2) & Attr("missing").not_exists())
    eq(got["Count"], 1, "filter")


if __name__ == "__main__":
    run()
