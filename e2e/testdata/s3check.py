"""Helpers shared by the boto3 end-to-end scripts.

Each script registers its checks with @case and ends with run(); the Go test
runs `python3 script.py <case>` and reads the exit status. A failed check
raises and prints why.
"""

import base64
import hashlib
import os
import sys
import traceback
import uuid
import zlib

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = os.environ["AWS_ENDPOINT_URL"]

_cases = {}


def case(fn):
    _cases[fn.__name__] = fn
    return fn


def run():
    names = sys.argv[1:] or list(_cases)
    for name in names:
        if name not in _cases:
            print(f"no case {name!r}; cases: {', '.join(_cases)}")
            sys.exit(2)
        try:
            _cases[name]()
        except Exception:
            print(f"case {name} failed:")
            traceback.print_exc()
            sys.exit(1)
        print(f"case {name} ok")


def client(region=None, **config):
    """An S3 client for the cloud; config goes to botocore's Config."""
    kwargs = {}
    if region:
        kwargs["region_name"] = region
    return boto3.client("s3", config=Config(**config), **kwargs)


def bucket_name(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def check(cond, *what):
    if not cond:
        raise AssertionError(" ".join(str(w) for w in what))


def eq(got, want, what=""):
    if got != want:
        raise AssertionError(f"{what}: got {got!r}, want {want!r}")


def expect_error(code, status, fn, *args, **kwargs):
    """Calls fn and checks it fails with the AWS error code and HTTP status;
    returns the error response."""
    try:
        fn(*args, **kwargs)
    except ClientError as e:
        got_code = e.response["Error"]["Code"]
        got_status = e.response["ResponseMetadata"]["HTTPStatusCode"]
        if got_code != code or got_status != status:
            raise AssertionError(
                f"{fn.__name__}: got {got_code} ({got_status}), want {code} ({status}): {e.response}"
            )
        check(e.response["ResponseMetadata"].get("RequestId"), "error without a request id:", e.response)
        return e.response
    raise AssertionError(f"{fn.__name__}: succeeded, want {code} ({status})")


def test_bytes(size, seed=0):
    """size deterministic bytes."""
    out = bytearray()
    block = hashlib.sha256(f"nimbus-{seed}".encode()).digest()
    while len(out) < size:
        out += block
        block = hashlib.sha256(block).digest()
    return bytes(out[:size])


def md5_etag(data):
    return '"' + hashlib.md5(data).hexdigest() + '"'


def b64(digest):
    return base64.b64encode(digest).decode()


def crc32_b64(data):
    return b64(zlib.crc32(data).to_bytes(4, "big"))


_crc32c_table = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _crc32c_table.append(_c)


def crc32c_b64(data):
    """CRC32C (Castagnoli), which botocore computes only with awscrt."""
    c = 0xFFFFFFFF
    for byte in data:
        c = _crc32c_table[(c ^ byte) & 0xFF] ^ (c >> 8)
    return b64((c ^ 0xFFFFFFFF).to_bytes(4, "big"))


def sha256_b64(data):
    return b64(hashlib.sha256(data).digest())


def sha1_b64(data):
    return b64(hashlib.sha1(data).digest())


def empty_bucket(s3, bucket):
    """Deletes every version and delete marker, then the bucket."""
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        objs = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
        if objs:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": objs, "Quiet": True})
    s3.delete_bucket(Bucket=bucket)
