"""SNS through boto3's client (query protocol), with SQS and S3 around it."""

import json
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer

import boto3

from s3check import bucket_name, case, check, eq, expect_error, run


def sns():
    return boto3.client("sns")


def sqs():
    return boto3.client("sqs")


def queue(name, **attrs):
    c = sqs()
    url = c.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]
    arn = c.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def drain(url, n, timeout=20):
    """Receives (and deletes) n messages, then checks no more arrive."""
    c = sqs()
    got = []
    deadline = time.time() + timeout
    while len(got) < n and time.time() < deadline:
        res = c.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                MessageAttributeNames=["All"], AttributeNames=["All"])
        for m in res.get("Messages", []):
            got.append(m)
            c.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    eq(len(got), n, f"messages in {url}")
    eq(c.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages", []), [], f"extra messages in {url}")
    return got


@case
def topics():
    c = sns()
    arn = c.create_topic(Name="py-topic", Attributes={"DisplayName": "Py"})["TopicArn"]
    eq(arn, "arn:aws:sns:us-east-1:000000000000:py-topic", "TopicArn")
    eq(c.create_topic(Name="py-topic", Attributes={"DisplayName": "Py"})["TopicArn"], arn, "idempotent create")
    expect_error("InvalidParameter", 400, c.create_topic, Name="py-topic", Attributes={"DisplayName": "Other"})
    expect_error("InvalidParameter", 400, c.create_topic, Name="bad name")
    attrs = c.get_topic_attributes(TopicArn=arn)["Attributes"]
    for k in ("Policy", "Owner", "TopicArn", "EffectiveDeliveryPolicy", "SubscriptionsConfirmed", "SubscriptionsPending", "SubscriptionsDeleted"):
        check(k in attrs, "no attribute", k, attrs)
    policy = json.loads(attrs["Policy"])
    eq(policy["Statement"][0]["Sid"], "__default_statement_ID", "default policy")
    c.set_topic_attributes(TopicArn=arn, AttributeName="DisplayName", AttributeValue="Renamed")
    eq(c.get_topic_attributes(TopicArn=arn)["Attributes"]["DisplayName"], "Renamed", "DisplayName")
    for i in range(120):
        c.create_topic(Name=f"many-{i:03d}")
    arns = [t["TopicArn"] for page in c.get_paginator("list_topics").paginate() for t in page["Topics"]]
    eq(len(arns), 121, "topics listed")
    c.tag_resource(ResourceArn=arn, Tags=[{"Key": "a", "Value": "1"}])
    eq(c.list_tags_for_resource(ResourceArn=arn)["Tags"], [{"Key": "a", "Value": "1"}], "tags")
    c.delete_topic(TopicArn=arn)
    expect_error("NotFound", 404, c.get_topic_attributes, TopicArn=arn)
    try:
        c.get_topic_attributes(TopicArn=arn)
    except c.exceptions.NotFoundException:
        pass


@case
def fanout():
    c = sns()
    topic = c.create_topic(Name="py-fanout")["TopicArn"]
    all_url, all_arn = queue("py-all")
    raw_url, raw_arn = queue("py-raw")
    blue_url, blue_arn = queue("py-blue")
    body_url, body_arn = queue("py-body")
    c.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=all_arn)
    c.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=raw_arn, Attributes={"RawMessageDelivery": "true"})
    c.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=blue_arn,
                Attributes={"FilterPolicy": json.dumps({"color": [{"anything-but": ["red"]}], "n": [{"numeric": [">", 1, "<=", 5]}]})})
    c.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=body_arn,
                Attributes={"FilterPolicyScope": "MessageBody", "FilterPolicy": json.dumps({"user": {"tier": [{"equals-ignore-case": "GOLD"}]}})})
    c.publish(TopicArn=topic, Message="red one", MessageAttributes={
        "color": {"DataType": "String", "StringValue": "red"}, "n": {"DataType": "Number", "StringValue": "3"}})
    c.publish(TopicArn=topic, Message="blue one", Subject="Blue", MessageAttributes={
        "color": {"DataType": "String", "StringValue": "blue"}, "n": {"DataType": "Number", "StringValue": "3"},
        "bin": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}})
    c.publish(TopicArn=topic, Message=json.dumps({"user": {"tier": "gold"}}))
    envelopes = [json.loads(m["Body"]) for m in drain(all_url, 3)]
    for e in envelopes:
        eq(e["Type"], "Notification", "Type")
        eq(e["TopicArn"], topic, "TopicArn")
        for k in ("MessageId", "Timestamp", "Signature", "SigningCertURL", "UnsubscribeURL"):
            check(e.get(k), "envelope without", k, e)
    blue = [e for e in envelopes if e["Message"] == "blue one"][0]
    eq(blue["Subject"], "Blue", "Subject")
    eq(blue["MessageAttributes"]["bin"], {"Type": "Binary", "Value": "AAE="}, "binary attribute")
    raw = drain(raw_url, 3)
    blue_raw = [m for m in raw if m["Body"] == "blue one"][0]
    eq(blue_raw["MessageAttributes"]["color"]["StringValue"], "blue", "raw attribute")
    eq(blue_raw["MessageAttributes"]["bin"]["BinaryValue"], b"\x00\x01", "raw binary attribute")
    eq(json.loads(drain(blue_url, 1)[0]["Body"])["Message"], "blue one", "filtered by attributes")
    eq(json.loads(json.loads(drain(body_url, 1)[0]["Body"])["Message"]), {"user": {"tier": "gold"}}, "filtered by body")
    res = c.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": "1", "Message": "b1"}, {"Id": "2", "Message": "b2"}])
    eq(len(res["Successful"]), 2, "publish_batch")
    drain(raw_url, 2)
    expect_error("InvalidParameter", 400, c.publish, TopicArn=topic, MessageStructure="json", Message='{"sqs":"x"}')
    expect_error("ParameterValueInvalid", 400, c.publish, TopicArn=topic, Message="x",
                 MessageAttributes={"n": {"DataType": "Number", "StringValue": "ten"}})
    expect_error("BatchEntryIdsNotDistinct", 400, c.publish_batch, TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": "1", "Message": "a"}, {"Id": "1", "Message": "b"}])


class _Hook(BaseHTTPRequestHandler):
    posts = []
    fail = [0]

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hook.posts.append((dict(self.headers), json.loads(body)))
        if _Hook.fail[0] > 0:
            _Hook.fail[0] -= 1
            self.send_response(500)
        else:
            self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def _wait_posts(n, timeout=20):
    deadline = time.time() + timeout
    while len(_Hook.posts) < n and time.time() < deadline:
        time.sleep(0.05)
    eq(len(_Hook.posts), n, "posts received")


@case
def http_subscriber():
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        c = sns()
        topic = c.create_topic(Name="py-http")["TopicArn"]
        endpoint = f"http://127.0.0.1:{server.server_port}/hook"
        res = c.subscribe(TopicArn=topic, Protocol="http", Endpoint=endpoint, Attributes={
            "DeliveryPolicy": json.dumps({"healthyRetryPolicy": {"minDelayTarget": 1, "maxDelayTarget": 1, "numRetries": 2}})})
        eq(res["SubscriptionArn"], "pending confirmation", "pending")
        _wait_posts(1)
        headers, conf = _Hook.posts[0]
        eq(headers.get("x-amz-sns-message-type"), "SubscriptionConfirmation", "message type header")
        eq(conf["Type"], "SubscriptionConfirmation", "Type")
        with urllib.request.urlopen(conf["SubscribeURL"]) as r:
            check(b"<SubscriptionArn>" + topic.encode() in r.read(), "SubscribeURL answer")
        subs = c.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        check(subs[0]["SubscriptionArn"].startswith(topic + ":"), subs)
        attrs = c.get_subscription_attributes(SubscriptionArn=subs[0]["SubscriptionArn"])["Attributes"]
        eq(attrs["PendingConfirmation"], "false", "PendingConfirmation")
        _Hook.fail[0] = 1
        c.publish(TopicArn=topic, Message="to the hook")
        _wait_posts(3)
        for headers, note in _Hook.posts[1:]:
            eq(note["Message"], "to the hook", "notification")
            eq(headers.get("x-amz-sns-message-type"), "Notification", "message type header")
            eq(headers.get("x-amz-sns-subscription-arn"), subs[0]["SubscriptionArn"], "subscription header")
    finally:
        server.shutdown()


@case
def fifo():
    c = sns()
    topic = c.create_topic(Name="py.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    url, arn = queue("py.fifo", FifoQueue="true")
    c.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    expect_error("InvalidParameter", 400, c.publish, TopicArn=topic, Message="x", MessageDeduplicationId="d")
    seqs = []
    for i in range(10):
        r = c.publish(TopicArn=topic, Message=f"m{i}", MessageGroupId="g", MessageDeduplicationId=f"d{i}")
        seqs.append(int(r["SequenceNumber"]))
    eq(seqs, sorted(seqs), "sequence numbers increase")
    dup = c.publish(TopicArn=topic, Message="again", MessageGroupId="g", MessageDeduplicationId="d0")
    eq(int(dup["SequenceNumber"]), seqs[0], "duplicate keeps the first sequence number")
    eq([m["Body"] for m in drain(url, 10)], [f"m{i}" for i in range(10)], "order")


@case
def dead_letters():
    c = sns()
    topic = c.create_topic(Name="py-dlq")["TopicArn"]
    gone_url, gone_arn = queue("py-gone")
    dlq_url, dlq_arn = queue("py-dlq")
    c.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=gone_arn,
                Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn})})
    sqs().delete_queue(QueueUrl=gone_url)
    c.publish(TopicArn=topic, Message="nowhere to go")
    eq(json.loads(drain(dlq_url, 1)[0]["Body"])["Message"], "nowhere to go", "dead letter")


@case
def s3_events():
    c, s3 = sns(), boto3.client("s3")
    topic = c.create_topic(Name="py-s3")["TopicArn"]
    url, arn = queue("py-s3-events")
    c.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    bucket = bucket_name("py-notify")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
        "TopicConfigurations": [{"TopicArn": topic, "Events": ["s3:ObjectCreated:*"]}]})
    eq(json.loads(json.loads(drain(url, 1)[0]["Body"])["Message"])["Event"], "s3:TestEvent", "test event")
    s3.put_object(Bucket=bucket, Key="dir/file name.txt", Body=b"data")
    note = json.loads(drain(url, 1)[0]["Body"])
    eq(note["Subject"], "Amazon S3 Notification", "Subject")
    rec = json.loads(note["Message"])["Records"][0]
    eq(rec["eventName"], "ObjectCreated:Put", "eventName")
    eq(rec["s3"]["object"]["key"], "dir/file+name.txt", "key")
    eq(rec["s3"]["object"]["size"], 4, "size")
    eq(rec["s3"]["bucket"]["name"], bucket, "bucket")


run()
