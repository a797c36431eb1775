"""boto3 with virtual-hosted-style addressing (http://<bucket>.s3.localhost:<port>/key):
python3 s3_virtual_host.py [case...]

The names under .localhost are resolved to 127.0.0.1 inside this process,
so no DNS is needed; every request still carries the bucket in its Host.
"""

import socket
from urllib.parse import urlparse

import boto3
from botocore.config import Config

from s3check import ENDPOINT, bucket_name, case, check, empty_bucket, eq, expect_error, run

_getaddrinfo = socket.getaddrinfo


def _resolve_localhost(host, *args, **kwargs):
    if isinstance(host, str) and host.endswith(".localhost"):
        host = "127.0.0.1"
    return _getaddrinfo(host, *args, **kwargs)


socket.getaddrinfo = _resolve_localhost


def virtual_client():
    port = urlparse(ENDPOINT).port
    return boto3.client("s3", endpoint_url=f"http://s3.localhost:{port}",
                        config=Config(s3={"addressing_style": "virtual"}))


@case
def virtual_hosted():
    s3 = virtual_client()
    hosts = []
    s3.meta.events.register("before-send.s3", lambda request, **kw: hosts.append(urlparse(request.url).hostname))

    for b in [bucket_name("vhost"), bucket_name("v.host.dotted")]:
        hosts.clear()
        s3.create_bucket(Bucket=b)
        eq(hosts, [f"{b}.s3.localhost"], "the client did not address the bucket by host")
        s3.put_object(Bucket=b, Key="dir/file.txt", Body=b"virtual", Metadata={"m": "1"})
        got = s3.get_object(Bucket=b, Key="dir/file.txt")
        eq((got["Body"].read(), got["Metadata"]), (b"virtual", {"m": "1"}), "object through the bucket host")
        eq([o["Key"] for o in s3.list_objects_v2(Bucket=b)["Contents"]], ["dir/file.txt"], "listing through the bucket host")
        s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
        eq(s3.get_bucket_versioning(Bucket=b)["Status"], "Enabled", "sub-resource through the bucket host")
        expect_error("NoSuchKey", 404, s3.get_object, Bucket=b, Key="missing")
        url = s3.generate_presigned_url("get_object", Params={"Bucket": b, "Key": "dir/file.txt"})
        check(urlparse(url).hostname == f"{b}.s3.localhost", "presigned URL host", url)
        empty_bucket(s3, b)
        expect_error("NoSuchBucket", 404, s3.list_objects_v2, Bucket=b)
    hosts.clear()
    s3.list_buckets()
    eq(hosts, ["s3.localhost"], "ListBuckets host")


if __name__ == "__main__":
    run()
