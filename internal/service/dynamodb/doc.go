// Package dynamodb implements DynamoDB on Nimbus's state engine: tables
// with local and global secondary indexes, items, Query and Scan, streams
// of item changes, and the table settings (tags, time to live, point-in-
// time recovery). Expressions and attribute values follow AWS exactly
// through the attr and expr sub-packages.
//
// Layout (see keys.go): every table and index is a key space of the
// storage table ddb.items; items are stored with attr's binary encoding
// behind their billed size. Table metadata is JSON in ddb.tables, cached
// by its bytes. Item counts and sizes are kept per key space in ddb.stats
// by the writes themselves. Every item write goes through
// itemWriter.writeItem (write.go), which keeps indexes, statistics and the
// stream in the same transaction; batch, transaction and TTL code build on
// it (update for a multi-item transaction, updateItem for a single-item
// write that may share a group commit).
//
// Behaviour worth knowing:
//   - Tables and indexes are usable at once. CreateTable answers CREATING
//     and DescribeTable already ACTIVE, which SDK waiters and Terraform
//     accept on their first poll. A new global secondary index on a table
//     of up to 10,000 items is filled within UpdateTable; a bigger table's
//     is filled in the background and reports CREATING and Backfilling.
//   - Reads are always strongly consistent; ConsistentRead only changes the
//     capacity reported.
//   - Capacity units are computed as DynamoDB bills them but never
//     enforced: there is no throttling, and BatchWriteItem and
//     BatchGetItem leave nothing unprocessed (except BatchGetItem's keys
//     past 16 MB of items).
//   - A batch's writes, and a transaction, run in one storage
//     transaction (batch.go, transact.go). The engine has one writer, so
//     transactions never conflict: TransactionConflictException and
//     TransactionInProgressException are never returned.
//   - In tables with local secondary indexes, each item collection's
//     size is a counter kept by the writes: writes that would grow one
//     past 10 GB (Deps.ItemCollectionLimit) fail with
//     ItemCollectionSizeLimitExceededException, and
//     ReturnItemCollectionMetrics reads it (collections.go).
//   - Expired items (time to live) are deleted by RunExpiry, within one
//     pass of the worker after they expire (ttl.go).
//   - Backups are snapshots in the blob store (backup.go). While
//     point-in-time recovery is on, writes keep the old image of each
//     changed item in a history trimmed to the recovery period, and
//     RestoreTableToPointInTime rolls the current items back through it
//     (pitr.go). A deleted table's history goes with it.
//   - Contributor Insights settings, resource-based policies (stored and
//     checked, not enforced) and Kinesis streaming destinations live
//     beside their table and go with it (tableextras.go). With no Kinesis
//     in Nimbus, every destination ends ENABLE_FAILED, as on AWS for a
//     stream that does not exist (kinesisdest.go).
//
// Not yet: imports, exports, global tables (2017 and 2019 versions,
// replica auto scaling).
package dynamodb
