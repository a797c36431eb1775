"""boto3 client API against Nimbus S3: python3 s3_client.py [case...]"""

import base64
import datetime
import hashlib
import io
import os
import tempfile

from boto3.s3.transfer import TransferConfig

from s3check import (
    bucket_name, case, check, client, crc32_b64, crc32c_b64, empty_bucket, eq, expect_error, md5_etag, run,
    sha1_b64, sha256_b64, test_bytes,
)

MiB = 1024 * 1024


@case
def buckets():
    s3 = client()
    name = bucket_name("buckets")
    created = s3.create_bucket(Bucket=name)
    eq(created["Location"], "/" + name, "Location")
    s3.head_bucket(Bucket=name)
    listed = s3.list_buckets()
    check(name in [b["Name"] for b in listed["Buckets"]], "bucket not listed", listed)
    check(isinstance(listed["Buckets"][0]["CreationDate"], datetime.datetime), "CreationDate", listed)
    check(listed["Owner"].get("ID"), "ListBuckets without an owner id", listed)
    eq(s3.get_bucket_location(Bucket=name).get("LocationConstraint"), None, "us-east-1 location")

    # A bucket in another region, created through that region's client.
    eu = client(region="eu-west-1")
    eu_name = bucket_name("buckets-eu")
    eu.create_bucket(Bucket=eu_name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    eq(eu.get_bucket_location(Bucket=eu_name)["LocationConstraint"], "eu-west-1", "eu-west-1 location")
    head = eu.head_bucket(Bucket=eu_name)
    eq(head["ResponseMetadata"]["HTTPHeaders"].get("x-amz-bucket-region"), "eu-west-1", "x-amz-bucket-region")
    expect_error("BucketAlreadyOwnedByYou", 409, eu.create_bucket, Bucket=eu_name,
                 CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    expect_error("IllegalLocationConstraintException", 400, s3.create_bucket, Bucket=bucket_name("mismatch"),
                 CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    eu.delete_bucket(Bucket=eu_name)

    expect_error("InvalidBucketName", 400, s3.create_bucket, Bucket="Not_A_Valid_Bucket")
    expect_error("InvalidBucketName", 400, s3.create_bucket, Bucket="ab")
    s3.put_object(Bucket=name, Key="k", Body=b"x")
    expect_error("BucketNotEmpty", 409, s3.delete_bucket, Bucket=name)
    s3.delete_object(Bucket=name, Key="k")
    s3.delete_bucket(Bucket=name)
    expect_error("404", 404, s3.head_bucket, Bucket=name)
    err = expect_error("NoSuchBucket", 404, s3.delete_bucket, Bucket=name)
    eq(err["Error"].get("BucketName"), name, "NoSuchBucket BucketName")


@case
def objects():
    s3 = client()
    b = bucket_name("objects")
    s3.create_bucket(Bucket=b)
    body = test_bytes(3000, 1)
    put = s3.put_object(Bucket=b, Key="docs/a.bin", Body=body, ContentType="application/x-test",
                        Metadata={"Color": "Blue", "owner-name": "Alice Smith"},
                        CacheControl="no-cache", ContentDisposition='attachment; filename="a.bin"',
                        ContentLanguage="en", Expires=datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc))
    eq(put["ETag"], md5_etag(body), "PutObject ETag")
    # boto3 sends a CRC32 with every upload by default and gets it back.
    eq(put.get("ChecksumCRC32"), crc32_b64(body), "default CRC32")

    got = s3.get_object(Bucket=b, Key="docs/a.bin")
    eq(got["Body"].read(), body, "body")
    eq(got["ETag"], md5_etag(body), "GetObject ETag")
    eq(got["ContentLength"], 3000, "ContentLength")
    eq(got["ContentType"], "application/x-test", "ContentType")
    # S3 keeps metadata names in lower case.
    eq(got["Metadata"], {"color": "Blue", "owner-name": "Alice Smith"}, "Metadata")
    eq(got["CacheControl"], "no-cache", "CacheControl")
    eq(got["ContentDisposition"], 'attachment; filename="a.bin"', "ContentDisposition")
    eq(got["ContentLanguage"], "en", "ContentLanguage")
    eq(got["AcceptRanges"], "bytes", "AcceptRanges")
    check(isinstance(got["LastModified"], datetime.datetime), "LastModified", got)
    eq(got["ResponseMetadata"]["HTTPHeaders"].get("expires"), "Wed, 02 Jan 2030 03:04:05 GMT", "Expires header")

    head = s3.head_object(Bucket=b, Key="docs/a.bin")
    eq(head["ContentLength"], 3000, "HeadObject ContentLength")
    eq(head["Metadata"], {"color": "Blue", "owner-name": "Alice Smith"}, "HeadObject Metadata")
    eq(head["LastModified"], got["LastModified"], "LastModified of HEAD and GET")

    part = s3.get_object(Bucket=b, Key="docs/a.bin", Range="bytes=100-199")
    eq(part["ResponseMetadata"]["HTTPStatusCode"], 206, "range status")
    eq(part["ContentRange"], "bytes 100-199/3000", "ContentRange")
    eq(part["Body"].read(), body[100:200], "range body")
    suffix = s3.get_object(Bucket=b, Key="docs/a.bin", Range="bytes=-10")
    eq(suffix["Body"].read(), body[-10:], "suffix range")

    # Response header overrides.
    over = s3.get_object(Bucket=b, Key="docs/a.bin", ResponseContentType="text/csv",
                         ResponseContentDisposition="inline", ResponseCacheControl="max-age=5")
    eq((over["ContentType"], over["ContentDisposition"], over["CacheControl"]), ("text/csv", "inline", "max-age=5"),
       "response overrides")

    # Keys that need encoding in paths and listings.
    for key in ["sp ace/plus+sign&amp=eq?.txt", "ünïcødé/文件.txt", "a//double/slash", "percent%20literal", "tilde~and*star"]:
        s3.put_object(Bucket=b, Key=key, Body=key.encode())
        eq(s3.get_object(Bucket=b, Key=key)["Body"].read(), key.encode(), "odd key " + key)
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=b, Prefix=key)["Contents"]]
        eq(keys, [key], "listed odd key")

    s3.put_object(Bucket=b, Key="empty", Body=b"")
    empty = s3.get_object(Bucket=b, Key="empty")
    eq((empty["ContentLength"], empty["Body"].read()), (0, b""), "empty object")
    eq(empty["ETag"], '"d41d8cd98f00b204e9800998ecf8427e"', "empty ETag")

    expect_error("KeyTooLongError", 400, s3.put_object, Bucket=b, Key="k" * 1025, Body=b"x")
    s3.delete_object(Bucket=b, Key="docs/a.bin")
    err = expect_error("NoSuchKey", 404, s3.get_object, Bucket=b, Key="docs/a.bin")
    eq(err["Error"].get("Key"), "docs/a.bin", "NoSuchKey Key element")
    # Deleting what is not there succeeds.
    eq(s3.delete_object(Bucket=b, Key="never")["ResponseMetadata"]["HTTPStatusCode"], 204, "delete missing key")
    empty_bucket(s3, b)


@case
def listing():
    s3 = client()
    b = bucket_name("listing")
    s3.create_bucket(Bucket=b)
    keys = ["photos/2023/a.jpg", "photos/2023/b.jpg", "photos/2024/c.jpg", "photos/d.jpg", "photos/e.jpg",
            "photos/f.jpg", "readme.txt", "videos/x.mp4", "videos/y.mp4"]
    for k in keys:
        s3.put_object(Bucket=b, Key=k, Body=k.encode())

    prefixes, contents, pages = [], [], 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=b, Prefix="photos/", Delimiter="/",
                                                             PaginationConfig={"PageSize": 2}):
        pages += 1
        check(page["KeyCount"] <= 2, "page larger than MaxKeys", page)
        eq(page["MaxKeys"], 2, "MaxKeys")
        eq(page["Delimiter"], "/", "Delimiter")
        prefixes += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        contents += [o["Key"] for o in page.get("Contents", [])]
    eq(prefixes, ["photos/2023/", "photos/2024/"], "CommonPrefixes")
    eq(contents, ["photos/d.jpg", "photos/e.jpg", "photos/f.jpg"], "Contents")
    eq(pages, 3, "pages")

    top = s3.list_objects_v2(Bucket=b, Delimiter="/")
    eq([p["Prefix"] for p in top["CommonPrefixes"]], ["photos/", "videos/"], "top-level prefixes")
    eq([o["Key"] for o in top["Contents"]], ["readme.txt"], "top-level keys")
    obj = top["Contents"][0]
    eq(obj["Size"], len(b"readme.txt"), "Size")
    eq(obj["ETag"], md5_etag(b"readme.txt"), "listed ETag")
    eq(obj["StorageClass"], "STANDARD", "StorageClass")
    check("Owner" not in obj, "ListObjectsV2 shows the owner only with FetchOwner", obj)
    owned = s3.list_objects_v2(Bucket=b, MaxKeys=1, FetchOwner=True)["Contents"][0]
    check(owned.get("Owner", {}).get("ID"), "FetchOwner", owned)

    after = s3.list_objects_v2(Bucket=b, StartAfter="photos/f.jpg")
    eq([o["Key"] for o in after["Contents"]], keys[6:], "StartAfter")
    eq(s3.list_objects_v2(Bucket=b, Prefix="nothing/")["KeyCount"], 0, "empty prefix KeyCount")
    check("Contents" not in s3.list_objects_v2(Bucket=b, Prefix="nothing/"), "empty listing has no Contents")

    # Version 1 listing with markers.
    v1keys = []
    for page in s3.get_paginator("list_objects").paginate(Bucket=b, PaginationConfig={"PageSize": 4}):
        v1keys += [o["Key"] for o in page.get("Contents", [])]
    eq(v1keys, keys, "ListObjects pages")
    first = s3.list_objects(Bucket=b, MaxKeys=2, Delimiter="/")
    check(first["IsTruncated"], "v1 truncated", first)
    eq(first.get("NextMarker"), "readme.txt", "v1 NextMarker with a delimiter")
    rest = s3.list_objects(Bucket=b, Marker=first["NextMarker"], Delimiter="/")
    eq([p["Prefix"] for p in rest["CommonPrefixes"]], ["videos/"], "v1 after marker")
    expect_error("NoSuchBucket", 404, s3.list_objects_v2, Bucket=bucket_name("missing"))
    empty_bucket(s3, b)


@case
def transfer():
    s3 = client()
    b = bucket_name("transfer")
    s3.create_bucket(Bucket=b)
    cfg = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB, max_concurrency=3)
    data = test_bytes(12 * MiB + 5, 2)
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "src")
        with open(src, "wb") as f:
            f.write(data)
        s3.upload_file(src, b, "big.bin", Config=cfg, ExtraArgs={"Metadata": {"kind": "multipart"}, "ContentType": "application/x-big"})
        head = s3.head_object(Bucket=b, Key="big.bin")
        check(head["ETag"].endswith('-3"'), "multipart ETag", head["ETag"])
        eq(head["ContentLength"], len(data), "multipart size")
        eq(head["Metadata"], {"kind": "multipart"}, "multipart metadata")
        eq(head["ContentType"], "application/x-big", "multipart content type")
        first = s3.head_object(Bucket=b, Key="big.bin", PartNumber=1)
        eq((first["ContentLength"], first["PartsCount"]), (5 * MiB, 3), "HeadObject PartNumber=1")
        dst = os.path.join(d, "dst")
        s3.download_file(b, "big.bin", dst, Config=TransferConfig(multipart_threshold=4 * MiB, multipart_chunksize=4 * MiB))
        with open(dst, "rb") as f:
            eq(f.read() == data, True, "downloaded bytes equal")
        s3.upload_file(src, b, "single.bin", Config=TransferConfig(multipart_threshold=64 * MiB))
        check(s3.head_object(Bucket=b, Key="single.bin")["ETag"] == md5_etag(data), "single-part ETag")

    buf = io.BytesIO(data[:7 * MiB])
    s3.upload_fileobj(buf, b, "fileobj", Config=cfg)
    out = io.BytesIO()
    s3.download_fileobj(b, "fileobj", out, Config=cfg)
    eq(out.getvalue() == data[:7 * MiB], True, "fileobj round trip")

    # A managed copy above the threshold uses UploadPartCopy.
    s3.copy({"Bucket": b, "Key": "big.bin"}, b, "big-copy.bin", Config=cfg)
    copy = s3.head_object(Bucket=b, Key="big-copy.bin")
    eq(copy["ContentLength"], len(data), "multipart copy size")
    check(copy["ETag"].endswith('-3"'), "multipart copy ETag", copy["ETag"])
    eq(hashlib.sha256(s3.get_object(Bucket=b, Key="big-copy.bin")["Body"].read()).digest(),
       hashlib.sha256(data).digest(), "multipart copy bytes")
    empty_bucket(s3, b)


@case
def empty_file_then_another():
    # botocore sends Expect: 100-continue with file bodies, empty ones too.
    # S3 answers 100 Continue; a server that answers an empty body's request
    # straight away leaves botocore's pooled connection parsing the next
    # response with the old status line, which stalls until the read
    # timeout (boto/botocore#3755). A short timeout and no retries show it.
    s3 = client(read_timeout=5, retries={"total_max_attempts": 1})
    b = bucket_name("empty")
    s3.create_bucket(Bucket=b)
    files = [("empty", b""), ("full", b"not empty"), ("empty2", b""), ("full2", b"x" * 100)]
    # One PUT after the other on the same pooled connection.
    for name, data in files:
        s3.put_object(Bucket=b, Key=name, Body=io.BytesIO(data))
    for name, data in files:
        eq(s3.get_object(Bucket=b, Key=name)["Body"].read(), data, name)
    empty_bucket(s3, b)


@case
def multipart_errors():
    s3 = client()
    b = bucket_name("mpuerr")
    s3.create_bucket(Bucket=b)
    up = s3.create_multipart_upload(Bucket=b, Key="k")["UploadId"]
    p1 = s3.upload_part(Bucket=b, Key="k", UploadId=up, PartNumber=1, Body=b"small")["ETag"]
    p2 = s3.upload_part(Bucket=b, Key="k", UploadId=up, PartNumber=2, Body=b"tail")["ETag"]
    expect_error("EntityTooSmall", 400, s3.complete_multipart_upload, Bucket=b, Key="k", UploadId=up,
                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": p1}, {"PartNumber": 2, "ETag": p2}]})
    expect_error("InvalidPart", 400, s3.complete_multipart_upload, Bucket=b, Key="k", UploadId=up,
                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": '"00000000000000000000000000000000"'}]})
    expect_error("InvalidPartOrder", 400, s3.complete_multipart_upload, Bucket=b, Key="k", UploadId=up,
                 MultipartUpload={"Parts": [{"PartNumber": 2, "ETag": p2}, {"PartNumber": 1, "ETag": p1}]})
    expect_error("NoSuchUpload", 404, s3.upload_part, Bucket=b, Key="k", UploadId="not-an-upload", PartNumber=1, Body=b"x")
    expect_error("InvalidArgument", 400, s3.upload_part, Bucket=b, Key="k", UploadId=up, PartNumber=10001, Body=b"x")
    # A single small part is a valid upload.
    done = s3.complete_multipart_upload(Bucket=b, Key="k", UploadId=up,
                                        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": p1}]})
    eq(done["ETag"], '"' + hashlib.md5(bytes.fromhex(p1.strip('"'))).hexdigest() + '-1"', "one-part ETag")
    eq(s3.get_object(Bucket=b, Key="k")["Body"].read(), b"small", "one-part body")
    uploads = s3.list_multipart_uploads(Bucket=b)
    check("Uploads" not in uploads, "completed upload still listed", uploads)
    empty_bucket(s3, b)


@case
def versioning():
    s3 = client()
    b = bucket_name("versions")
    s3.create_bucket(Bucket=b)
    check("Status" not in s3.get_bucket_versioning(Bucket=b), "new bucket has a versioning status")
    s3.put_object(Bucket=b, Key="doc", Body=b"before versioning")
    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
    eq(s3.get_bucket_versioning(Bucket=b)["Status"], "Enabled", "status")
    v1 = s3.put_object(Bucket=b, Key="doc", Body=b"one")["VersionId"]
    v2 = s3.put_object(Bucket=b, Key="doc", Body=b"two")["VersionId"]
    check(v1 and v2 and v1 != v2 and v1 != "null", "version ids", v1, v2)
    eq(s3.get_object(Bucket=b, Key="doc")["VersionId"], v2, "latest version")
    eq(s3.get_object(Bucket=b, Key="doc", VersionId=v1)["Body"].read(), b"one", "old version")
    eq(s3.get_object(Bucket=b, Key="doc", VersionId="null")["Body"].read(), b"before versioning", "null version")

    marker = s3.delete_object(Bucket=b, Key="doc")
    eq(marker.get("DeleteMarker"), True, "DeleteMarker")
    mid = marker["VersionId"]
    err = expect_error("NoSuchKey", 404, s3.get_object, Bucket=b, Key="doc")
    eq(err["ResponseMetadata"]["HTTPHeaders"].get("x-amz-delete-marker"), "true", "x-amz-delete-marker on GET")
    err = expect_error("MethodNotAllowed", 405, s3.get_object, Bucket=b, Key="doc", VersionId=mid)
    eq(err["ResponseMetadata"]["HTTPHeaders"].get("x-amz-delete-marker"), "true", "x-amz-delete-marker")
    expect_error("InvalidArgument", 400, s3.get_object, Bucket=b, Key="doc", VersionId="not-a-version")

    versions, markers = [], []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=b, PaginationConfig={"PageSize": 1}):
        versions += page.get("Versions", [])
        markers += page.get("DeleteMarkers", [])
    eq([v["VersionId"] for v in versions], [v2, v1, "null"], "versions newest first")
    eq([v["IsLatest"] for v in versions], [False, False, False], "IsLatest of versions")
    eq([(m["VersionId"], m["IsLatest"]) for m in markers], [(mid, True)], "delete markers")

    s3.delete_object(Bucket=b, Key="doc", VersionId=mid)
    eq(s3.get_object(Bucket=b, Key="doc")["Body"].read(), b"two", "after removing the marker")
    deleted = s3.delete_object(Bucket=b, Key="doc", VersionId=v2)
    eq(deleted["VersionId"], v2, "deleted version id")
    eq(s3.get_object(Bucket=b, Key="doc")["Body"].read(), b"one", "after deleting the newest version")

    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Suspended"})
    eq(s3.get_bucket_versioning(Bucket=b)["Status"], "Suspended", "suspended")
    eq(s3.put_object(Bucket=b, Key="doc", Body=b"suspended").get("VersionId"), "null", "VersionId when suspended")
    ids = [v["VersionId"] for v in s3.list_object_versions(Bucket=b, Prefix="doc")["Versions"]]
    eq(ids, ["null", v1], "the suspended put replaced the null version")
    empty_bucket(s3, b)


@case
def copy():
    s3 = client()
    b, other = bucket_name("copy"), bucket_name("copy-dst")
    s3.create_bucket(Bucket=b)
    s3.create_bucket(Bucket=other)
    body = test_bytes(1000, 3)
    s3.put_object(Bucket=b, Key="src", Body=body, Metadata={"a": "1"}, ContentType="text/x-src", Tagging="t=1")
    res = s3.copy_object(Bucket=other, Key="dst", CopySource={"Bucket": b, "Key": "src"})
    eq(res["CopyObjectResult"]["ETag"], md5_etag(body), "copy ETag")
    head = s3.head_object(Bucket=other, Key="dst")
    eq((head["Metadata"], head["ContentType"]), ({"a": "1"}, "text/x-src"), "COPY keeps metadata")
    eq(s3.get_object_tagging(Bucket=other, Key="dst")["TagSet"], [{"Key": "t", "Value": "1"}], "COPY keeps tags")

    s3.copy_object(Bucket=b, Key="src", CopySource=f"{b}/src", MetadataDirective="REPLACE",
                   Metadata={"b": "2"}, ContentType="text/x-new")
    head = s3.head_object(Bucket=b, Key="src")
    eq((head["Metadata"], head["ContentType"]), ({"b": "2"}, "text/x-new"), "REPLACE in place")
    expect_error("InvalidRequest", 400, s3.copy_object, Bucket=b, Key="src", CopySource={"Bucket": b, "Key": "src"})
    expect_error("NoSuchKey", 404, s3.copy_object, Bucket=b, Key="x", CopySource={"Bucket": b, "Key": "missing"})
    expect_error("NoSuchBucket", 404, s3.copy_object, Bucket=b, Key="x", CopySource={"Bucket": bucket_name("gone"), "Key": "k"})
    expect_error("PreconditionFailed", 412, s3.copy_object, Bucket=b, Key="x", CopySource={"Bucket": b, "Key": "src"},
                 CopySourceIfMatch='"0000"')
    s3.copy_object(Bucket=b, Key="x", CopySource={"Bucket": b, "Key": "src"}, CopySourceIfMatch=md5_etag(body))

    # A copy of a given version.
    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
    v1 = s3.put_object(Bucket=b, Key="v", Body=b"v1")["VersionId"]
    s3.put_object(Bucket=b, Key="v", Body=b"v2")
    res = s3.copy_object(Bucket=b, Key="v-old", CopySource={"Bucket": b, "Key": "v", "VersionId": v1})
    eq(res.get("CopySourceVersionId"), v1, "CopySourceVersionId")
    eq(s3.get_object(Bucket=b, Key="v-old")["Body"].read(), b"v1", "copied version")
    empty_bucket(s3, b)
    empty_bucket(s3, other)


@case
def delete_objects():
    s3 = client()
    b = bucket_name("batch")
    s3.create_bucket(Bucket=b)
    for i in range(5):
        s3.put_object(Bucket=b, Key=f"k{i}", Body=b"x")
    res = s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "k0"}, {"Key": "k1"}, {"Key": "nope"}]})
    eq(sorted(d["Key"] for d in res["Deleted"]), ["k0", "k1", "nope"], "Deleted")
    check("Errors" not in res, "errors", res)
    quiet = s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "k2"}], "Quiet": True})
    check("Deleted" not in quiet, "Quiet mode lists deletions", quiet)
    eq([o["Key"] for o in s3.list_objects_v2(Bucket=b)["Contents"]], ["k3", "k4"], "left after batch delete")

    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
    vid = s3.put_object(Bucket=b, Key="k3", Body=b"y")["VersionId"]
    res = s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "k3", "VersionId": vid}, {"Key": "k4"}]})
    by_key = {d["Key"]: d for d in res["Deleted"]}
    eq(by_key["k3"].get("VersionId"), vid, "versioned delete")
    eq(by_key["k4"].get("DeleteMarker"), True, "delete marker from a batch")
    check(by_key["k4"].get("DeleteMarkerVersionId"), "DeleteMarkerVersionId", by_key["k4"])
    expect_error("MalformedXML", 400, s3.delete_objects, Bucket=b, Delete={"Objects": []})
    empty_bucket(s3, b)


@case
def tagging():
    s3 = client()
    b = bucket_name("tags")
    s3.create_bucket(Bucket=b)
    s3.put_object(Bucket=b, Key="k", Body=b"x", Tagging="project=nimbus&stage=dev")
    eq(s3.get_object(Bucket=b, Key="k")["TagCount"], 2, "TagCount")
    tags = s3.get_object_tagging(Bucket=b, Key="k")["TagSet"]
    eq(sorted((t["Key"], t["Value"]) for t in tags), [("project", "nimbus"), ("stage", "dev")], "object tags")
    s3.put_object_tagging(Bucket=b, Key="k", Tagging={"TagSet": [{"Key": "only", "Value": "one"}]})
    eq(s3.get_object_tagging(Bucket=b, Key="k")["TagSet"], [{"Key": "only", "Value": "one"}], "replaced tags")
    s3.delete_object_tagging(Bucket=b, Key="k")
    eq(s3.get_object_tagging(Bucket=b, Key="k")["TagSet"], [], "no tags")
    expect_error("InvalidTag", 400, s3.put_object_tagging, Bucket=b, Key="k",
                 Tagging={"TagSet": [{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}]})
    too_many = [{"Key": f"k{i}", "Value": "v"} for i in range(11)]
    expect_error("BadRequest", 400, s3.put_object_tagging, Bucket=b, Key="k", Tagging={"TagSet": too_many})
    expect_error("NoSuchKey", 404, s3.get_object_tagging, Bucket=b, Key="missing")

    expect_error("NoSuchTagSet", 404, s3.get_bucket_tagging, Bucket=b)
    s3.put_bucket_tagging(Bucket=b, Tagging={"TagSet": [{"Key": "team", "Value": "storage"}]})
    eq(s3.get_bucket_tagging(Bucket=b)["TagSet"], [{"Key": "team", "Value": "storage"}], "bucket tags")
    s3.delete_bucket_tagging(Bucket=b)
    expect_error("NoSuchTagSet", 404, s3.get_bucket_tagging, Bucket=b)
    empty_bucket(s3, b)


@case
def conditional():
    s3 = client()
    b = bucket_name("cond")
    s3.create_bucket(Bucket=b)
    etag = s3.put_object(Bucket=b, Key="k", Body=b"v1", IfNoneMatch="*")["ETag"]
    expect_error("PreconditionFailed", 412, s3.put_object, Bucket=b, Key="k", Body=b"v2", IfNoneMatch="*")
    eq(s3.get_object(Bucket=b, Key="k")["Body"].read(), b"v1", "the refused put changed nothing")
    expect_error("PreconditionFailed", 412, s3.put_object, Bucket=b, Key="k", Body=b"v2", IfMatch='"0000"')
    expect_error("NoSuchKey", 404, s3.put_object, Bucket=b, Key="new", Body=b"v2", IfMatch=etag)
    etag2 = s3.put_object(Bucket=b, Key="k", Body=b"v2", IfMatch=etag)["ETag"]

    eq(s3.get_object(Bucket=b, Key="k", IfMatch=etag2)["Body"].read(), b"v2", "If-Match hit")
    expect_error("PreconditionFailed", 412, s3.get_object, Bucket=b, Key="k", IfMatch=etag)
    expect_error("304", 304, s3.get_object, Bucket=b, Key="k", IfNoneMatch=etag2)
    expect_error("304", 304, s3.head_object, Bucket=b, Key="k", IfNoneMatch=etag2)
    eq(s3.get_object(Bucket=b, Key="k", IfNoneMatch=etag)["Body"].read(), b"v2", "If-None-Match miss")
    future = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)
    past = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
    expect_error("304", 304, s3.get_object, Bucket=b, Key="k", IfModifiedSince=future)
    expect_error("PreconditionFailed", 412, s3.get_object, Bucket=b, Key="k", IfUnmodifiedSince=past)
    eq(s3.get_object(Bucket=b, Key="k", IfModifiedSince=past)["Body"].read(), b"v2", "modified since 2000")
    # If-Match wins over a failing If-Unmodified-Since (RFC 7232 order, as S3 does).
    eq(s3.get_object(Bucket=b, Key="k", IfMatch=etag2, IfUnmodifiedSince=past)["Body"].read(), b"v2",
       "If-Match with If-Unmodified-Since")
    expect_error("PreconditionFailed", 412, s3.delete_object, Bucket=b, Key="k", IfMatch='"0000"')
    s3.delete_object(Bucket=b, Key="k", IfMatch=etag2)
    empty_bucket(s3, b)


@case
def checksums():
    s3 = client()
    b = bucket_name("cksum")
    s3.create_bucket(Bucket=b)
    body = test_bytes(70000, 4)
    want = {"CRC32": crc32_b64(body), "SHA256": sha256_b64(body), "SHA1": sha1_b64(body), "CRC32C": crc32c_b64(body)}
    for algo in ["CRC32", "SHA256", "SHA1"]:
        put = s3.put_object(Bucket=b, Key=algo, Body=body, ChecksumAlgorithm=algo)
        eq(put.get("Checksum" + algo), want[algo], "PutObject checksum " + algo)
    # botocore computes CRC32C only with awscrt; send the value itself.
    put = s3.put_object(Bucket=b, Key="CRC32C", Body=body, ChecksumCRC32C=want["CRC32C"])
    eq(put.get("ChecksumCRC32C"), want["CRC32C"], "PutObject checksum CRC32C")

    for algo, value in want.items():
        got = s3.get_object(Bucket=b, Key=algo, ChecksumMode="ENABLED")
        eq(got.get("Checksum" + algo), value, "GetObject checksum " + algo)
        eq(got["Body"].read(), body, "body checked by botocore " + algo)
        eq(got.get("ChecksumType"), "FULL_OBJECT", "ChecksumType " + algo)
        head = s3.head_object(Bucket=b, Key=algo, ChecksumMode="ENABLED")
        eq(head.get("Checksum" + algo), value, "HeadObject checksum " + algo)
    plain = s3.head_object(Bucket=b, Key="SHA256")
    check("ChecksumSHA256" not in plain, "checksum without ChecksumMode", plain)

    expect_error("BadDigest", 400, s3.put_object, Bucket=b, Key="bad", Body=body, ChecksumSHA256=sha256_b64(b"other"))
    expect_error("BadDigest", 400, s3.put_object, Bucket=b, Key="bad", Body=body,
                 ContentMD5=base64.b64encode(hashlib.md5(b"other").digest()).decode())
    expect_error("404", 404, s3.head_object, Bucket=b, Key="bad")

    # Multipart with SHA256: each part's checksum, then the composite.
    parts_data = [test_bytes(5 * MiB, 5), test_bytes(1234, 6)]
    up = s3.create_multipart_upload(Bucket=b, Key="mpu", ChecksumAlgorithm="SHA256")
    eq(up.get("ChecksumAlgorithm"), "SHA256", "CreateMultipartUpload ChecksumAlgorithm")
    parts = []
    for n, data in enumerate(parts_data, 1):
        res = s3.upload_part(Bucket=b, Key="mpu", UploadId=up["UploadId"], PartNumber=n, Body=data, ChecksumAlgorithm="SHA256")
        eq(res.get("ChecksumSHA256"), sha256_b64(data), f"part {n} checksum")
        parts.append({"PartNumber": n, "ETag": res["ETag"], "ChecksumSHA256": res["ChecksumSHA256"]})
    listed = s3.list_parts(Bucket=b, Key="mpu", UploadId=up["UploadId"])
    eq([p.get("ChecksumSHA256") for p in listed["Parts"]], [p["ChecksumSHA256"] for p in parts], "ListParts checksums")
    done = s3.complete_multipart_upload(Bucket=b, Key="mpu", UploadId=up["UploadId"], MultipartUpload={"Parts": parts})
    composite = base64.b64encode(hashlib.sha256(b"".join(hashlib.sha256(d).digest() for d in parts_data)).digest()).decode() + "-2"
    eq(done.get("ChecksumSHA256"), composite, "composite checksum")
    head = s3.head_object(Bucket=b, Key="mpu", ChecksumMode="ENABLED")
    eq((head.get("ChecksumSHA256"), head.get("ChecksumType")), (composite, "COMPOSITE"), "HeadObject composite")
    attrs = s3.get_object_attributes(Bucket=b, Key="mpu", ObjectAttributes=["Checksum", "ObjectParts", "ObjectSize", "ETag"])
    eq(attrs["ObjectSize"], sum(len(d) for d in parts_data), "attributes ObjectSize")
    eq(attrs["Checksum"].get("ChecksumSHA256"), composite, "attributes checksum")
    eq(attrs["ObjectParts"]["TotalPartsCount"], 2, "attributes parts")
    empty_bucket(s3, b)


@case
def bucket_configs():
    s3 = client()
    b = bucket_name("configs")
    s3.create_bucket(Bucket=b)
    expect_error("NoSuchCORSConfiguration", 404, s3.get_bucket_cors, Bucket=b)
    expect_error("NoSuchBucketPolicy", 404, s3.get_bucket_policy, Bucket=b)
    expect_error("NoSuchLifecycleConfiguration", 404, s3.get_bucket_lifecycle_configuration, Bucket=b)
    expect_error("NoSuchWebsiteConfiguration", 404, s3.get_bucket_website, Bucket=b)
    # Every bucket is encrypted with SSE-S3 by default.
    enc = s3.get_bucket_encryption(Bucket=b)["ServerSideEncryptionConfiguration"]["Rules"][0]
    eq(enc["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"], "AES256", "default encryption")
    eq(s3.put_object(Bucket=b, Key="k", Body=b"x").get("ServerSideEncryption"), "AES256", "SSE on put")
    pab = s3.get_public_access_block(Bucket=b)["PublicAccessBlockConfiguration"]
    eq(pab, {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True},
       "default public access block")
    own = s3.get_bucket_ownership_controls(Bucket=b)["OwnershipControls"]["Rules"]
    eq(own, [{"ObjectOwnership": "BucketOwnerEnforced"}], "default object ownership")

    rules = [{"ID": "expire-tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 1}}]
    s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={"Rules": rules})
    got = s3.get_bucket_lifecycle_configuration(Bucket=b)["Rules"]
    eq((got[0]["ID"], got[0]["Expiration"]["Days"], got[0]["Filter"]["Prefix"]), ("expire-tmp", 1, "tmp/"), "lifecycle")
    expect_error("MalformedXML", 400, s3.put_bucket_cors, Bucket=b, CORSConfiguration={"CORSRules": []})
    empty_bucket(s3, b)


@case
def errors():
    s3 = client()
    b = bucket_name("errors")
    missing = bucket_name("missing")
    s3.create_bucket(Bucket=b)
    s3.put_object(Bucket=b, Key="k", Body=b"0123456789")
    err = expect_error("NoSuchBucket", 404, s3.get_object, Bucket=missing, Key="k")
    eq(err["Error"]["Message"], "The specified bucket does not exist", "NoSuchBucket message")
    eq(err["Error"].get("BucketName"), missing, "NoSuchBucket BucketName")
    check(err["ResponseMetadata"].get("HostId"), "x-amz-id-2", err["ResponseMetadata"])
    err = expect_error("NoSuchKey", 404, s3.get_object, Bucket=b, Key="missing")
    eq(err["Error"]["Message"], "The specified key does not exist.", "NoSuchKey message")
    eq(err["Error"].get("Key"), "missing", "NoSuchKey Key")
    err = expect_error("404", 404, s3.head_object, Bucket=b, Key="missing")
    eq(err["Error"]["Message"], "Not Found", "HEAD 404 message")
    expect_error("InvalidRange", 416, s3.get_object, Bucket=b, Key="k", Range="bytes=10-20")
    expect_error("NoSuchBucket", 404, s3.put_object, Bucket=missing, Key="k", Body=b"x")
    expect_error("NoSuchBucket", 404, s3.list_objects_v2, Bucket=missing)
    expect_error("NoSuchBucket", 404, s3.get_bucket_versioning, Bucket=missing)
    expect_error("NoSuchUpload", 404, s3.list_parts, Bucket=b, Key="k", UploadId="nope")
    expect_error("NoSuchUpload", 404, s3.abort_multipart_upload, Bucket=b, Key="k", UploadId="nope")
    expect_error("InvalidArgument", 400, s3.list_objects_v2, Bucket=b, EncodingType="base64")
    expect_error("InvalidArgument", 400, s3.list_objects_v2, Bucket=b, MaxKeys=-1)
    empty_bucket(s3, b)


if __name__ == "__main__":
    run()
