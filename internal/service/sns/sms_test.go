package sns

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/api/snsapi"
)

func TestSMSAttributes(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		attrs map[string]string
		ok    bool
	}{
		{map[string]string{"DefaultSMSType": "Transactional", "DefaultSenderID": "Nimbus1", "MonthlySpendLimit": "5"}, true},
		{map[string]string{"DeliveryStatusIAMRole": "arn:aws:iam::000000000000:role/sms-logs", "DeliveryStatusSuccessSamplingRate": "20"}, true},
		{map[string]string{"UsageReportS3Bucket": "sms-reports"}, true},
		{map[string]string{"DefaultSMSType": "Chatty"}, false},
		{map[string]string{"DefaultSenderID": "12345"}, false},
		{map[string]string{"DefaultSenderID": "Way2LongSenderID"}, false},
		{map[string]string{"MonthlySpendLimit": "-1"}, false},
		{map[string]string{"DeliveryStatusSuccessSamplingRate": "101"}, false},
		{map[string]string{"DeliveryStatusIAMRole": "role"}, false},
		{map[string]string{"UsageReportS3Bucket": "No_Such"}, false},
		{map[string]string{"Color": "red"}, false},
	} {
		_, err := f.svc.SetSMSAttributes(f.ctx, &snsapi.SetSMSAttributesInput{Attributes: tc.attrs})
		if tc.ok && err != nil {
			t.Errorf("%v: %v", tc.attrs, err)
		}
		if !tc.ok {
			wantError(t, fmt.Sprint(tc.attrs), err, "InvalidParameter", "")
		}
	}
	for _, tc := range []struct {
		filter []string
		want   map[string]string
	}{
		{nil, map[string]string{"DefaultSMSType": "Transactional", "DefaultSenderID": "Nimbus1", "MonthlySpendLimit": "5",
			"DeliveryStatusIAMRole": "arn:aws:iam::000000000000:role/sms-logs", "DeliveryStatusSuccessSamplingRate": "20", "UsageReportS3Bucket": "sms-reports"}},
		{[]string{"DefaultSMSType", "MonthlySpendLimit", "Unknown"}, map[string]string{"DefaultSMSType": "Transactional", "MonthlySpendLimit": "5"}},
	} {
		out, err := f.svc.GetSMSAttributes(f.ctx, &snsapi.GetSMSAttributesInput{Attributes: tc.filter})
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(out.Attributes) != fmt.Sprint(tc.want) {
			t.Errorf("GetSMSAttributes(%v) = %v; want %v", tc.filter, out.Attributes, tc.want)
		}
	}
}

// optOut opts a number out through the HTTP path, as a test script would.
func (f *fixture) optOut(number string) {
	f.t.Helper()
	rec := httptest.NewRecorder()
	f.svc.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, OptOutPath+"?phoneNumber="+url.QueryEscape(number), nil))
	if rec.Code != http.StatusOK {
		f.t.Fatalf("opting %s out: %d %s", number, rec.Code, rec.Body)
	}
}

func TestOptOut(t *testing.T) {
	f := newFixture(t)
	f.optOut("+15550100")
	f.optOut("15550101")
	check := func(number string) (bool, error) {
		out, err := f.svc.CheckIfPhoneNumberIsOptedOut(f.ctx, &snsapi.CheckIfPhoneNumberIsOptedOutInput{PhoneNumber: &number})
		if err != nil {
			return false, err
		}
		return *out.IsOptedOut, nil
	}
	for _, tc := range []struct {
		number string
		out    bool
		bad    bool
	}{
		{"+15550100", true, false},
		{"15550100", true, false},
		{"+15550101", true, false},
		{"+15550102", false, false},
		{"555-0100", false, true},
		{"+0123", false, true},
		{"", false, true},
		{"+1234567890123456", false, true},
	} {
		got, err := check(tc.number)
		if tc.bad {
			wantError(t, tc.number, err, "InvalidParameter", "Invalid parameter: PhoneNumber Reason: input incorrectly formatted")
			continue
		}
		if err != nil || got != tc.out {
			t.Errorf("%s: opted out %v (%v); want %v", tc.number, got, err, tc.out)
		}
	}

	// Published texts do not reach a number that opted out, directly or
	// through a topic; Publish still succeeds.
	f.publish(&snsapi.PublishInput{PhoneNumber: ptr("+15550100"), Message: ptr("direct")})
	f.publish(&snsapi.PublishInput{PhoneNumber: ptr("+15550102"), Message: ptr("direct")})
	topic := f.createTopic("alerts", nil)
	f.subscribe(topic, "sms", "+15550101", nil)
	f.subscribe(topic, "sms", "+1-555-0103", nil)
	f.publish(&snsapi.PublishInput{TopicArn: &topic, Message: ptr("via topic")})
	got := map[string]string{}
	for _, m := range f.outbox("?protocol=sms") {
		got[m.Endpoint] = m.Message
	}
	if len(got) != 2 || got["+15550102"] != "direct" || got["+1-555-0103"] != "via topic" {
		t.Errorf("texted %v", got)
	}

	if _, err := f.svc.OptInPhoneNumber(f.ctx, &snsapi.OptInPhoneNumberInput{PhoneNumber: ptr("+15550100")}); err != nil {
		t.Fatal(err)
	}
	if out, _ := check("+15550100"); out {
		t.Error("still opted out after OptInPhoneNumber")
	}
	_, err := f.svc.OptInPhoneNumber(f.ctx, &snsapi.OptInPhoneNumberInput{PhoneNumber: ptr("nope")})
	wantError(t, "opt in a bad number", err, "InvalidParameter", "")
}

func TestListPhoneNumbersOptedOutPages(t *testing.T) {
	f := newFixture(t)
	const n = pageSize + 5
	for i := range n {
		f.optOut(fmt.Sprintf("+1555%07d", i))
	}
	seen := map[string]bool{}
	var token *string
	for {
		out, err := f.svc.ListPhoneNumbersOptedOut(f.ctx, &snsapi.ListPhoneNumbersOptedOutInput{NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range out.PhoneNumbers {
			if seen[p] || p[0] != '+' {
				t.Errorf("listed %q", p)
			}
			seen[p] = true
		}
		if token = out.NextToken; token == nil {
			break
		}
	}
	if len(seen) != n {
		t.Errorf("listed %d numbers; want %d", len(seen), n)
	}
}

func TestSMSSandbox(t *testing.T) {
	f := newFixture(t)
	st, err := f.svc.GetSMSSandboxAccountStatus(f.ctx, &snsapi.GetSMSSandboxAccountStatusInput{})
	if err != nil || *st.IsInSandbox {
		t.Fatalf("sandbox status %v %v", st, err)
	}
	const number = "+15550142"
	if _, err := f.svc.CreateSMSSandboxPhoneNumber(f.ctx, &snsapi.CreateSMSSandboxPhoneNumberInput{PhoneNumber: ptr(number)}); err != nil {
		t.Fatal(err)
	}
	box := f.outbox("?type=SMSSandboxVerification")
	if len(box) != 1 || box[0].Endpoint != number || len(box[0].Token) != 6 {
		t.Fatalf("outbox %+v", box)
	}
	otp := box[0].Token
	list := func() []snsapi.SMSSandboxPhoneNumber {
		out, err := f.svc.ListSMSSandboxPhoneNumbers(f.ctx, &snsapi.ListSMSSandboxPhoneNumbersInput{})
		if err != nil {
			t.Fatal(err)
		}
		return out.PhoneNumbers
	}
	if l := list(); len(l) != 1 || *l[0].PhoneNumber != number || *l[0].Status != "Pending" {
		t.Errorf("listed %+v", l)
	}
	wrong := "000000"
	if otp == wrong {
		wrong = "111111"
	}
	for _, tc := range []struct {
		number, otp, code string
	}{
		{number, wrong, "VerificationException"},
		{"+15550199", otp, "ResourceNotFound"},
		{"15550142", otp, "InvalidParameter"},
		{number, otp, ""},
		{number, wrong, ""}, // verified already
	} {
		_, err := f.svc.VerifySMSSandboxPhoneNumber(f.ctx, &snsapi.VerifySMSSandboxPhoneNumberInput{PhoneNumber: &tc.number, OneTimePassword: &tc.otp})
		if tc.code == "" {
			if err != nil {
				t.Errorf("verify %s %s: %v", tc.number, tc.otp, err)
			}
			continue
		}
		wantError(t, "verify "+tc.number, err, tc.code, "")
	}
	if l := list(); len(l) != 1 || *l[0].Status != "Verified" {
		t.Errorf("listed %+v", l)
	}
	_, err = f.svc.CreateSMSSandboxPhoneNumber(f.ctx, &snsapi.CreateSMSSandboxPhoneNumberInput{PhoneNumber: ptr(number)})
	wantError(t, "create a verified number", err, "UserError", "")
	f.optOut("+15550143")
	_, err = f.svc.CreateSMSSandboxPhoneNumber(f.ctx, &snsapi.CreateSMSSandboxPhoneNumberInput{PhoneNumber: ptr("+15550143")})
	wantError(t, "create an opted-out number", err, "OptedOut", "")

	for i := range 3 {
		f.svc.CreateSMSSandboxPhoneNumber(f.ctx, &snsapi.CreateSMSSandboxPhoneNumberInput{PhoneNumber: ptr(fmt.Sprint("+1555020", i))})
	}
	var token *string
	pages, total := 0, 0
	for {
		out, err := f.svc.ListSMSSandboxPhoneNumbers(f.ctx, &snsapi.ListSMSSandboxPhoneNumbersInput{MaxResults: ptr(int32(3)), NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		pages, total = pages+1, total+len(out.PhoneNumbers)
		if token = out.NextToken; token == nil {
			break
		}
	}
	if pages != 2 || total != 4 {
		t.Errorf("%d numbers in %d pages; want 4 in 2", total, pages)
	}

	if _, err := f.svc.DeleteSMSSandboxPhoneNumber(f.ctx, &snsapi.DeleteSMSSandboxPhoneNumberInput{PhoneNumber: ptr(number)}); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.DeleteSMSSandboxPhoneNumber(f.ctx, &snsapi.DeleteSMSSandboxPhoneNumberInput{PhoneNumber: ptr(number)})
	wantError(t, "delete twice", err, "ResourceNotFound", "")

	orig, err := f.svc.ListOriginationNumbers(f.ctx, &snsapi.ListOriginationNumbersInput{})
	if err != nil || len(orig.PhoneNumbers) != 0 {
		t.Errorf("ListOriginationNumbers %+v %v", orig, err)
	}
}
