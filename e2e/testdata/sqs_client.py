"""SQS through boto3's client (the JSON protocol of current botocore)."""

import hashlib
import struct
import threading
import time

import boto3

from s3check import case, check, eq, expect_error, run


def sqs():
    return boto3.client("sqs")


def attributes_md5(attrs):
    """SQS's digest of message attributes, written independently of Nimbus."""
    h = hashlib.md5()
    for name in sorted(attrs):
        v = attrs[name]
        for part in (name, v["DataType"]):
            b = part.encode()
            h.update(struct.pack(">I", len(b)) + b)
        if "StringValue" in v:
            b = v["StringValue"].encode()
            h.update(b"\x01" + struct.pack(">I", len(b)) + b)
        else:
            b = v["BinaryValue"]
            h.update(b"\x02" + struct.pack(">I", len(b)) + b)
    return h.hexdigest()


@case
def queues():
    c = sqs()
    url = c.create_queue(QueueName="py-q", Attributes={"VisibilityTimeout": "12"}, tags={"k": "v"})["QueueUrl"]
    check(url.endswith("/000000000000/py-q"), url)
    eq(c.get_queue_url(QueueName="py-q")["QueueUrl"], url, "get_queue_url")
    attrs = c.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    eq(attrs["VisibilityTimeout"], "12", "VisibilityTimeout")
    eq(attrs["QueueArn"], "arn:aws:sqs:us-east-1:000000000000:py-q", "QueueArn")
    eq(c.list_queue_tags(QueueUrl=url)["Tags"], {"k": "v"}, "tags")
    expect_error("QueueAlreadyExists", 400, c.create_queue, QueueName="py-q", Attributes={"VisibilityTimeout": "13"})
    expect_error("InvalidAttributeName", 400, c.get_queue_attributes, QueueUrl=url, AttributeNames=["Nope"])
    expect_error("AWS.SimpleQueueService.NonExistentQueue", 400, c.get_queue_url, QueueName="missing")
    try:
        c.get_queue_url(QueueName="missing")
    except c.exceptions.QueueDoesNotExist:
        pass
    c.delete_queue(QueueUrl=url)
    expect_error("AWS.SimpleQueueService.QueueDeletedRecently", 400, c.create_queue, QueueName="py-q")


@case
def messages():
    c = sqs()
    url = c.create_queue(QueueName="py-m")["QueueUrl"]
    attrs = {
        "s": {"DataType": "String", "StringValue": "héllo"},
        "n": {"DataType": "Number.int", "StringValue": "42"},
        "b": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xff"},
    }
    # botocore checks MD5OfMessageBody and MD5OfMessageAttributes itself.
    sent = c.send_message(QueueUrl=url, MessageBody="body ✓", MessageAttributes=attrs,
                          MessageSystemAttributes={"AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1-abc"}})
    eq(sent["MD5OfMessageBody"], hashlib.md5("body ✓".encode()).hexdigest(), "body md5")
    eq(sent["MD5OfMessageAttributes"], attributes_md5(attrs), "attributes md5")
    check("MD5OfMessageSystemAttributes" in sent, sent)
    got = c.receive_message(QueueUrl=url, MessageAttributeNames=["All"], MessageSystemAttributeNames=["All"],
                            WaitTimeSeconds=1)["Messages"]
    eq(len(got), 1, "messages")
    m = got[0]
    eq(m["Body"], "body ✓", "body")
    eq(m["MessageAttributes"]["b"]["BinaryValue"], b"\x00\x01\xff", "binary attribute")
    eq(m["Attributes"]["AWSTraceHeader"], "Root=1-abc", "trace header")
    # A prefix filter returns the matching attributes and their own digest.
    c.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
    m = c.receive_message(QueueUrl=url, MessageAttributeNames=["s"])["Messages"][0]
    eq(list(m["MessageAttributes"]), ["s"], "filtered attributes")
    eq(m["MD5OfMessageAttributes"], attributes_md5({"s": attrs["s"]}), "filtered md5")
    c.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    expect_error("ReceiptHandleIsInvalid", 404, c.delete_message, QueueUrl=url, ReceiptHandle="junk")
    expect_error("InvalidParameterValue", 400, c.receive_message, QueueUrl=url, MaxNumberOfMessages=11)
    expect_error("InvalidParameterValue", 400, c.send_message, QueueUrl=url, MessageBody="x",
                 MessageAttributes={f"a{i}": {"DataType": "String", "StringValue": "v"} for i in range(11)})
    expect_error("InvalidMessageContents", 400, c.send_message, QueueUrl=url, MessageBody="\ufffe")

    entries = [{"Id": f"e{i}", "MessageBody": f"m{i}", "MessageAttributes": {"i": {"DataType": "Number", "StringValue": str(i)}}}
               for i in range(10)]
    out = c.send_message_batch(QueueUrl=url, Entries=entries)
    eq(len(out["Successful"]), 10, "batch sent")
    seen = set()
    while len(seen) < 10:
        msgs = c.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, MessageAttributeNames=[".*"]).get("Messages", [])
        check(msgs, "queue drained early", seen)
        d = c.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)])
        eq(len(d["Successful"]), len(msgs), "batch deleted")
        seen.update(m["Body"] for m in msgs)
    expect_error("AWS.SimpleQueueService.EmptyBatchRequest", 400, c.delete_message_batch, QueueUrl=url, Entries=[])


@case
def long_poll():
    c = sqs()
    url = c.create_queue(QueueName="py-lp", Attributes={"ReceiveMessageWaitTimeSeconds": "20"})["QueueUrl"]
    result = {}

    def receive():
        start = time.monotonic()
        result["msgs"] = sqs().receive_message(QueueUrl=url).get("Messages", [])
        result["took"] = time.monotonic() - start

    t = threading.Thread(target=receive)
    t.start()
    time.sleep(0.5)
    c.send_message(QueueUrl=url, MessageBody="now")
    t.join(15)
    eq(len(result.get("msgs", [])), 1, "long poll result")
    check(result["took"] < 10, "long poll took", result["took"])


@case
def fifo():
    c = sqs()
    url = c.create_queue(QueueName="py-f.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    expect_error("InvalidParameterValue", 400, c.send_message, QueueUrl=url, MessageBody="x", MessageGroupId="g")
    ids = []
    for i in range(5):
        r = c.send_message(QueueUrl=url, MessageBody=f"m{i}", MessageGroupId="g", MessageDeduplicationId=f"d{i}")
        ids.append(r["MessageId"])
        check(r["SequenceNumber"].isdigit(), r)
    dup = c.send_message(QueueUrl=url, MessageBody="other", MessageGroupId="g", MessageDeduplicationId="d0")
    eq(dup["MessageId"], ids[0], "duplicate id")
    got = c.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"],
                            ReceiveRequestAttemptId="attempt-1")["Messages"]
    eq([m["Body"] for m in got], [f"m{i}" for i in range(5)], "order")
    eq(got[0]["Attributes"]["MessageGroupId"], "g", "group attribute")
    again = c.receive_message(QueueUrl=url, MaxNumberOfMessages=10, ReceiveRequestAttemptId="attempt-1")["Messages"]
    eq([m["ReceiptHandle"] for m in again], [m["ReceiptHandle"] for m in got], "retried attempt")
    empty = c.receive_message(QueueUrl=url)
    check("Messages" not in empty, f"an empty receive has no Messages member, as SQS answers: {empty}")


@case
def dead_letters():
    c = sqs()
    dlq = c.create_queue(QueueName="py-dlq")["QueueUrl"]
    arn = c.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    expect_error("InvalidParameterValue", 400, c.create_queue, QueueName="py-bad",
                 Attributes={"RedrivePolicy": '{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:none","maxReceiveCount":1}'})
    src = c.create_queue(QueueName="py-src", Attributes={
        "RedrivePolicy": '{"deadLetterTargetArn":"%s","maxReceiveCount":1}' % arn, "VisibilityTimeout": "0"})["QueueUrl"]
    c.send_message(QueueUrl=src, MessageBody="poison")
    eq(len(c.receive_message(QueueUrl=src)["Messages"]), 1, "first receive")
    eq(c.receive_message(QueueUrl=src).get("Messages", []), [], "moved away")
    eq(c.receive_message(QueueUrl=dlq, WaitTimeSeconds=1)["Messages"][0]["Body"], "poison", "in the dead-letter queue")
    eq(c.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"], [src], "sources")


run()
