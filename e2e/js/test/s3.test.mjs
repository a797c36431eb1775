import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import {
  S3Client,
  S3ServiceException,
  CreateBucketCommand,
  HeadBucketCommand,
  PutObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  DeleteBucketCommand,
  ListObjectsV2Command,
  CopyObjectCommand,
  GetObjectAttributesCommand,
  NoSuchKey,
  NoSuchBucket,
  NotFound,
  BucketAlreadyOwnedByYou,
  paginateListObjectsV2,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { clientConfig, uniqueName } from "./config.mjs";

const s3 = new S3Client({ ...clientConfig, forcePathStyle: true });

async function newBucket() {
  const bucket = uniqueName("js");
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

const md5Hex = (data) => createHash("md5").update(data).digest("hex");

test("buckets and objects: create, put, get, head, delete", async () => {
  const bucket = await newBucket();
  await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  // us-east-1 keeps its legacy answer to re-creating one's own bucket;
  // every other region refuses it.
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const euBucket = uniqueName("js-eu");
  const eu = new S3Client({ ...clientConfig, region: "eu-west-1", forcePathStyle: true });
  const euCreate = { Bucket: euBucket, CreateBucketConfiguration: { LocationConstraint: "eu-west-1" } };
  await eu.send(new CreateBucketCommand(euCreate));
  await assert.rejects(eu.send(new CreateBucketCommand(euCreate)), BucketAlreadyOwnedByYou);
  await eu.send(new DeleteBucketCommand({ Bucket: euBucket }));

  const body = "hello, nimbus from javascript";
  const put = await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: "dir/hello.txt",
      Body: body,
      ContentType: "text/plain",
      Metadata: { color: "blue" },
    }),
  );
  assert.equal(put.ETag, `"${md5Hex(body)}"`);

  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "dir/hello.txt" }));
  assert.equal(await got.Body.transformToString(), body);
  assert.equal(got.ContentType, "text/plain");
  assert.equal(got.ContentLength, body.length);
  assert.deepEqual(got.Metadata, { color: "blue" });
  assert.equal(got.ETag, put.ETag);
  assert.ok(got.LastModified instanceof Date);

  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "dir/hello.txt" }));
  assert.equal(head.ContentLength, body.length);
  assert.equal(head.ETag, put.ETag);
  assert.deepEqual(head.Metadata, { color: "blue" });

  const ranged = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "dir/hello.txt", Range: "bytes=0-4" }));
  assert.equal(await ranged.Body.transformToString(), "hello");
  assert.equal(ranged.ContentRange, `bytes 0-4/${body.length}`);

  const copy = await s3.send(
    new CopyObjectCommand({ Bucket: bucket, Key: "copy.txt", CopySource: `${bucket}/dir/hello.txt` }),
  );
  assert.equal(copy.CopyObjectResult.ETag, put.ETag);

  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "dir/hello.txt" }));
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "copy.txt" }));
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
});

test("errors map to the SDK's exception classes", async () => {
  const bucket = await newBucket();
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "k", Body: "v" }));

  const noKey = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "missing" })).catch((e) => e);
  assert.ok(noKey instanceof NoSuchKey, `got ${noKey?.name}: ${noKey?.message}`);
  assert.ok(noKey instanceof S3ServiceException);
  assert.equal(noKey.name, "NoSuchKey");
  assert.equal(noKey.$metadata.httpStatusCode, 404);
  assert.ok(noKey.$metadata.requestId, "request id");
  assert.equal(noKey.Key, "missing");

  // HEAD responses have no body: the SDK names the error after the status.
  const headMissing = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "missing" })).catch((e) => e);
  assert.ok(headMissing instanceof NotFound, `got ${headMissing?.name}`);
  assert.equal(headMissing.$metadata.httpStatusCode, 404);

  const noBucket = uniqueName("absent");
  await assert.rejects(s3.send(new GetObjectCommand({ Bucket: noBucket, Key: "k" })), NoSuchBucket);
  await assert.rejects(s3.send(new ListObjectsV2Command({ Bucket: noBucket })), NoSuchBucket);
  await assert.rejects(s3.send(new HeadBucketCommand({ Bucket: noBucket })), NotFound);

  const notEmpty = await s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch((e) => e);
  assert.equal(notEmpty.name, "BucketNotEmpty");
  assert.equal(notEmpty.$metadata.httpStatusCode, 409);

  const badName = await s3.send(new CreateBucketCommand({ Bucket: "Invalid_Name" })).catch((e) => e);
  assert.equal(badName.name, "InvalidBucketName");
  assert.equal(badName.$metadata.httpStatusCode, 400);

  const badRange = await s3
    .send(new GetObjectCommand({ Bucket: bucket, Key: "k", Range: "bytes=100-200" }))
    .catch((e) => e);
  assert.equal(badRange.name, "InvalidRange");
  assert.equal(badRange.$metadata.httpStatusCode, 416);
});

test("keys with spaces, unicode and reserved characters round-trip", async () => {
  const bucket = await newBucket();
  const keys = ["with space.txt", "plus+sign", "ünïcødé/файл", "question?mark", "hash#tag", "percent%20", "a=b&c", "tilde~*'()", "dir//double"];
  for (const Key of keys) {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: Key }));
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key }));
    assert.equal(await got.Body.transformToString(), Key, Key);
  }
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  assert.deepEqual(listed.Contents.map((o) => o.Key).sort(), [...keys].sort());
  const copied = await s3.send(
    new CopyObjectCommand({ Bucket: bucket, Key: "copy of ünïcødé", CopySource: encodeURI(`${bucket}/ünïcødé/файл`) }),
  );
  assert.ok(copied.CopyObjectResult.ETag);
});

test("conditional requests", async () => {
  const bucket = await newBucket();
  const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "c", Body: "v1" }));
  const notModified = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "c", IfNoneMatch: put.ETag })).catch((e) => e);
  assert.equal(notModified.$metadata?.httpStatusCode, 304, `${notModified.name}: ${notModified.message}`);
  const failed = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "c", IfMatch: '"0000"' })).catch((e) => e);
  assert.equal(failed.$metadata?.httpStatusCode, 412);
  assert.equal(failed.name, "PreconditionFailed");
  const headFailed = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "c", IfMatch: '"0000"' })).catch((e) => e);
  assert.equal(headFailed.$metadata?.httpStatusCode, 412);
  const exists = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "c", Body: "v2", IfNoneMatch: "*" })).catch((e) => e);
  assert.equal(exists.name, "PreconditionFailed");
  assert.equal(exists.$metadata.httpStatusCode, 412);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "c", Body: "v2", IfMatch: put.ETag }));
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "c" }));
  assert.equal(await got.Body.transformToString(), "v2");
});

test("ListObjectsV2 pages with continuation tokens and delimiters", async () => {
  const bucket = await newBucket();
  const keys = [];
  for (let i = 0; i < 25; i++) keys.push(`logs/${String(i).padStart(3, "0")}.txt`);
  keys.push("top-a", "top-b", "other/x");
  await Promise.all(keys.map((Key) => s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: Key }))));

  const seen = [];
  let pages = 0;
  for await (const page of paginateListObjectsV2({ client: s3, pageSize: 7 }, { Bucket: bucket, Prefix: "logs/" })) {
    pages++;
    assert.ok(page.KeyCount <= 7);
    assert.equal(page.MaxKeys, 7);
    for (const o of page.Contents ?? []) {
      seen.push(o.Key);
      assert.equal(o.Size, o.Key.length);
      assert.equal(o.ETag, `"${md5Hex(o.Key)}"`);
    }
  }
  assert.equal(pages, 4);
  assert.deepEqual(seen, keys.slice(0, 25));

  const delimited = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Delimiter: "/" }));
  assert.deepEqual(
    delimited.CommonPrefixes.map((p) => p.Prefix),
    ["logs/", "other/"],
  );
  assert.deepEqual(
    delimited.Contents.map((o) => o.Key),
    ["top-a", "top-b"],
  );
  assert.equal(delimited.KeyCount, 4);
  assert.equal(delimited.IsTruncated, false);

  const after = await s3.send(new ListObjectsV2Command({ Bucket: bucket, StartAfter: "other/x" }));
  assert.deepEqual(
    after.Contents.map((o) => o.Key),
    ["top-a", "top-b"],
  );

  const deleted = await s3.send(
    new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.map((Key) => ({ Key })) } }),
  );
  assert.equal(deleted.Deleted.length, keys.length);
  assert.equal((await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).KeyCount, 0);
});

test("default flexible checksums: CRC32 sent on upload and validated on download", async () => {
  const bucket = await newBucket();
  const body = Buffer.from("checksummed ".repeat(1000));
  const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "crc", Body: body }));
  assert.ok(put.ChecksumCRC32, "PutObject returns the CRC32 the SDK sent");

  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "crc", ChecksumMode: "ENABLED" }));
  assert.equal(got.ChecksumCRC32, put.ChecksumCRC32);
  assert.deepEqual(Buffer.from(await got.Body.transformToByteArray()), body);

  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "crc", ChecksumMode: "ENABLED" }));
  assert.equal(head.ChecksumCRC32, put.ChecksumCRC32);

  const attrs = await s3.send(
    new GetObjectAttributesCommand({ Bucket: bucket, Key: "crc", ObjectAttributes: ["Checksum", "ObjectSize", "ETag"] }),
  );
  assert.equal(attrs.Checksum.ChecksumCRC32, put.ChecksumCRC32);
  assert.equal(attrs.ObjectSize, body.length);

  for (const algorithm of ["SHA256", "SHA1", "CRC32C", "CRC64NVME"]) {
    const p = await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: `alg-${algorithm}`, Body: body, ChecksumAlgorithm: algorithm }),
    );
    assert.ok(p[`Checksum${algorithm}`], `PutObject returns Checksum${algorithm}`);
    const g = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `alg-${algorithm}`, ChecksumMode: "ENABLED" }));
    assert.equal(g[`Checksum${algorithm}`], p[`Checksum${algorithm}`]);
    assert.equal((await g.Body.transformToByteArray()).length, body.length);
  }

  // A checksum the body does not match is refused.
  const bad = await s3
    .send(new PutObjectCommand({ Bucket: bucket, Key: "bad", Body: "abc", ChecksumCRC32: "AAAAAA==" }))
    .catch((e) => e);
  assert.ok(bad instanceof Error, "a wrong CRC32 must fail");
  assert.equal(bad.$metadata?.httpStatusCode, 400, `${bad.name}: ${bad.message}`);
  assert.match(bad.name, /BadDigest|InvalidRequest/);
});

test("streamed bodies go up aws-chunked with a trailing checksum", async () => {
  const bucket = await newBucket();
  const chunks = Array.from({ length: 40 }, (_, i) => Buffer.alloc(4096, i));
  const whole = Buffer.concat(chunks);
  // A stream with a known length: the SDK signs the payload as unsigned,
  // aws-chunked encoded, with x-amz-checksum-crc32 in the trailer. S3 takes
  // no chunk under 8 KiB but the last, and the SDK explains its error.
  const small = await s3
    .send(new PutObjectCommand({ Bucket: bucket, Key: "streamed", Body: Readable.from(chunks), ContentLength: whole.length }))
    .catch((e) => e);
  assert.equal(small.name, "InvalidChunkSizeError", `${small.name}: ${small.message}`);
  assert.equal(small.$metadata.httpStatusCode, 403);
  assert.equal(small.Chunk, "1");
  assert.equal(small.BadChunkSize, "4096");

  const buffered = new S3Client({ ...clientConfig, forcePathStyle: true, requestStreamBufferSize: 64 * 1024 });
  const put = await buffered.send(
    new PutObjectCommand({ Bucket: bucket, Key: "streamed", Body: Readable.from(chunks), ContentLength: whole.length }),
  );
  assert.ok(put.ChecksumCRC32);
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "streamed", ChecksumMode: "ENABLED" }));
  assert.equal(got.ContentLength, whole.length);
  assert.equal(got.ChecksumCRC32, put.ChecksumCRC32);
  assert.equal(md5Hex(Buffer.from(await got.Body.transformToByteArray())), md5Hex(whole));

  const sha = await buffered.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: "streamed-sha256",
      Body: Readable.from(chunks),
      ContentLength: whole.length,
      ChecksumAlgorithm: "SHA256",
    }),
  );
  assert.equal(sha.ChecksumSHA256, createHash("sha256").update(whole).digest("base64"));

  // A stream of unknown length goes through lib-storage, which buffers parts.
  const upload = await new Upload({
    client: s3,
    params: { Bucket: bucket, Key: "unknown-length", Body: Readable.from(chunks) },
  }).done();
  assert.equal(upload.ETag, `"${md5Hex(whole)}"`);
});

test("multipart upload through lib-storage Upload", async () => {
  const bucket = await newBucket();
  const partSize = 5 * 1024 * 1024;
  const body = Buffer.alloc(partSize * 2 + 12345);
  for (let i = 0; i < body.length; i++) body[i] = i % 251;

  const upload = new Upload({
    client: s3,
    params: { Bucket: bucket, Key: "big.bin", Body: body, ContentType: "application/octet-stream" },
    partSize,
    queueSize: 2,
  });
  const parts = [];
  upload.on("httpUploadProgress", (p) => parts.push(p.part));
  const done = await upload.done();
  assert.equal(done.Key, "big.bin");
  assert.match(done.ETag, /^"[0-9a-f]{32}-3"$/);
  assert.ok(parts.length >= 3);

  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "big.bin", ChecksumMode: "ENABLED" }));
  assert.equal(head.ContentLength, body.length);
  assert.equal(head.ETag, done.ETag);
  assert.equal(head.ContentType, "application/octet-stream");

  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "big.bin", ChecksumMode: "ENABLED" }));
  const data = Buffer.from(await got.Body.transformToByteArray());
  assert.equal(md5Hex(data), md5Hex(body));

  const part2 = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "big.bin", PartNumber: 2 }));
  assert.equal(part2.ContentLength, partSize);
  assert.equal(part2.PartsCount, 3);
  await part2.Body.transformToByteArray();

  // Parts with the SDK's default CRC32 checksums: the object's checksum is
  // the composite of the parts', and GetObject validation skips it.
  const withCRC = await new Upload({
    client: s3,
    params: { Bucket: bucket, Key: "big-crc.bin", Body: body, ChecksumAlgorithm: "CRC32" },
    partSize,
  }).done();
  assert.match(withCRC.ChecksumCRC32 ?? "", /^[A-Za-z0-9+/]+={0,2}-3$/, `CompleteMultipartUpload checksum ${withCRC.ChecksumCRC32}`);
  const gotCRC = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "big-crc.bin", ChecksumMode: "ENABLED" }));
  assert.equal(gotCRC.ChecksumCRC32, withCRC.ChecksumCRC32);
  assert.equal(gotCRC.ChecksumType, "COMPOSITE");
  assert.equal(md5Hex(Buffer.from(await gotCRC.Body.transformToByteArray())), md5Hex(body));

  // A body smaller than one part goes up as a single PutObject.
  const small = await new Upload({ client: s3, params: { Bucket: bucket, Key: "small", Body: "tiny" } }).done();
  assert.equal(small.ETag, `"${md5Hex("tiny")}"`);
});

test("presigned GET and PUT URLs", async () => {
  const bucket = await newBucket();
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "shared.txt", Body: "presigned body" }));

  const getURL = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: "shared.txt" }), { expiresIn: 300 });
  assert.match(getURL, /X-Amz-Signature=/);
  const res = await fetch(getURL);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), "presigned body");

  const putURL = await getSignedUrl(
    s3,
    new PutObjectCommand({ Bucket: bucket, Key: "uploaded.txt", ContentType: "text/plain" }),
    { expiresIn: 300 },
  );
  const put = await fetch(putURL, { method: "PUT", body: "sent with fetch", headers: { "content-type": "text/plain" } });
  assert.equal(put.status, 200, await put.text());
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "uploaded.txt" }));
  assert.equal(await got.Body.transformToString(), "sent with fetch");
  assert.equal(got.ContentType, "text/plain");

  // An expired URL is refused.
  const expiredURL = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: "shared.txt" }), {
    expiresIn: 60,
    signingDate: new Date(Date.now() - 3600 * 1000),
  });
  const expired = await fetch(expiredURL);
  assert.equal(expired.status, 403);
  assert.match(await expired.text(), /<Code>AccessDenied<\/Code>[\s\S]*Request has expired/);
});
