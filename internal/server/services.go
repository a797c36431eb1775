package server

import (
	"context"
	"net/http"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbstreamsapi"
	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
	"github.com/nimbus-cloud/nimbus/internal/api/snsapi"
	"github.com/nimbus-cloud/nimbus/internal/api/sqsapi"
	"github.com/nimbus-cloud/nimbus/internal/events"
	"github.com/nimbus-cloud/nimbus/internal/gateway"
	"github.com/nimbus-cloud/nimbus/internal/protocol"
	"github.com/nimbus-cloud/nimbus/internal/protocol/awsjson"
	"github.com/nimbus-cloud/nimbus/internal/protocol/query"
	"github.com/nimbus-cloud/nimbus/internal/protocol/restxml"
	"github.com/nimbus-cloud/nimbus/internal/protocol/rpcv2cbor"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb"
	"github.com/nimbus-cloud/nimbus/internal/service/s3"
	"github.com/nimbus-cloud/nimbus/internal/service/sns"
	"github.com/nimbus-cloud/nimbus/internal/service/sqs"
)

// Version is reported by the health endpoints.
const Version = "0.1.0"

// lifecycleEvery is how often S3 lifecycle rules are applied. AWS applies
// them once a day; a local cloud does it often so that tests see expiry.
const lifecycleEvery = time.Minute

// sqsSweepEvery is how often expired SQS messages and deduplication ids
// and the messages of deleted queues are swept.
const sqsSweepEvery = 30 * time.Second

// streamsSweepEvery is how often DynamoDB stream records past their 24
// hours are trimmed and stream shards rolled over.
const streamsSweepEvery = time.Minute

// ddbExpiryEvery is how often DynamoDB deletes the items whose time to
// live has passed. AWS takes up to a few days; a local cloud does it often
// so that tests see expiry.
const ddbExpiryEvery = 30 * time.Second

// snsSweepEvery is how often SNS forgets expired FIFO deduplication ids.
const snsSweepEvery = time.Minute

// build creates every service and the gateway in front of them. The list
// of services is explicit: a grep finds them all.
//
// One events.Bus carries every delivery between services (S3 event
// notifications, SNS fan-out); each service registers the sinks of the
// kinds it receives ("sqs" by SQS; "sns", "http", "https" by SNS; Lambda
// will register "lambda" and EventBridge "events", which S3 and SNS
// already produce when a sink of that kind exists), and the Bus's
// dispatcher runs in the background.
func (s *Server) build() error {
	bus := events.New(s.store, nil, s.log)

	s3svc := s3.New(s3.Deps{Store: s.store, Log: s.log, Events: bus})
	s.background(func(ctx context.Context) { s3svc.StartLifecycle(ctx, lifecycleEvery) })

	ddbsvc := dynamodb.New(dynamodb.Deps{Store: s.store, Log: s.log})
	s.background(func(ctx context.Context) { ddbsvc.Start(); <-ctx.Done(); ddbsvc.Close() })
	s.background(func(ctx context.Context) { ddbsvc.RunExpiry(ctx, ddbExpiryEvery) })
	streamssvc := dynamodb.NewStreams(ddbsvc)
	s.background(func(ctx context.Context) { streamssvc.Run(ctx, streamsSweepEvery) })

	sqssvc := sqs.New(sqs.Deps{Store: s.store, Log: s.log})
	s.background(func(ctx context.Context) { sqssvc.Run(ctx, sqsSweepEvery) })
	s.onShutdown = append(s.onShutdown, sqssvc.EndLongPolls)
	bus.Register(events.KindSQS, sqssvc.Sink())

	snssvc := sns.New(sns.Deps{Store: s.store, Bus: bus, Log: s.log})
	s.background(func(ctx context.Context) { snssvc.Run(ctx, snsSweepEvery) })

	internal := http.NewServeMux()
	internal.Handle("/_nimbus/sns/", snssvc.Handler())

	services := []gateway.Service{
		{Model: s3api.Service, Handlers: s3api.Handlers(s3svc), Raw: s3svc.Raw},
		{Model: dynamodbapi.Service, Handlers: dynamodbapi.Handlers(ddbsvc)},
		{Model: dynamodbstreamsapi.Service, Handlers: dynamodbstreamsapi.Handlers(streamssvc)},
		{Model: sqsapi.Service, Handlers: sqsapi.Handlers(sqssvc)},
		{Model: snsapi.Service, Handlers: snsapi.Handlers(snssvc)},
	}
	s.handler = gateway.New(gateway.Config{
		Services: services,
		Codecs:   []protocol.Codec{restxml.Codec{}, query.Codec{}, awsjson.Codec{}, rpcv2cbor.Codec{}},
		Region:   s.cfg.Region,
		S3CORS:   s3svc.CORS,
		Internal: internal,
		Version:  Version,
		Logger:   s.log,
	})
	// The dispatcher starts once every sink is registered, so that the
	// deliveries left from the last run find theirs.
	s.background(bus.Run)
	return nil
}
