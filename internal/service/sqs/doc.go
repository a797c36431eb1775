// Package sqs is Amazon SQS: standard and FIFO queues, in both of the
// service's wire protocols (the JSON protocol of current SDKs and the query
// protocol of older ones; the codecs choose per request).
//
// Everything a queue holds is in the state engine (see store.go for the
// layout): messages, their visibility deadlines and receipt counts, delays,
// FIFO group order and deduplication ids, move tasks. An acknowledged send
// survives kill -9, and a message in flight when Nimbus stops becomes
// visible again when its visibility timeout ends, as it would have.
//
// Long polls wait on an in-memory channel per queue that every commit
// making a message receivable closes (sends, visibility changes, deletes
// that unlock FIFO groups, dead-letter moves, deliveries from other
// services through Sink), and on a timer for the next delayed or in-flight
// message that becomes visible by itself: no polling.
//
// Receipt handles name the queue, the message and which of its receives
// they belong to. A handle of an earlier receive deletes nothing from a
// standard queue (SQS documents that only the latest handle deletes) and is
// refused by a FIFO queue ("The receipt handle has expired"), as is a FIFO
// handle whose visibility timeout ran out. ChangeMessageVisibility of a
// message whose visibility timeout already ran out succeeds and changes
// nothing, which is what SQS answers.
//
// Limitations: queue policies are stored and returned but not enforced
// (that is the IAM engine's work); KMS settings are accepted and reported,
// messages are not encrypted; FifoThroughputLimit and DeduplicationScope are
// honoured for deduplication only (there is no throughput limit to apply).
package sqs
