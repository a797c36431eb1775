package sns

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/api/snsapi"
	"github.com/nimbus-cloud/nimbus/internal/storage"
	"github.com/nimbus-cloud/nimbus/internal/storage/bolt"
)

func (f *fixture) createApp(name, platform string, attrs map[string]string) string {
	f.t.Helper()
	if attrs == nil {
		attrs = map[string]string{"PlatformCredential": "key", "PlatformPrincipal": "principal"}
	}
	out, err := f.svc.CreatePlatformApplication(f.ctx, &snsapi.CreatePlatformApplicationInput{Name: &name, Platform: &platform, Attributes: attrs})
	if err != nil {
		f.t.Fatalf("CreatePlatformApplication(%s): %v", name, err)
	}
	return *out.PlatformApplicationArn
}

func (f *fixture) createEndpoint(app, token string, attrs map[string]string) string {
	f.t.Helper()
	out, err := f.svc.CreatePlatformEndpoint(f.ctx, &snsapi.CreatePlatformEndpointInput{PlatformApplicationArn: &app, Token: &token, Attributes: attrs})
	if err != nil {
		f.t.Fatalf("CreatePlatformEndpoint(%s): %v", token, err)
	}
	return *out.EndpointArn
}

func TestCreatePlatformApplicationChecks(t *testing.T) {
	f := newFixture(t)
	creds := map[string]string{"PlatformCredential": "k", "PlatformPrincipal": "p"}
	for _, tc := range []struct {
		name, platform string
		attrs          map[string]string
		code, msg      string
	}{
		{"app", "GCM", map[string]string{"PlatformCredential": "k"}, "", ""},
		{"app.v-2_x", "APNS", creds, "", ""},
		{"", "GCM", creds, "InvalidParameter", ""},
		{"bad name", "GCM", creds, "InvalidParameter", ""},
		{"app", "IOS", creds, "InvalidParameter", "Invalid parameter: Platform Reason: IOS is not supported"},
		{"app", "GCM", map[string]string{}, "InvalidParameter", "Invalid parameter: Attributes Reason: PlatformCredential attribute is required"},
		{"app", "APNS", map[string]string{"PlatformCredential": "k"}, "InvalidParameter", "Invalid parameter: Attributes Reason: PlatformPrincipal attribute is required"},
		{"app", "GCM", map[string]string{"PlatformCredential": "k", "Color": "red"}, "InvalidParameter", "Invalid parameter: Attributes Reason: Invalid attribute name: Color"},
		{"app", "GCM", map[string]string{"PlatformCredential": "k", "EventEndpointCreated": "nope"}, "InvalidParameter", ""},
		{"app", "GCM", map[string]string{"PlatformCredential": "k", "SuccessFeedbackSampleRate": "101"}, "InvalidParameter", ""},
	} {
		_, err := f.svc.CreatePlatformApplication(f.ctx, &snsapi.CreatePlatformApplicationInput{Name: &tc.name, Platform: &tc.platform, Attributes: tc.attrs})
		what := fmt.Sprintf("%s/%s %v", tc.platform, tc.name, tc.attrs)
		if tc.code == "" {
			if err != nil {
				t.Errorf("%s: %v", what, err)
			}
			continue
		}
		wantError(t, what, err, tc.code, tc.msg)
	}
}

func TestPlatformApplicationLifecycle(t *testing.T) {
	f := newFixture(t)
	arn := f.createApp("photos", "APNS", map[string]string{"PlatformCredential": "secret", "PlatformPrincipal": "cert",
		"SuccessFeedbackSampleRate": "50"})
	if want := "arn:aws:sns:us-east-1:000000000000:app/APNS/photos"; arn != want {
		t.Fatalf("ARN %s; want %s", arn, want)
	}
	get := func() map[string]string {
		out, err := f.svc.GetPlatformApplicationAttributes(f.ctx, &snsapi.GetPlatformApplicationAttributesInput{PlatformApplicationArn: &arn})
		if err != nil {
			t.Fatal(err)
		}
		return out.Attributes
	}
	attrs := get()
	if attrs["Enabled"] != "true" || attrs["SuccessFeedbackSampleRate"] != "50" {
		t.Errorf("attributes %v", attrs)
	}
	if _, ok := attrs["PlatformCredential"]; ok {
		t.Errorf("the credential is shown: %v", attrs)
	}
	if _, ok := attrs["PlatformPrincipal"]; ok {
		t.Errorf("the principal is shown: %v", attrs)
	}
	if _, err := f.svc.SetPlatformApplicationAttributes(f.ctx, &snsapi.SetPlatformApplicationAttributesInput{PlatformApplicationArn: &arn,
		Attributes: map[string]string{"SuccessFeedbackSampleRate": "", "PlatformCredential": "new"}}); err != nil {
		t.Fatal(err)
	}
	if attrs := get(); attrs["SuccessFeedbackSampleRate"] != "" || len(attrs) != 1 {
		t.Errorf("after Set: %v", attrs)
	}
	f.db.View(f.ctx, func(tx storage.Tx) error {
		a, err := loadApp(tx, arn)
		if err != nil || a.Attrs["PlatformCredential"] != "new" {
			t.Errorf("stored %+v %v", a, err)
		}
		return nil
	})

	for _, tc := range []struct {
		arn, code, msg string
	}{
		{"arn:aws:sns:us-east-1:000000000000:app/GCM/none", "NotFound", "PlatformApplication does not exist"},
		{"arn:aws:sns:us-east-1:000000000000:app/GCM", "InvalidParameter", "Invalid parameter: PlatformApplicationArn Reason: Wrong number of slashes in relative portion of the ARN."},
		{"arn:aws:sns:us-east-1", "InvalidParameter", "Invalid parameter: PlatformApplicationArn Reason: An ARN must have at least 6 elements, not 4"},
		{"arn:aws:sns:us-east-1:000000000000:endpoint/GCM/a/b", "InvalidParameter", ""},
	} {
		_, err := f.svc.GetPlatformApplicationAttributes(f.ctx, &snsapi.GetPlatformApplicationAttributesInput{PlatformApplicationArn: &tc.arn})
		wantError(t, tc.arn, err, tc.code, tc.msg)
	}

	e := f.createEndpoint(arn, "tok", nil)
	if _, err := f.svc.DeletePlatformApplication(f.ctx, &snsapi.DeletePlatformApplicationInput{PlatformApplicationArn: &arn}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.DeletePlatformApplication(f.ctx, &snsapi.DeletePlatformApplicationInput{PlatformApplicationArn: &arn}); err != nil {
		t.Errorf("deleting again: %v", err)
	}
	_, err := f.svc.GetEndpointAttributes(f.ctx, &snsapi.GetEndpointAttributesInput{EndpointArn: &e})
	wantError(t, "endpoint of a deleted application", err, "NotFound", "Endpoint does not exist")
	_, err = f.svc.GetPlatformApplicationAttributes(f.ctx, &snsapi.GetPlatformApplicationAttributesInput{PlatformApplicationArn: &arn})
	wantError(t, "deleted application", err, "NotFound", "PlatformApplication does not exist")
}

func TestListPlatformApplicationsPages(t *testing.T) {
	f := newFixture(t)
	const n = pageSize + 7
	for i := range n {
		f.createApp(fmt.Sprintf("app%03d", i), "GCM", map[string]string{"PlatformCredential": "k"})
	}
	var token *string
	seen := map[string]bool{}
	for pages := 0; ; pages++ {
		out, err := f.svc.ListPlatformApplications(f.ctx, &snsapi.ListPlatformApplicationsInput{NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range out.PlatformApplications {
			if seen[*a.PlatformApplicationArn] {
				t.Errorf("%s listed twice", *a.PlatformApplicationArn)
			}
			seen[*a.PlatformApplicationArn] = true
			if a.Attributes["Enabled"] != "true" || a.Attributes["PlatformCredential"] != "" {
				t.Errorf("attributes %v", a.Attributes)
			}
		}
		if token = out.NextToken; token == nil {
			if pages != 1 {
				t.Errorf("%d pages; want 2", pages+1)
			}
			break
		}
	}
	if len(seen) != n {
		t.Errorf("listed %d; want %d", len(seen), n)
	}
	_, err := f.svc.ListPlatformApplications(f.ctx, &snsapi.ListPlatformApplicationsInput{NextToken: ptr("garbage!")})
	wantError(t, "bad token", err, "InvalidParameter", "")
}

func TestPlatformEndpoints(t *testing.T) {
	f := newFixture(t)
	app := f.createApp("chat", "GCM", map[string]string{"PlatformCredential": "k"})
	e := f.createEndpoint(app, "device-1", map[string]string{"CustomUserData": "alice"})
	if want := "arn:aws:sns:us-east-1:000000000000:endpoint/GCM/chat/"; len(e) != len(want)+36 || e[:len(want)] != want {
		t.Fatalf("endpoint ARN %s", e)
	}
	attrs := func(arn string) map[string]string {
		out, err := f.svc.GetEndpointAttributes(f.ctx, &snsapi.GetEndpointAttributesInput{EndpointArn: &arn})
		if err != nil {
			t.Fatal(err)
		}
		return out.Attributes
	}
	if a := attrs(e); a["Enabled"] != "true" || a["Token"] != "device-1" || a["CustomUserData"] != "alice" || len(a) != 3 {
		t.Errorf("attributes %v", a)
	}

	// The same token: the same endpoint, unless the attributes differ.
	for _, tc := range []struct {
		userData *string
		attrs    map[string]string
		same     bool
	}{
		{nil, map[string]string{"CustomUserData": "alice"}, true},
		{ptr("alice"), nil, true},
		{ptr("alice"), map[string]string{"Enabled": "true"}, true},
		{nil, nil, false},
		{ptr("bob"), nil, false},
		{ptr("alice"), map[string]string{"Enabled": "false"}, false},
	} {
		out, err := f.svc.CreatePlatformEndpoint(f.ctx, &snsapi.CreatePlatformEndpointInput{PlatformApplicationArn: &app, Token: ptr("device-1"),
			CustomUserData: tc.userData, Attributes: tc.attrs})
		what := fmt.Sprintf("again with %v %v", deref(tc.userData), tc.attrs)
		if tc.same {
			if err != nil || *out.EndpointArn != e {
				t.Errorf("%s: %v %v", what, out, err)
			}
			continue
		}
		wantError(t, what, err, "InvalidParameter", "Invalid parameter: Token Reason: Endpoint "+e+" already exists with the same Token, but different attributes.")
	}
	e2 := f.createEndpoint(app, "device-2", nil)
	if a := attrs(e2); len(a) != 2 || a["Enabled"] != "true" {
		t.Errorf("attributes %v", a)
	}
	_, err := f.svc.CreatePlatformEndpoint(f.ctx, &snsapi.CreatePlatformEndpointInput{PlatformApplicationArn: ptr("arn:aws:sns:us-east-1:000000000000:app/GCM/none"), Token: ptr("t")})
	wantError(t, "missing application", err, "NotFound", "PlatformApplication does not exist")
	_, err = f.svc.CreatePlatformEndpoint(f.ctx, &snsapi.CreatePlatformEndpointInput{PlatformApplicationArn: &app, Token: ptr("t"), Attributes: map[string]string{"Enabled": "yes"}})
	wantError(t, "bad Enabled", err, "InvalidParameter", "")

	// Set: a new token moves the endpoint; user data can be cleared.
	if _, err := f.svc.SetEndpointAttributes(f.ctx, &snsapi.SetEndpointAttributesInput{EndpointArn: &e,
		Attributes: map[string]string{"Token": "device-1b", "CustomUserData": "", "Enabled": "false"}}); err != nil {
		t.Fatal(err)
	}
	if a := attrs(e); a["Token"] != "device-1b" || a["Enabled"] != "false" || len(a) != 2 {
		t.Errorf("after Set: %v", a)
	}
	if got := f.createEndpoint(app, "device-1", nil); got == e {
		t.Errorf("the old token still names %s", e)
	}
	_, err = f.svc.SetEndpointAttributes(f.ctx, &snsapi.SetEndpointAttributesInput{EndpointArn: &e, Attributes: map[string]string{"Token": "device-2"}})
	wantError(t, "a token another endpoint has", err, "InvalidParameter", "")
	_, err = f.svc.SetEndpointAttributes(f.ctx, &snsapi.SetEndpointAttributesInput{EndpointArn: ptr(e + "x"), Attributes: map[string]string{"Enabled": "true"}})
	wantError(t, "missing endpoint", err, "NotFound", "Endpoint does not exist")

	// List, delete (twice).
	out, err := f.svc.ListEndpointsByPlatformApplication(f.ctx, &snsapi.ListEndpointsByPlatformApplicationInput{PlatformApplicationArn: &app})
	if err != nil || len(out.Endpoints) != 3 || out.NextToken != nil {
		t.Fatalf("list: %+v %v", out, err)
	}
	for range 2 {
		if _, err := f.svc.DeleteEndpoint(f.ctx, &snsapi.DeleteEndpointInput{EndpointArn: &e}); err != nil {
			t.Fatal(err)
		}
	}
	out, _ = f.svc.ListEndpointsByPlatformApplication(f.ctx, &snsapi.ListEndpointsByPlatformApplicationInput{PlatformApplicationArn: &app})
	if len(out.Endpoints) != 2 {
		t.Errorf("%d endpoints after a delete; want 2", len(out.Endpoints))
	}
	_, err = f.svc.ListEndpointsByPlatformApplication(f.ctx, &snsapi.ListEndpointsByPlatformApplicationInput{PlatformApplicationArn: ptr("arn:aws:sns:us-east-1:000000000000:app/GCM/none")})
	wantError(t, "list of a missing application", err, "NotFound", "PlatformApplication does not exist")
	_, err = f.svc.DeleteEndpoint(f.ctx, &snsapi.DeleteEndpointInput{EndpointArn: ptr("arn:aws:sns:us-east-1:000000000000:endpoint/GCM/chat")})
	wantError(t, "malformed endpoint ARN", err, "InvalidParameter", "Invalid parameter: EndpointArn Reason: Wrong number of slashes in relative portion of the ARN.")
}

func TestListEndpointsPages(t *testing.T) {
	f := newFixture(t)
	app := f.createApp("many", "GCM", map[string]string{"PlatformCredential": "k"})
	other := f.createApp("many2", "GCM", map[string]string{"PlatformCredential": "k"})
	f.createEndpoint(other, "x", nil)
	const n = pageSize*2 + 3
	for i := range n {
		f.createEndpoint(app, fmt.Sprint("t", i), nil)
	}
	seen := map[string]bool{}
	var token *string
	for {
		out, err := f.svc.ListEndpointsByPlatformApplication(f.ctx, &snsapi.ListEndpointsByPlatformApplicationInput{PlatformApplicationArn: &app, NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range out.Endpoints {
			seen[*e.EndpointArn] = true
		}
		if token = out.NextToken; token == nil {
			break
		}
	}
	if len(seen) != n {
		t.Errorf("listed %d endpoints; want %d", len(seen), n)
	}
}

func TestPublishToEndpoint(t *testing.T) {
	f := newFixture(t)
	app := f.createApp("news", "GCM", map[string]string{"PlatformCredential": "k"})
	e := f.createEndpoint(app, "device", map[string]string{"CustomUserData": "u1"})
	f.publish(&snsapi.PublishInput{TargetArn: &e, Message: ptr("plain")})
	f.publish(&snsapi.PublishInput{TargetArn: &e, MessageStructure: ptr("json"),
		Message: ptr(`{"default":"fallback","GCM":"{\"notification\":{\"title\":\"hi\"}}","APNS":"{\"aps\":{}}"}`)})
	f.publish(&snsapi.PublishInput{TargetArn: &e, MessageStructure: ptr("json"), Message: ptr(`{"default":"fallback","APNS":"x"}`)})
	msgs := f.outbox("")
	if len(msgs) != 3 {
		t.Fatalf("outbox %+v", msgs)
	}
	for i, want := range []string{"plain", `{"notification":{"title":"hi"}}`, "fallback"} {
		m := msgs[i]
		if m.Message != want || m.Protocol != "application" || m.Endpoint != e || m.Platform != "GCM" || m.DeviceToken != "device" || m.CustomUserData != "u1" {
			t.Errorf("message %d: %+v", i, m)
		}
	}

	if _, err := f.svc.SetEndpointAttributes(f.ctx, &snsapi.SetEndpointAttributesInput{EndpointArn: &e, Attributes: map[string]string{"Enabled": "false"}}); err != nil {
		t.Fatal(err)
	}
	_, err := f.svc.Publish(f.ctx, &snsapi.PublishInput{TargetArn: &e, Message: ptr("m")})
	wantError(t, "disabled endpoint", err, "EndpointDisabled", "Endpoint is disabled")
	f.svc.DeleteEndpoint(f.ctx, &snsapi.DeleteEndpointInput{EndpointArn: &e})
	_, err = f.svc.Publish(f.ctx, &snsapi.PublishInput{TargetArn: &e, Message: ptr("m")})
	wantError(t, "deleted endpoint", err, "InvalidParameter", "Invalid parameter: TargetArn Reason: No endpoint found for the target arn specified")
	if n := len(f.outbox("")); n != 3 {
		t.Errorf("%d messages in the outbox; want 3", n)
	}
}

func TestTopicToApplicationEndpoints(t *testing.T) {
	f := newFixture(t)
	events := f.createTopic("push-events", nil)
	f.subscribe(events, "sqs", queueARN, map[string]string{"RawMessageDelivery": "true"})
	gcm := f.createApp("g", "GCM", map[string]string{"PlatformCredential": "k", "EventEndpointCreated": events, "EventDeliveryFailure": events})
	apns := f.createApp("a", "APNS_SANDBOX", nil)
	eg := f.createEndpoint(gcm, "tg", nil)
	ea := f.createEndpoint(apns, "ta", nil)
	off := f.createEndpoint(gcm, "off", map[string]string{"Enabled": "false"})
	created := f.received(2)
	for i, d := range created {
		var ev map[string]any
		json.Unmarshal(d.Body, &ev)
		if ev["EventType"] != "EndpointCreated" || ev["Resource"] != gcm || ev["Service"] != "SNS" {
			t.Errorf("event %d: %s", i, d.Body)
		}
	}

	topic := f.createTopic("news", nil)
	for _, e := range []string{eg, ea, off} {
		f.subscribe(topic, "application", e, nil)
	}
	f.publish(&snsapi.PublishInput{TopicArn: &topic, MessageStructure: ptr("json"),
		Message: ptr(`{"default":"d","GCM":"g","APNS_SANDBOX":"a"}`)})
	got := map[string]string{}
	for _, m := range f.outbox("") {
		got[m.Endpoint] = m.Message
		if m.TopicArn != topic || m.SubscriptionArn == "" {
			t.Errorf("message %+v", m)
		}
	}
	if len(got) != 2 || got[eg] != "g" || got[ea] != "a" {
		t.Errorf("pushed %v", got)
	}
	failure := f.received(1)[0]
	var ev map[string]any
	json.Unmarshal(failure.Body, &ev)
	if ev["EventType"] != "DeliveryFailure" || ev["EndpointArn"] != off || ev["FailureType"] != "EndpointDisabled" {
		t.Errorf("failure event %s", failure.Body)
	}
}

// Applications and endpoints live in the store.
func TestPlatformSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	db, err := bolt.Open(storage.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	f := newFixtureOn(t, db, false)
	app := f.createApp("keep", "WNS", nil)
	e := f.createEndpoint(app, "tok", map[string]string{"CustomUserData": "d"})
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = bolt.Open(storage.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	f = newFixtureOn(t, db, false)
	out, err := f.svc.ListEndpointsByPlatformApplication(f.ctx, &snsapi.ListEndpointsByPlatformApplicationInput{PlatformApplicationArn: &app})
	if err != nil || len(out.Endpoints) != 1 || *out.Endpoints[0].EndpointArn != e || out.Endpoints[0].Attributes["CustomUserData"] != "d" {
		t.Fatalf("after a restart: %+v %v", out, err)
	}
	if got := f.createEndpoint(app, "tok", map[string]string{"CustomUserData": "d"}); got != e {
		t.Errorf("the token index was lost: %s; want %s", got, e)
	}
}
