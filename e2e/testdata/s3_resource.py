"""boto3 resource API against Nimbus S3: python3 s3_resource.py [case...]"""

import io
import os
import tempfile

import boto3
from boto3.s3.transfer import TransferConfig

from s3check import bucket_name, case, check, eq, md5_etag, run, test_bytes

MiB = 1024 * 1024


@case
def buckets_and_objects():
    s3 = boto3.resource("s3")
    name = bucket_name("res")
    bucket = s3.create_bucket(Bucket=name)
    bucket.wait_until_exists()
    check(name in [b.name for b in s3.buckets.all()], "bucket not in buckets.all()")
    check(bucket.creation_date is not None, "creation_date")

    obj = bucket.Object("notes/one.txt")
    obj.put(Body=b"first note", ContentType="text/plain", Metadata={"author": "ada"})
    obj.load()
    eq(obj.content_length, 10, "content_length")
    eq(obj.content_type, "text/plain", "content_type")
    eq(obj.metadata, {"author": "ada"}, "metadata")
    eq(obj.e_tag, md5_etag(b"first note"), "e_tag")
    eq(obj.get()["Body"].read(), b"first note", "get")
    obj.wait_until_exists()

    for i in range(7):
        bucket.put_object(Key=f"notes/n{i}.txt", Body=f"note {i}".encode())
    bucket.put_object(Key="other/x", Body=b"x")
    keys = [o.key for o in bucket.objects.filter(Prefix="notes/").page_size(3)]
    eq(keys, ["notes/n0.txt", "notes/n1.txt", "notes/n2.txt", "notes/n3.txt", "notes/n4.txt", "notes/n5.txt",
              "notes/n6.txt", "notes/one.txt"], "objects.filter pages")
    summary = next(iter(bucket.objects.filter(Prefix="other/")))
    eq((summary.key, summary.size, summary.storage_class, summary.e_tag), ("other/x", 1, "STANDARD", md5_etag(b"x")),
       "ObjectSummary")
    eq(len(list(bucket.objects.limit(4))), 4, "objects.limit")

    copy = bucket.Object("notes/copy.txt")
    copy.copy_from(CopySource={"Bucket": name, "Key": "notes/one.txt"})
    eq(copy.get()["Body"].read(), b"first note", "copy_from")
    copy.delete()
    copy.wait_until_not_exists()

    # A batch delete of everything through the collection.
    deleted = bucket.objects.all().delete()
    eq(sum(len(r.get("Deleted", [])) for r in deleted), 9, "objects.all().delete()")
    eq(list(bucket.objects.all()), [], "empty after batch delete")
    bucket.delete()
    bucket.wait_until_not_exists()


@case
def transfers():
    s3 = boto3.resource("s3")
    bucket = s3.create_bucket(Bucket=bucket_name("res-xfer"))
    data = test_bytes(11 * MiB, 7)
    cfg = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB)
    with tempfile.TemporaryDirectory() as d:
        src, dst = os.path.join(d, "src"), os.path.join(d, "dst")
        with open(src, "wb") as f:
            f.write(data)
        bucket.upload_file(src, "big", Config=cfg)
        check(bucket.Object("big").e_tag.endswith('-3"'), "multipart e_tag", bucket.Object("big").e_tag)
        bucket.download_file("big", dst, Config=cfg)
        with open(dst, "rb") as f:
            check(f.read() == data, "download_file bytes differ")
    obj = bucket.Object("stream")
    obj.upload_fileobj(io.BytesIO(data[:6 * MiB]), Config=cfg)
    out = io.BytesIO()
    obj.download_fileobj(out, Config=cfg)
    check(out.getvalue() == data[:6 * MiB], "fileobj bytes differ")
    bucket.objects.all().delete()
    bucket.delete()


@case
def versions():
    s3 = boto3.resource("s3")
    bucket = s3.create_bucket(Bucket=bucket_name("res-ver"))
    bucket.Versioning().enable()
    eq(bucket.Versioning().status, "Enabled", "Versioning().status")
    for body in [b"a", b"b", b"c"]:
        bucket.put_object(Key="k", Body=body)
    bucket.Object("k").delete()
    versions = list(bucket.object_versions.filter(Prefix="k"))
    eq(len(versions), 4, "versions and the delete marker")
    latest = [v for v in versions if v.is_latest]
    eq(len(latest), 1, "one latest")
    first = [v for v in versions if v.size == 1][-1]
    eq(first.get()["Body"].read(), b"a", "oldest version")
    bucket.object_versions.delete()
    eq(list(bucket.object_versions.all()), [], "versions left")
    bucket.delete()


@case
def acl_and_tags():
    s3 = boto3.resource("s3")
    bucket = s3.create_bucket(Bucket=bucket_name("res-acl"))
    acl = bucket.Acl()
    grants = acl.grants
    eq(len(grants), 1, "default bucket grants")
    eq(grants[0]["Permission"], "FULL_CONTROL", "owner permission")
    eq(grants[0]["Grantee"]["ID"], acl.owner["ID"], "grantee is the owner")
    bucket.put_object(Key="k", Body=b"x")
    eq(bucket.Object("k").Acl().grants[0]["Permission"], "FULL_CONTROL", "object grant")
    tagging = bucket.Tagging()
    tagging.put(Tagging={"TagSet": [{"Key": "env", "Value": "dev"}]})
    tagging.reload()
    eq(tagging.tag_set, [{"Key": "env", "Value": "dev"}], "bucket tag_set")
    bucket.objects.all().delete()
    bucket.delete()


if __name__ == "__main__":
    run()
