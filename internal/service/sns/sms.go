package sns

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"

	"github.com/nimbus-cloud/nimbus/internal/api/snsapi"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/storage"
)

// SMS account settings, the opt-out list and the SMS sandbox. Nimbus
// sends no text messages: they go to the outbox, and so do the one-time
// passwords that verify sandbox numbers. The account is not in the
// sandbox, as a production account would not be: publishing to any
// number works. A number opts out (as if it replied STOP) through
// POST /_nimbus/sns/opt-out (see Handler).

// Tables of SMS; keys start with region ":" account ":".
const (
	tableSMSAttrs = "sns.smsattrs" // region:account → map of attributes
	tableOptOut   = "sns.optout"   // region:account:+number → optOutRecord
	tableSandbox  = "sns.sandbox"  // region:account:+number → sandboxRecord
)

// smsAttributes are SetSMSAttributes' names.
var smsAttributes = map[string]func(string) bool{
	"DefaultSMSType": func(v string) bool { return v == "Promotional" || v == "Transactional" },
	"DefaultSenderID": func(v string) bool {
		return senderID.MatchString(v) && strings.ContainsFunc(v, func(r rune) bool {
			return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		})
	},
	"MonthlySpendLimit": func(v string) bool {
		n, err := strconv.Atoi(v)
		return err == nil && n >= 0
	},
	"DeliveryStatusIAMRole": func(v string) bool {
		return iamRoleARN.MatchString(v)
	},
	"DeliveryStatusSuccessSamplingRate": func(v string) bool {
		n, err := strconv.Atoi(v)
		return err == nil && n >= 0 && n <= 100
	},
	"UsageReportS3Bucket": func(v string) bool {
		return bucketName.MatchString(v)
	},
}

var (
	senderID   = regexp.MustCompile(`^[A-Za-z0-9-]{1,11}$`)
	iamRoleARN = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$`)
	bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
)

type optOutRecord struct {
	Since string `json:"since"`
}

// Sandbox verification states.
const (
	sandboxPending  = "Pending"
	sandboxVerified = "Verified"
)

type sandboxRecord struct {
	Status string `json:"status"`
	OTP    string `json:"otp,omitempty"`
}

func accountKey(ctx context.Context) string {
	info := request.FromContext(ctx)
	return info.Region + ":" + info.Account + ":"
}

// e164Number checks a phone number as SMS operations take it, and returns
// it with its leading "+".
func e164Number(phone string) (string, bool) {
	if !e164.MatchString(phone) {
		return "", false
	}
	return "+" + strings.TrimPrefix(phone, "+"), true
}

func errBadPhoneNumber() error {
	return invalidParameter("PhoneNumber Reason: input incorrectly formatted")
}

func (s *Service) SetSMSAttributes(ctx context.Context, in *snsapi.SetSMSAttributesInput) (*snsapi.SetSMSAttributesOutput, error) {
	for k, v := range in.Attributes {
		valid, ok := smsAttributes[k]
		if !ok {
			return nil, invalidParameter("%s is not a valid attribute", k)
		}
		if !valid(v) {
			return nil, invalidParameter("%s Reason: %s is not a valid value", k, v)
		}
	}
	key := []byte(accountKey(ctx))
	err := s.db.Update(ctx, func(tx storage.Tx) error {
		attrs := map[string]string{}
		if err := getJSON(tx, tableSMSAttrs, string(key), &attrs); err != nil && !errors.Is(err, storage.ErrNotFound) {
			return err
		}
		for k, v := range in.Attributes {
			attrs[k] = v
		}
		return putJSON(tx, tableSMSAttrs, string(key), attrs)
	})
	if err != nil {
		return nil, err
	}
	return &snsapi.SetSMSAttributesOutput{}, nil
}

func (s *Service) GetSMSAttributes(ctx context.Context, in *snsapi.GetSMSAttributesInput) (*snsapi.GetSMSAttributesOutput, error) {
	attrs := map[string]string{}
	err := s.db.View(ctx, func(tx storage.Tx) error {
		err := getJSON(tx, tableSMSAttrs, accountKey(ctx), &attrs)
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(in.Attributes) > 0 {
		picked := map[string]string{}
		for _, name := range in.Attributes {
			if v, ok := attrs[name]; ok {
				picked[name] = v
			}
		}
		attrs = picked
	}
	return &snsapi.GetSMSAttributesOutput{Attributes: attrs}, nil
}

// optedOut reports whether a number (with its "+") opted out.
func optedOut(tx storage.Tx, account, number string) (bool, error) {
	_, err := tx.Get(tableOptOut, []byte(account+number))
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (s *Service) CheckIfPhoneNumberIsOptedOut(ctx context.Context, in *snsapi.CheckIfPhoneNumberIsOptedOutInput) (*snsapi.CheckIfPhoneNumberIsOptedOutOutput, error) {
	number, ok := e164Number(deref(in.PhoneNumber))
	if !ok {
		return nil, errBadPhoneNumber()
	}
	var out bool
	err := s.db.View(ctx, func(tx storage.Tx) error {
		var err error
		out, err = optedOut(tx, accountKey(ctx), number)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &snsapi.CheckIfPhoneNumberIsOptedOutOutput{IsOptedOut: &out}, nil
}

func (s *Service) ListPhoneNumbersOptedOut(ctx context.Context, in *snsapi.ListPhoneNumbersOptedOutInput) (*snsapi.ListPhoneNumbersOptedOutOutput, error) {
	prefix := accountKey(ctx)
	after, err := decodeToken(in.NextToken, prefix)
	if err != nil {
		return nil, err
	}
	out := &snsapi.ListPhoneNumbersOptedOutOutput{PhoneNumbers: []string{}}
	var last string
	err = s.db.View(ctx, func(tx storage.Tx) error {
		return tx.Scan(tableOptOut, storage.Range{Prefix: []byte(prefix), After: after}, func(k, _ []byte) bool {
			if len(out.PhoneNumbers) == pageSize {
				out.NextToken = ptr(encodeToken(&last))
				return false
			}
			last = string(k)
			out.PhoneNumbers = append(out.PhoneNumbers, strings.TrimPrefix(last, prefix))
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) OptInPhoneNumber(ctx context.Context, in *snsapi.OptInPhoneNumberInput) (*snsapi.OptInPhoneNumberOutput, error) {
	number, ok := e164Number(deref(in.PhoneNumber))
	if !ok {
		return nil, errBadPhoneNumber()
	}
	err := s.db.Update(ctx, func(tx storage.Tx) error { return tx.Delete(tableOptOut, []byte(accountKey(ctx)+number)) })
	if err != nil {
		return nil, err
	}
	return &snsapi.OptInPhoneNumberOutput{}, nil
}

// optOut records that a number replied STOP: SNS no longer texts it for
// the account (region:account:).
func (s *Service) optOut(ctx context.Context, account, phone string) error {
	number, ok := e164Number(phone)
	if !ok {
		return errBadPhoneNumber()
	}
	return s.db.Update(ctx, func(tx storage.Tx) error {
		return putJSON(tx, tableOptOut, account+number, optOutRecord{Since: s.now().UTC().Format(timestampLayout)})
	})
}

func (s *Service) GetSMSSandboxAccountStatus(context.Context, *snsapi.GetSMSSandboxAccountStatusInput) (*snsapi.GetSMSSandboxAccountStatusOutput, error) {
	return &snsapi.GetSMSSandboxAccountStatusOutput{IsInSandbox: ptr(false)}, nil
}

// sandboxNumber checks a sandbox phone number: E.164 with its "+".
func sandboxNumber(phone string) (string, error) {
	if !strings.HasPrefix(phone, "+") || !e164.MatchString(phone) {
		return "", invalidParameter("PhoneNumber Reason: %s is not a valid E.164 phone number", phone)
	}
	return phone, nil
}

func newOTP() string {
	n, _ := rand.Int(rand.Reader, big.NewInt(1_000_000))
	return fmt.Sprintf("%06d", n.Int64())
}

func (s *Service) CreateSMSSandboxPhoneNumber(ctx context.Context, in *snsapi.CreateSMSSandboxPhoneNumberInput) (*snsapi.CreateSMSSandboxPhoneNumberOutput, error) {
	number, err := sandboxNumber(deref(in.PhoneNumber))
	if err != nil {
		return nil, err
	}
	account := accountKey(ctx)
	err = s.db.Update(ctx, func(tx storage.Tx) error {
		out, err := optedOut(tx, account, number)
		if err != nil {
			return err
		}
		if out {
			return snsapi.ErrOptedOutException.New("Phone number is opted out")
		}
		var rec sandboxRecord
		err = getJSON(tx, tableSandbox, account+number, &rec)
		switch {
		case err == nil && rec.Status == sandboxVerified:
			return snsapi.ErrUserErrorException.New("Phone number is already verified")
		case err != nil && !errors.Is(err, storage.ErrNotFound):
			return err
		}
		// A new request sends a new password.
		rec = sandboxRecord{Status: sandboxPending, OTP: newOTP()}
		if err := putJSON(tx, tableSandbox, account+number, rec); err != nil {
			return err
		}
		return s.writeOutbox(tx, &outboxMessage{Type: "SMSSandboxVerification", Protocol: protoSMS, Endpoint: number,
			MessageId: newUUID(), Timestamp: s.now().UTC().Format(timestampLayout), Token: rec.OTP,
			Message: "Your Amazon SNS verification code is: " + rec.OTP})
	})
	if err != nil {
		return nil, err
	}
	return &snsapi.CreateSMSSandboxPhoneNumberOutput{}, nil
}

func (s *Service) VerifySMSSandboxPhoneNumber(ctx context.Context, in *snsapi.VerifySMSSandboxPhoneNumberInput) (*snsapi.VerifySMSSandboxPhoneNumberOutput, error) {
	number, err := sandboxNumber(deref(in.PhoneNumber))
	if err != nil {
		return nil, err
	}
	key := accountKey(ctx) + number
	err = s.db.Update(ctx, func(tx storage.Tx) error {
		var rec sandboxRecord
		if err := getJSON(tx, tableSandbox, key, &rec); err != nil {
			if errors.Is(err, storage.ErrNotFound) {
				return snsapi.ErrResourceNotFoundException.New("Phone number does not exist in the sandbox")
			}
			return err
		}
		if rec.Status == sandboxVerified {
			return nil
		}
		if deref(in.OneTimePassword) != rec.OTP {
			return snsapi.ErrVerificationException.New("Invalid one-time password")
		}
		return putJSON(tx, tableSandbox, key, sandboxRecord{Status: sandboxVerified})
	})
	if err != nil {
		return nil, err
	}
	return &snsapi.VerifySMSSandboxPhoneNumberOutput{}, nil
}

func (s *Service) DeleteSMSSandboxPhoneNumber(ctx context.Context, in *snsapi.DeleteSMSSandboxPhoneNumberInput) (*snsapi.DeleteSMSSandboxPhoneNumberOutput, error) {
	number, err := sandboxNumber(deref(in.PhoneNumber))
	if err != nil {
		return nil, err
	}
	key := []byte(accountKey(ctx) + number)
	err = s.db.Update(ctx, func(tx storage.Tx) error {
		if _, err := tx.Get(tableSandbox, key); err != nil {
			if errors.Is(err, storage.ErrNotFound) {
				return snsapi.ErrResourceNotFoundException.New("Phone number does not exist in the sandbox")
			}
			return err
		}
		return tx.Delete(tableSandbox, key)
	})
	if err != nil {
		return nil, err
	}
	return &snsapi.DeleteSMSSandboxPhoneNumberOutput{}, nil
}

func (s *Service) ListSMSSandboxPhoneNumbers(ctx context.Context, in *snsapi.ListSMSSandboxPhoneNumbersInput) (*snsapi.ListSMSSandboxPhoneNumbersOutput, error) {
	prefix := accountKey(ctx)
	after, err := decodeToken(in.NextToken, prefix)
	if err != nil {
		return nil, err
	}
	limit := 100
	if in.MaxResults != nil {
		limit = int(*in.MaxResults)
	}
	out := &snsapi.ListSMSSandboxPhoneNumbersOutput{PhoneNumbers: []snsapi.SMSSandboxPhoneNumber{}}
	var last string
	err = s.db.View(ctx, func(tx storage.Tx) error {
		return scanJSON(tx, tableSandbox, storage.Range{Prefix: []byte(prefix), After: after}, func(k []byte, rec *sandboxRecord) bool {
			if len(out.PhoneNumbers) == limit {
				out.NextToken = ptr(encodeToken(&last))
				return false
			}
			last = string(k)
			out.PhoneNumbers = append(out.PhoneNumbers, snsapi.SMSSandboxPhoneNumber{PhoneNumber: ptr(strings.TrimPrefix(last, prefix)), Status: ptr(rec.Status)})
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListOriginationNumbers: Nimbus sends from no number of the account's.
func (s *Service) ListOriginationNumbers(ctx context.Context, in *snsapi.ListOriginationNumbersInput) (*snsapi.ListOriginationNumbersOutput, error) {
	if in.NextToken != nil && *in.NextToken != "" {
		return nil, invalidParameter("NextToken")
	}
	return &snsapi.ListOriginationNumbersOutput{PhoneNumbers: []snsapi.PhoneNumberInformation{}}, nil
}
