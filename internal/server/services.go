package server

import (
	"context"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
	"github.com/nimbus-cloud/nimbus/internal/api/sqsapi"
	"github.com/nimbus-cloud/nimbus/internal/gateway"
	"github.com/nimbus-cloud/nimbus/internal/protocol"
	"github.com/nimbus-cloud/nimbus/internal/protocol/awsjson"
	"github.com/nimbus-cloud/nimbus/internal/protocol/query"
	"github.com/nimbus-cloud/nimbus/internal/protocol/restxml"
	"github.com/nimbus-cloud/nimbus/internal/protocol/rpcv2cbor"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb"
	"github.com/nimbus-cloud/nimbus/internal/service/s3"
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

// build creates every service and the gateway in front of them. The list
// of services is explicit: a grep finds them all.
func (s *Server) build() error {
	s3svc := s3.New(s3.Deps{Store: s.store, Log: s.log})
	s.background(func(ctx context.Context) { s3svc.StartLifecycle(ctx, lifecycleEvery) })

	ddbsvc := dynamodb.New(dynamodb.Deps{Store: s.store, Log: s.log})
	s.background(func(ctx context.Context) { ddbsvc.Start(); <-ctx.Done(); ddbsvc.Close() })

	sqssvc := sqs.New(sqs.Deps{Store: s.store, Log: s.log})
	s.background(func(ctx context.Context) { sqssvc.Run(ctx, sqsSweepEvery) })

	services := []gateway.Service{
		{Model: s3api.Service, Handlers: s3api.Handlers(s3svc), Raw: s3svc.Raw},
		{Model: dynamodbapi.Service, Handlers: dynamodbapi.Handlers(ddbsvc)},
		{Model: sqsapi.Service, Handlers: sqsapi.Handlers(sqssvc)},
	}
	s.handler = gateway.New(gateway.Config{
		Services: services,
		Codecs:   []protocol.Codec{restxml.Codec{}, query.Codec{}, awsjson.Codec{}, rpcv2cbor.Codec{}},
		Region:   s.cfg.Region,
		S3CORS:   s3svc.CORS,
		Version:  Version,
		Logger:   s.log,
	})
	return nil
}
