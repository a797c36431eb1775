"""boto3 against Nimbus DynamoDB Streams: python3 dynamodb_streams.py [case...]"""

import boto3

from s3check import case, check, eq, expect_error, run


def make_table(c, name, view):
    out = c.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": view},
    )
    c.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    return out["TableDescription"]["LatestStreamArn"]


def read_all(s, iterator):
    records = []
    while iterator:
        page = s.get_records(ShardIterator=iterator, Limit=3)
        records += page["Records"]
        iterator = page.get("NextShardIterator")
        if not page["Records"]:
            break
    return records, iterator


@case
def records():
    c = boto3.client("dynamodb")
    s = boto3.client("dynamodbstreams")
    arn = make_table(c, "Feed", "NEW_AND_OLD_IMAGES")
    streams = s.list_streams(TableName="Feed")["Streams"]
    eq([x["StreamArn"] for x in streams], [arn], "list_streams")
    desc = s.describe_stream(StreamArn=arn)["StreamDescription"]
    eq(desc["StreamStatus"], "ENABLED", "status")
    eq(desc["KeySchema"], [{"AttributeName": "pk", "KeyType": "HASH"}], "key schema")
    shard = desc["Shards"][0]
    check("EndingSequenceNumber" not in shard["SequenceNumberRange"], "open shard has an end", shard)

    for i in range(4):
        c.put_item(TableName="Feed", Item={"pk": {"S": f"k{i}"}, "n": {"N": str(i)}})
    c.update_item(TableName="Feed", Key={"pk": {"S": "k1"}}, UpdateExpression="SET n = :v", ExpressionAttributeValues={":v": {"N": "10"}})
    c.delete_item(TableName="Feed", Key={"pk": {"S": "k2"}})

    it = s.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    recs, nxt = read_all(s, it)
    eq([(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]) for r in recs],
       [("INSERT", "k0"), ("INSERT", "k1"), ("INSERT", "k2"), ("INSERT", "k3"), ("MODIFY", "k1"), ("REMOVE", "k2")], "records")
    check(nxt, "an open shard has a next iterator")
    seqs = [int(r["dynamodb"]["SequenceNumber"]) for r in recs]
    eq(seqs, sorted(seqs), "ascending sequence numbers")
    check(all(len(r["dynamodb"]["SequenceNumber"]) >= 21 for r in recs), "21-digit sequence numbers")
    mod = recs[4]
    eq(mod["dynamodb"]["OldImage"]["n"], {"N": "1"}, "old image")
    eq(mod["dynamodb"]["NewImage"]["n"], {"N": "10"}, "new image")
    eq(mod["eventVersion"], "1.1", "eventVersion")
    eq(mod["eventSource"], "aws:dynamodb", "eventSource")
    check(mod["dynamodb"]["ApproximateCreationDateTime"].year >= 2024, "creation time", mod["dynamodb"])

    after = s.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                                 SequenceNumber=recs[3]["dynamodb"]["SequenceNumber"])["ShardIterator"]
    rest, _ = read_all(s, after)
    eq([r["eventName"] for r in rest], ["MODIFY", "REMOVE"], "after sequence number")


@case
def keys_only_and_disable():
    c = boto3.client("dynamodb")
    s = boto3.client("dynamodbstreams")
    arn = make_table(c, "Keys", "KEYS_ONLY")
    c.put_item(TableName="Keys", Item={"pk": {"S": "a"}, "v": {"S": "x"}})
    c.update_table(TableName="Keys", StreamSpecification={"StreamEnabled": False})
    desc = s.describe_stream(StreamArn=arn)["StreamDescription"]
    eq(desc["StreamStatus"], "DISABLED", "status")
    shard = desc["Shards"][0]
    check("EndingSequenceNumber" in shard["SequenceNumberRange"], "closed shard", shard)
    it = s.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    page = s.get_records(ShardIterator=it)
    eq(len(page["Records"]), 1, "one record")
    rec = page["Records"][0]["dynamodb"]
    eq(rec["Keys"], {"pk": {"S": "a"}}, "keys")
    check("NewImage" not in rec and "OldImage" not in rec, "KEYS_ONLY images", rec)
    check("NextShardIterator" not in page, "closed shard read to its end", page)


@case
def errors():
    c = boto3.client("dynamodb")
    s = boto3.client("dynamodbstreams")
    arn = make_table(c, "Errs", "NEW_IMAGE")
    shard = s.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    expect_error("ValidationException", 400, s.get_records, ShardIterator="garbage")
    expect_error("ResourceNotFoundException", 400, s.describe_stream, StreamArn=arn.replace("Errs", "None"))
    expect_error("ResourceNotFoundException", 400, s.get_shard_iterator,
                 StreamArn=arn, ShardId="shardId-00000000000000000000-00000000", ShardIteratorType="LATEST")
    expect_error("ValidationException", 400, s.get_shard_iterator, StreamArn=arn, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER")
    expect_error("ResourceNotFoundException", 400, s.list_streams, TableName="Missing")


run()
