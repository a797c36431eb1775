"""Presigned URLs and POST policy uploads made by boto3, sent with urllib:
python3 s3_presign.py [case...]"""

import time
import urllib.error
import urllib.request
import uuid
import xml.etree.ElementTree as ET

from s3check import bucket_name, case, check, client, eq, md5_etag, run, test_bytes


def http(method, url, body=None, headers=None):
    """Sends one request; returns (status, headers, body) also for errors."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def error_code(body):
    root = ET.fromstring(body)
    return root.findtext("Code"), root.findtext("Message")


def form_data(fields, filename, content):
    """A multipart/form-data body: the fields in order, then the file."""
    boundary = "nimbus-" + uuid.uuid4().hex
    out = []
    for name, value in fields.items():
        out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
               "Content-Type: application/octet-stream\r\n\r\n".encode() + content + b"\r\n")
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out), "multipart/form-data; boundary=" + boundary


@case
def presigned_urls():
    # boto3 presigns with SigV2 unless told s3v4 (which most code does).
    s3 = client(signature_version="s3v4")
    b = bucket_name("presign")
    s3.create_bucket(Bucket=b)
    body = test_bytes(5000, 8)

    put = s3.generate_presigned_url("put_object", Params={"Bucket": b, "Key": "up/file.bin", "ContentType": "application/x-up"},
                                    ExpiresIn=300)
    status, headers, _ = http("PUT", put, body, {"Content-Type": "application/x-up"})
    eq(status, 200, "presigned PUT status")
    eq(headers.get("ETag"), md5_etag(body), "presigned PUT ETag")
    eq(s3.head_object(Bucket=b, Key="up/file.bin")["ContentType"], "application/x-up", "content type of presigned PUT")

    get = s3.generate_presigned_url("get_object", Params={"Bucket": b, "Key": "up/file.bin",
                                                          "ResponseContentDisposition": "attachment; filename=x.bin"})
    status, headers, data = http("GET", get)
    eq((status, data == body), (200, True), "presigned GET")
    eq(headers.get("Content-Disposition"), "attachment; filename=x.bin", "response-content-disposition")

    head = s3.generate_presigned_url("head_object", Params={"Bucket": b, "Key": "up/file.bin"})
    status, headers, _ = http("HEAD", head)
    eq((status, headers.get("Content-Length")), (200, "5000"), "presigned HEAD")

    missing = s3.generate_presigned_url("get_object", Params={"Bucket": b, "Key": "missing"})
    status, _, data = http("GET", missing)
    eq((status, error_code(data)[0]), (404, "NoSuchKey"), "presigned GET of a missing key")

    # The default: signature version 2 query strings.
    v2 = client()
    url = v2.generate_presigned_url("get_object", Params={"Bucket": b, "Key": "up/file.bin"}, ExpiresIn=300)
    check("Signature=" in url and "AWSAccessKeyId=" in url, "not a SigV2 URL:", url)
    status, _, data = http("GET", url)
    eq((status, data == body), (200, True), "SigV2 presigned GET")

    short = s3.generate_presigned_url("get_object", Params={"Bucket": b, "Key": "up/file.bin"}, ExpiresIn=1)
    time.sleep(2.1)
    status, _, data = http("GET", short)
    eq((status, error_code(data)), (403, ("AccessDenied", "Request has expired")), "expired URL")

    # botocore itself falls back to SigV2 beyond a week; ask in SigV4 anyway.
    url = s3.generate_presigned_url("get_object", Params={"Bucket": b, "Key": "up/file.bin"}, ExpiresIn=300)
    check("X-Amz-Expires=300&" in url and "X-Amz-Signature=" in url, "not a SigV4 URL:", url)
    status, _, data = http("GET", url.replace("X-Amz-Expires=300&", "X-Amz-Expires=604801&"))
    eq((status, error_code(data)[0]), (400, "AuthorizationQueryParametersError"), "X-Amz-Expires over a week")

    delete = s3.generate_presigned_url("delete_object", Params={"Bucket": b, "Key": "up/file.bin"})
    eq(http("DELETE", delete)[0], 204, "presigned DELETE")
    s3.delete_bucket(Bucket=b)


@case
def presigned_post():
    s3 = client()
    b = bucket_name("post")
    s3.create_bucket(Bucket=b)
    content = test_bytes(3000, 9)

    post = s3.generate_presigned_post(b, "uploads/${filename}", ExpiresIn=300,
                                      Conditions=[["starts-with", "$key", "uploads/"]])
    check(post["url"].endswith("/" + b), "POST url", post["url"])
    body, ctype = form_data(post["fields"], "photo.jpg", content)
    status, headers, _ = http("POST", post["url"], body, {"Content-Type": ctype})
    eq(status, 204, "POST upload status")
    eq(headers.get("ETag"), md5_etag(content), "POST upload ETag")
    # S3 escapes the key in Location, slashes too.
    check(headers.get("Location", "").endswith(f"/{b}/uploads%2Fphoto.jpg"), "POST Location", headers.get("Location"))
    eq(s3.get_object(Bucket=b, Key="uploads/photo.jpg")["Body"].read(), content, "uploaded by POST")

    # success_action_status 201 answers with an XML document; fields such
    # as Content-Type and metadata become the object's.
    fields = {"success_action_status": "201", "Content-Type": "image/png", "x-amz-meta-camera": "pinhole"}
    post = s3.generate_presigned_post(b, "uploads/pic.png", Fields=fields, ExpiresIn=300,
                                      Conditions=[{"success_action_status": "201"}, ["starts-with", "$Content-Type", "image/"],
                                                  {"x-amz-meta-camera": "pinhole"}, ["content-length-range", 1, 10000]])
    body, ctype = form_data(post["fields"], "pic.png", content)
    status, _, data = http("POST", post["url"], body, {"Content-Type": ctype})
    eq(status, 201, "POST with success_action_status 201")
    root = ET.fromstring(data)
    eq(root.tag, "PostResponse", "201 document")
    eq((root.findtext("Bucket"), root.findtext("Key"), root.findtext("ETag")), (b, "uploads/pic.png", md5_etag(content)),
       "PostResponse")
    head = s3.head_object(Bucket=b, Key="uploads/pic.png")
    eq((head["ContentType"], head["Metadata"]), ("image/png", {"camera": "pinhole"}), "POST fields")

    # Policy conditions are enforced.
    post = s3.generate_presigned_post(b, "elsewhere/x", ExpiresIn=300, Conditions=[["starts-with", "$key", "uploads/"]])
    body, ctype = form_data(post["fields"], "x", content)
    status, _, data = http("POST", post["url"], body, {"Content-Type": ctype})
    code, msg = error_code(data)
    eq((status, code), (403, "AccessDenied"), "key outside the policy")
    check(msg.startswith("Invalid according to Policy: Policy Condition failed"), "policy message:", msg)

    post = s3.generate_presigned_post(b, "uploads/big", ExpiresIn=300, Conditions=[["content-length-range", 1, 100]])
    body, ctype = form_data(post["fields"], "big", content)
    status, _, data = http("POST", post["url"], body, {"Content-Type": ctype})
    eq((status, error_code(data)[0]), (400, "EntityTooLarge"), "content-length-range")

    post = s3.generate_presigned_post(b, "uploads/late", ExpiresIn=-60)
    body, ctype = form_data(post["fields"], "late", content)
    status, _, data = http("POST", post["url"], body, {"Content-Type": ctype})
    eq((status, error_code(data)), (403, ("AccessDenied", "Invalid according to Policy: Policy expired.")), "expired policy")

    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=b)["Contents"]]
    eq(listed, ["uploads/photo.jpg", "uploads/pic.png"], "only the allowed uploads exist")
    for k in listed:
        s3.delete_object(Bucket=b, Key=k)
    s3.delete_bucket(Bucket=b)


if __name__ == "__main__":
    run()
