package sns

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"strconv"
	"strings"

	"github.com/nimbus-cloud/nimbus/internal/api/snsapi"
	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/events"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// Mobile push: platform applications (one per push service and app) and
// their endpoints (one per device token). Nimbus cannot reach APNs or FCM:
// what would be pushed to a device is captured in the outbox, with the
// message the endpoint's platform would get.

// Tables of mobile push. Applications and endpoints are keyed by their
// ARNs: an endpoint's ARN starts with its platform and application name,
// so a prefix scan lists an application's endpoints.
const (
	tableApps      = "sns.apps"      // application ARN → appRecord
	tableEndpoints = "sns.endpoints" // endpoint ARN → endpointRecord
	tableDevices   = "sns.devices"   // application ARN \x00 token → endpoint ARN
)

// platforms SNS pushes through.
var platforms = map[string]bool{"ADM": true, "APNS": true, "APNS_SANDBOX": true, "GCM": true, "BAIDU": true, "MPNS": true, "WNS": true}

// Platform application attributes.
const (
	attrPlatformCredential = "PlatformCredential"
	attrPlatformPrincipal  = "PlatformPrincipal"
	attrEnabled            = "Enabled"
	attrCustomUserData     = "CustomUserData"
	attrToken              = "Token"
)

// eventAttributes name the topics that hear of an application's endpoints.
var eventAttributes = map[string]string{
	"EventEndpointCreated": "EndpointCreated",
	"EventEndpointDeleted": "EndpointDeleted",
	"EventEndpointUpdated": "EndpointUpdated",
	"EventDeliveryFailure": "DeliveryFailure",
}

var appAttributes = map[string]bool{
	attrPlatformCredential: true, attrPlatformPrincipal: true,
	"EventEndpointCreated": true, "EventEndpointDeleted": true, "EventEndpointUpdated": true, "EventDeliveryFailure": true,
	"SuccessFeedbackRoleArn": true, "FailureFeedbackRoleArn": true, "SuccessFeedbackSampleRate": true,
	"ApplePlatformTeamID": true, "ApplePlatformBundleID": true, "AuthenticationMethod": true,
}

type appRecord struct {
	ARN      string            `json:"arn"`
	Name     string            `json:"name"`
	Platform string            `json:"platform"`
	Attrs    map[string]string `json:"attrs,omitempty"` // credentials included
}

// attributes are what GetPlatformApplicationAttributes shows: never the
// credentials.
func (a *appRecord) attributes() map[string]string {
	out := map[string]string{attrEnabled: "true"}
	for k, v := range a.Attrs {
		if k != attrPlatformCredential && k != attrPlatformPrincipal {
			out[k] = v
		}
	}
	return out
}

type endpointRecord struct {
	ARN   string            `json:"arn"`
	App   string            `json:"app"`
	Attrs map[string]string `json:"attrs"` // Enabled, Token, CustomUserData
}

func (e *endpointRecord) enabled() bool { return e.Attrs[attrEnabled] != "false" }

// platformARN is an application or endpoint ARN taken apart.
type platformARN struct {
	region, account, platform, app, id string
}

func (p platformARN) appARN() string {
	return arnPrefix + p.region + ":" + p.account + ":app/" + p.platform + "/" + p.app
}

// parsePlatformARN reads arn:aws:sns:region:account:app/PLATFORM/name
// (kind "app") or .../endpoint/PLATFORM/name/id (kind "endpoint"); param
// names the parameter in the error, worded as SNS words it.
func parsePlatformARN(arn, kind, param string) (platformARN, error) {
	parts := strings.Split(arn, ":")
	if len(parts) < 6 {
		return platformARN{}, invalidParameter("%s Reason: An ARN must have at least 6 elements, not %d", param, len(parts))
	}
	if parts[0] != "arn" || parts[1] != partition || parts[2] != "sns" || parts[3] == "" || len(parts[4]) != 12 || len(parts) != 6 {
		return platformARN{}, invalidParameter("%s Reason: Invalid ARN", param)
	}
	rel := strings.Split(parts[5], "/")
	want := 3
	if kind == "endpoint" {
		want = 4
	}
	if len(rel) != want {
		return platformARN{}, invalidParameter("%s Reason: Wrong number of slashes in relative portion of the ARN.", param)
	}
	if rel[0] != kind || !platforms[rel[1]] || rel[2] == "" || (kind == "endpoint" && rel[3] == "") {
		return platformARN{}, invalidParameter("%s Reason: Invalid ARN", param)
	}
	p := platformARN{region: parts[3], account: parts[4], platform: rel[1], app: rel[2]}
	if kind == "endpoint" {
		p.id = rel[3]
	}
	return p, nil
}

// validAppName: 1 to 256 letters, digits, underscores, hyphens and
// periods.
func validAppName(name string) bool {
	if name == "" || len(name) > 256 {
		return false
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// checkAppAttributes validates application attributes; creating, an
// application needs its credentials.
func checkAppAttributes(platform string, attrs map[string]string, creating bool) error {
	for k, v := range attrs {
		if !appAttributes[k] {
			return invalidParameter("Attributes Reason: Invalid attribute name: %s", k)
		}
		switch {
		case eventAttributes[k] != "" && v != "":
			if _, ok := parseTopicARN(v); !ok {
				return invalidParameter("Attributes Reason: %s: %s is not a valid topic ARN", k, v)
			}
		case k == "SuccessFeedbackSampleRate" && v != "":
			if n, err := strconv.Atoi(v); err != nil || n < 0 || n > 100 {
				return invalidParameter("Attributes Reason: SuccessFeedbackSampleRate: %s is not an integer between 0 and 100", v)
			}
		}
	}
	if !creating {
		return nil
	}
	if attrs[attrPlatformCredential] == "" {
		return invalidParameter("Attributes Reason: PlatformCredential attribute is required")
	}
	// Firebase needs only its key; every other service names the
	// application too.
	if platform != "GCM" && attrs[attrPlatformPrincipal] == "" {
		return invalidParameter("Attributes Reason: PlatformPrincipal attribute is required")
	}
	return nil
}

func loadApp(tx storage.Tx, arn string) (*appRecord, error) {
	var a appRecord
	if err := getJSON(tx, tableApps, arn, &a); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return nil, snsapi.ErrNotFoundException.New("PlatformApplication does not exist")
		}
		return nil, err
	}
	return &a, nil
}

func loadEndpoint(tx storage.Tx, arn string) (*endpointRecord, error) {
	var e endpointRecord
	if err := getJSON(tx, tableEndpoints, arn, &e); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return nil, snsapi.ErrNotFoundException.New("Endpoint does not exist")
		}
		return nil, err
	}
	return &e, nil
}

func (s *Service) CreatePlatformApplication(ctx context.Context, in *snsapi.CreatePlatformApplicationInput) (*snsapi.CreatePlatformApplicationOutput, error) {
	info := request.FromContext(ctx)
	name, platform := deref(in.Name), deref(in.Platform)
	if !validAppName(name) {
		return nil, invalidParameter("Invalid platform application name: must be 1-256 characters: letters, digits, underscores, hyphens and periods")
	}
	if !platforms[platform] {
		return nil, invalidParameter("Platform Reason: %s is not supported", platform)
	}
	if err := checkAppAttributes(platform, in.Attributes, true); err != nil {
		return nil, err
	}
	arn := platformARN{region: info.Region, account: info.Account, platform: platform, app: name}.appARN()
	err := s.db.Update(ctx, func(tx storage.Tx) error {
		// Creating an application that exists updates its attributes.
		a, err := loadApp(tx, arn)
		if err != nil && !isNotFound(err) {
			return err
		}
		if a == nil {
			a = &appRecord{ARN: arn, Name: name, Platform: platform, Attrs: map[string]string{}}
		}
		maps.Copy(a.Attrs, in.Attributes)
		return putJSON(tx, tableApps, arn, a)
	})
	if err != nil {
		return nil, err
	}
	return &snsapi.CreatePlatformApplicationOutput{PlatformApplicationArn: &arn}, nil
}

func (s *Service) GetPlatformApplicationAttributes(ctx context.Context, in *snsapi.GetPlatformApplicationAttributesInput) (*snsapi.GetPlatformApplicationAttributesOutput, error) {
	arn := deref(in.PlatformApplicationArn)
	if _, err := parsePlatformARN(arn, "app", "PlatformApplicationArn"); err != nil {
		return nil, err
	}
	var a *appRecord
	err := s.db.View(ctx, func(tx storage.Tx) error {
		var err error
		a, err = loadApp(tx, arn)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &snsapi.GetPlatformApplicationAttributesOutput{Attributes: a.attributes()}, nil
}

func (s *Service) SetPlatformApplicationAttributes(ctx context.Context, in *snsapi.SetPlatformApplicationAttributesInput) (*snsapi.SetPlatformApplicationAttributesOutput, error) {
	arn := deref(in.PlatformApplicationArn)
	p, err := parsePlatformARN(arn, "app", "PlatformApplicationArn")
	if err != nil {
		return nil, err
	}
	if err := checkAppAttributes(p.platform, in.Attributes, false); err != nil {
		return nil, err
	}
	err = s.db.Update(ctx, func(tx storage.Tx) error {
		a, err := loadApp(tx, arn)
		if err != nil {
			return err
		}
		for k, v := range in.Attributes {
			if v == "" && k != attrPlatformCredential && k != attrPlatformPrincipal {
				delete(a.Attrs, k)
			} else {
				a.Attrs[k] = v
			}
		}
		return putJSON(tx, tableApps, arn, a)
	})
	if err != nil {
		return nil, err
	}
	return &snsapi.SetPlatformApplicationAttributesOutput{}, nil
}

func (s *Service) ListPlatformApplications(ctx context.Context, in *snsapi.ListPlatformApplicationsInput) (*snsapi.ListPlatformApplicationsOutput, error) {
	info := request.FromContext(ctx)
	prefix := arnPrefix + info.Region + ":" + info.Account + ":app/"
	after, err := decodeToken(in.NextToken, prefix)
	if err != nil {
		return nil, err
	}
	out := &snsapi.ListPlatformApplicationsOutput{PlatformApplications: []snsapi.PlatformApplication{}}
	err = s.db.View(ctx, func(tx storage.Tx) error {
		return scanJSON(tx, tableApps, storage.Range{Prefix: []byte(prefix), After: after}, func(_ []byte, a *appRecord) bool {
			if len(out.PlatformApplications) == pageSize {
				out.NextToken = ptr(encodeToken(out.PlatformApplications[pageSize-1].PlatformApplicationArn))
				return false
			}
			out.PlatformApplications = append(out.PlatformApplications,
				snsapi.PlatformApplication{PlatformApplicationArn: ptr(a.ARN), Attributes: a.attributes()})
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) DeletePlatformApplication(ctx context.Context, in *snsapi.DeletePlatformApplicationInput) (*snsapi.DeletePlatformApplicationOutput, error) {
	arn := deref(in.PlatformApplicationArn)
	p, err := parsePlatformARN(arn, "app", "PlatformApplicationArn")
	if err != nil {
		return nil, err
	}
	// Deleting an application that does not exist is not an error; its
	// endpoints go with it.
	err = s.db.Update(ctx, func(tx storage.Tx) error {
		eps, err := appEndpoints(tx, p, nil, -1)
		if err != nil {
			return err
		}
		for _, e := range eps {
			if err := deleteEndpointRecord(tx, e); err != nil {
				return err
			}
		}
		return tx.Delete(tableApps, []byte(arn))
	})
	if err != nil {
		return nil, err
	}
	return &snsapi.DeletePlatformApplicationOutput{}, nil
}

func endpointPrefix(p platformARN) string {
	return arnPrefix + p.region + ":" + p.account + ":endpoint/" + p.platform + "/" + p.app + "/"
}

// appEndpoints lists up to limit (-1: all) endpoints of an application
// after the key after.
func appEndpoints(tx storage.Tx, p platformARN, after []byte, limit int) ([]*endpointRecord, error) {
	var out []*endpointRecord
	if limit == 0 {
		return out, nil
	}
	err := scanJSON(tx, tableEndpoints, storage.Range{Prefix: []byte(endpointPrefix(p)), After: after}, func(_ []byte, e *endpointRecord) bool {
		out = append(out, e)
		return len(out) != limit
	})
	return out, err
}

func deleteEndpointRecord(tx storage.Tx, e *endpointRecord) error {
	if err := tx.Delete(tableDevices, []byte(e.App+"\x00"+e.Attrs[attrToken])); err != nil {
		return err
	}
	return tx.Delete(tableEndpoints, []byte(e.ARN))
}

// checkEndpointAttributes validates endpoint attributes.
func checkEndpointAttributes(attrs map[string]string) error {
	for k, v := range attrs {
		switch k {
		case attrCustomUserData:
			if len(v) > 2048 {
				return invalidParameter("Attributes Reason: CustomUserData must be at most 2048 bytes long")
			}
		case attrEnabled:
			if v != "true" && v != "false" {
				return invalidParameter("Attributes Reason: Enabled must be true or false")
			}
		case attrToken:
			if v == "" {
				return invalidParameter("Attributes Reason: Token must not be empty")
			}
		default:
			return invalidParameter("Attributes Reason: Invalid attribute name: %s", k)
		}
	}
	return nil
}

func (s *Service) CreatePlatformEndpoint(ctx context.Context, in *snsapi.CreatePlatformEndpointInput) (*snsapi.CreatePlatformEndpointOutput, error) {
	appArn, token := deref(in.PlatformApplicationArn), deref(in.Token)
	p, err := parsePlatformARN(appArn, "app", "PlatformApplicationArn")
	if err != nil {
		return nil, err
	}
	if token == "" {
		return nil, invalidParameter("Token Reason: Token must not be empty")
	}
	if err := checkEndpointAttributes(in.Attributes); err != nil {
		return nil, err
	}
	want := map[string]string{}
	maps.Copy(want, in.Attributes)
	if in.CustomUserData != nil {
		want[attrCustomUserData] = *in.CustomUserData
	}
	if want[attrCustomUserData] == "" {
		delete(want, attrCustomUserData)
	}
	want[attrToken] = token
	var arn string
	err = s.db.Update(ctx, func(tx storage.Tx) error {
		a, err := loadApp(tx, appArn)
		if err != nil {
			return err
		}
		// The same token again is the same endpoint, unless it asks for
		// different attributes.
		existing, err := tx.Get(tableDevices, []byte(appArn+"\x00"+token))
		switch {
		case err == nil:
			e, err := loadEndpoint(tx, string(existing))
			if err != nil {
				return err
			}
			if e.Attrs[attrCustomUserData] != want[attrCustomUserData] {
				return invalidParameter("Token Reason: Endpoint %s already exists with the same Token, but different attributes.", e.ARN)
			}
			for k, v := range want {
				if e.Attrs[k] != v && !(k == attrEnabled && v == "true" && e.enabled()) {
					return invalidParameter("Token Reason: Endpoint %s already exists with the same Token, but different attributes.", e.ARN)
				}
			}
			arn = e.ARN
			return nil
		case !errors.Is(err, storage.ErrNotFound):
			return err
		}
		p.id = newUUID()
		e := &endpointRecord{ARN: endpointPrefix(p) + p.id, App: appArn, Attrs: want}
		if _, ok := e.Attrs[attrEnabled]; !ok {
			e.Attrs[attrEnabled] = "true"
		}
		arn = e.ARN
		if err := tx.Put(tableDevices, []byte(appArn+"\x00"+token), []byte(e.ARN)); err != nil {
			return err
		}
		if err := putJSON(tx, tableEndpoints, e.ARN, e); err != nil {
			return err
		}
		return s.endpointEvent(tx, a, e, "EventEndpointCreated", nil)
	})
	if err != nil {
		return nil, err
	}
	return &snsapi.CreatePlatformEndpointOutput{EndpointArn: &arn}, nil
}

func (s *Service) GetEndpointAttributes(ctx context.Context, in *snsapi.GetEndpointAttributesInput) (*snsapi.GetEndpointAttributesOutput, error) {
	arn := deref(in.EndpointArn)
	if _, err := parsePlatformARN(arn, "endpoint", "EndpointArn"); err != nil {
		return nil, err
	}
	var e *endpointRecord
	err := s.db.View(ctx, func(tx storage.Tx) error {
		var err error
		e, err = loadEndpoint(tx, arn)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &snsapi.GetEndpointAttributesOutput{Attributes: e.Attrs}, nil
}

func (s *Service) SetEndpointAttributes(ctx context.Context, in *snsapi.SetEndpointAttributesInput) (*snsapi.SetEndpointAttributesOutput, error) {
	arn := deref(in.EndpointArn)
	if _, err := parsePlatformARN(arn, "endpoint", "EndpointArn"); err != nil {
		return nil, err
	}
	if err := checkEndpointAttributes(in.Attributes); err != nil {
		return nil, err
	}
	err := s.db.Update(ctx, func(tx storage.Tx) error {
		e, err := loadEndpoint(tx, arn)
		if err != nil {
			return err
		}
		if token, ok := in.Attributes[attrToken]; ok && token != e.Attrs[attrToken] {
			key := []byte(e.App + "\x00" + token)
			if other, err := tx.Get(tableDevices, key); err == nil && string(other) != arn {
				return invalidParameter("Token Reason: Endpoint %s already exists with the same Token", other)
			}
			if err := tx.Delete(tableDevices, []byte(e.App+"\x00"+e.Attrs[attrToken])); err != nil {
				return err
			}
			if err := tx.Put(tableDevices, key, []byte(arn)); err != nil {
				return err
			}
		}
		for k, v := range in.Attributes {
			if k == attrCustomUserData && v == "" {
				delete(e.Attrs, k)
			} else {
				e.Attrs[k] = v
			}
		}
		if err := putJSON(tx, tableEndpoints, arn, e); err != nil {
			return err
		}
		a, err := loadApp(tx, e.App)
		if err != nil {
			return nil // an orphan endpoint has nobody to tell
		}
		return s.endpointEvent(tx, a, e, "EventEndpointUpdated", nil)
	})
	if err != nil {
		return nil, err
	}
	return &snsapi.SetEndpointAttributesOutput{}, nil
}

func (s *Service) ListEndpointsByPlatformApplication(ctx context.Context, in *snsapi.ListEndpointsByPlatformApplicationInput) (*snsapi.ListEndpointsByPlatformApplicationOutput, error) {
	appArn := deref(in.PlatformApplicationArn)
	p, err := parsePlatformARN(appArn, "app", "PlatformApplicationArn")
	if err != nil {
		return nil, err
	}
	after, err := decodeToken(in.NextToken, endpointPrefix(p))
	if err != nil {
		return nil, err
	}
	out := &snsapi.ListEndpointsByPlatformApplicationOutput{Endpoints: []snsapi.Endpoint{}}
	err = s.db.View(ctx, func(tx storage.Tx) error {
		if _, err := loadApp(tx, appArn); err != nil {
			return err
		}
		eps, err := appEndpoints(tx, p, after, pageSize+1)
		if err != nil {
			return err
		}
		for i, e := range eps {
			if i == pageSize {
				out.NextToken = ptr(encodeToken(out.Endpoints[pageSize-1].EndpointArn))
				break
			}
			out.Endpoints = append(out.Endpoints, snsapi.Endpoint{EndpointArn: ptr(e.ARN), Attributes: e.Attrs})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) DeleteEndpoint(ctx context.Context, in *snsapi.DeleteEndpointInput) (*snsapi.DeleteEndpointOutput, error) {
	arn := deref(in.EndpointArn)
	if _, err := parsePlatformARN(arn, "endpoint", "EndpointArn"); err != nil {
		return nil, err
	}
	// Deleting an endpoint that does not exist is not an error.
	err := s.db.Update(ctx, func(tx storage.Tx) error {
		e, err := loadEndpoint(tx, arn)
		if isNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := deleteEndpointRecord(tx, e); err != nil {
			return err
		}
		a, err := loadApp(tx, e.App)
		if err != nil {
			return nil
		}
		return s.endpointEvent(tx, a, e, "EventEndpointDeleted", nil)
	})
	if err != nil {
		return nil, err
	}
	return &snsapi.DeleteEndpointOutput{}, nil
}

// endpointEvent tells the topic an application names in attr (if any)
// what happened to one of its endpoints, through the Bus in tx.
func (s *Service) endpointEvent(tx storage.Tx, a *appRecord, e *endpointRecord, attr string, failure *awserr.Error) error {
	topic := a.Attrs[attr]
	if topic == "" || s.bus == nil || !s.bus.Handles(events.KindSNS) {
		return nil
	}
	ev := struct {
		DeliveryAttempts *int   `json:"DeliveryAttempts,omitempty"`
		EndpointArn      string `json:"EndpointArn"`
		EventType        string `json:"EventType"`
		FailureMessage   string `json:"FailureMessage,omitempty"`
		FailureType      string `json:"FailureType,omitempty"`
		Resource         string `json:"Resource"`
		Service          string `json:"Service"`
		Time             string `json:"Time"`
	}{EndpointArn: e.ARN, EventType: eventAttributes[attr], Resource: a.ARN, Service: "SNS",
		Time: s.now().UTC().Format(timestampLayout)}
	if failure != nil {
		ev.DeliveryAttempts, ev.FailureMessage, ev.FailureType = ptr(1), failure.Message, failure.Code
	}
	body, _ := json.Marshal(ev)
	return s.bus.Enqueue(tx, &events.Delivery{Kind: events.KindSNS, Target: topic, Source: a.ARN, Body: body})
}

// messageForPlatform is the message an endpoint of platform gets: its
// platform's entry of a MessageStructure=json message, or the default.
func (p *publication) messageForPlatform(platform string) string {
	if m, ok := p.perProtocol[platform]; ok {
		return m
	}
	return p.message
}

// pushToEndpoint captures in tx what a mobile push to an endpoint would
// send. A missing or disabled endpoint is an error of the publisher's
// making (Publish reports it; a topic skips the subscription and reports
// a delivery failure to the application's EventDeliveryFailure topic).
func (s *Service) pushToEndpoint(tx storage.Tx, arn string, pub *publication, m *outboxMessage) error {
	p, err := parsePlatformARN(arn, "endpoint", "TargetArn")
	if err != nil {
		return err
	}
	e, err := loadEndpoint(tx, arn)
	if isNotFound(err) {
		return invalidParameter("TargetArn Reason: No endpoint found for the target arn specified")
	}
	if err != nil {
		return err
	}
	if !e.enabled() {
		failure := snsapi.ErrEndpointDisabledException.New("Endpoint is disabled")
		if a, err := loadApp(tx, e.App); err == nil {
			if err := s.endpointEvent(tx, a, e, "EventDeliveryFailure", failure); err != nil {
				return err
			}
		}
		return failure
	}
	m.Protocol, m.Endpoint, m.Platform, m.DeviceToken = protoApplication, arn, p.platform, e.Attrs[attrToken]
	m.CustomUserData = e.Attrs[attrCustomUserData]
	m.Message = pub.messageForPlatform(p.platform)
	return s.writeOutbox(tx, m)
}
