package sqs

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"

	"github.com/nimbus-cloud/nimbus/internal/api/sqsapi"
)

// Queue attribute names.
const (
	attrDelay             = "DelaySeconds"
	attrMaxSize           = "MaximumMessageSize"
	attrRetention         = "MessageRetentionPeriod"
	attrPolicy            = "Policy"
	attrWait              = "ReceiveMessageWaitTimeSeconds"
	attrVisibility        = "VisibilityTimeout"
	attrRedrive           = "RedrivePolicy"
	attrRedriveAllow      = "RedriveAllowPolicy"
	attrKMSKey            = "KmsMasterKeyId"
	attrKMSReuse          = "KmsDataKeyReusePeriodSeconds"
	attrSSE               = "SqsManagedSseEnabled"
	attrFifo              = "FifoQueue"
	attrContentDedup      = "ContentBasedDeduplication"
	attrDedupScope        = "DeduplicationScope"
	attrThroughput        = "FifoThroughputLimit"
	attrArn               = "QueueArn"
	attrCreated           = "CreatedTimestamp"
	attrModified          = "LastModifiedTimestamp"
	attrNumMessages       = "ApproximateNumberOfMessages"
	attrNumNotVisible     = "ApproximateNumberOfMessagesNotVisible"
	attrNumDelayed        = "ApproximateNumberOfMessagesDelayed"
	attrAll               = "All"
	defaultMaxMessageSize = 1 << 20 // 1 MiB, SQS's limit and default since 2025
)

// Limits of the settable attributes.
var intRanges = map[string][2]int{
	attrDelay:      {0, 900},
	attrMaxSize:    {1024, defaultMaxMessageSize},
	attrRetention:  {60, 1209600},
	attrWait:       {0, 20},
	attrVisibility: {0, 43200},
	attrKMSReuse:   {60, 86400},
}

// settableAttrs may be given to CreateQueue and SetQueueAttributes; the
// fifo ones only for FIFO queues.
var settableAttrs = map[string]bool{
	attrDelay: true, attrMaxSize: true, attrRetention: true, attrPolicy: true, attrWait: true,
	attrVisibility: true, attrRedrive: true, attrRedriveAllow: true, attrKMSKey: true, attrKMSReuse: true,
	attrSSE: true,
}

var fifoAttrs = map[string]bool{attrFifo: true, attrContentDedup: true, attrDedupScope: true, attrThroughput: true}

// readableAttrs are the names GetQueueAttributes accepts.
var readableAttrs = func() map[string]bool {
	m := map[string]bool{}
	for _, n := range sqsapi.Service.Enums["QueueAttributeName"] {
		m[n] = true
	}
	return m
}()

// settings are a queue's attributes, parsed.
type settings struct {
	visibility, retention, delay, wait, maxSize int
	fifo, contentDedup                          bool
	dedupPerGroup                               bool // DeduplicationScope messageGroup
	redrive                                     *redrivePolicy
}

type redrivePolicy struct {
	Target          string `json:"deadLetterTargetArn"`
	MaxReceiveCount int    `json:"maxReceiveCount"`
}

func parseSettings(attrs map[string]string) settings {
	s := settings{visibility: 30, retention: 345600, maxSize: defaultMaxMessageSize}
	num := func(name string, dst *int) {
		if v, ok := attrs[name]; ok {
			if n, err := strconv.Atoi(v); err == nil {
				*dst = n
			}
		}
	}
	num(attrVisibility, &s.visibility)
	num(attrRetention, &s.retention)
	num(attrDelay, &s.delay)
	num(attrWait, &s.wait)
	num(attrMaxSize, &s.maxSize)
	s.fifo = attrs[attrFifo] == "true"
	s.contentDedup = attrs[attrContentDedup] == "true"
	s.dedupPerGroup = attrs[attrDedupScope] == "messageGroup"
	if rp := attrs[attrRedrive]; rp != "" {
		if p, err := parseRedrive(rp); err == nil {
			s.redrive = p
		}
	}
	return s
}

// defaultAttrs are the attributes a new queue starts with.
func defaultAttrs(fifo bool) map[string]string {
	m := map[string]string{
		attrDelay: "0", attrMaxSize: strconv.Itoa(defaultMaxMessageSize), attrRetention: "345600",
		attrWait: "0", attrVisibility: "30", attrSSE: "true",
	}
	if fifo {
		m[attrFifo] = "true"
		m[attrContentDedup] = "false"
		m[attrDedupScope] = "queue"
		m[attrThroughput] = "perQueue"
	}
	return m
}

func invalidAttrValue(name string) error {
	return sqsapi.ErrInvalidAttributeValue.New("Invalid value for the parameter " + name + ".")
}

// normalizeAttrs validates the attributes of a CreateQueue (create) or
// SetQueueAttributes on a queue of the given kind, and returns them in
// their stored spelling. redriveCheck validates a redrive policy's target.
func normalizeAttrs(in map[string]string, create, fifo bool, redriveCheck func(*redrivePolicy, string) error) (map[string]string, error) {
	out := make(map[string]string, len(in))
	names := make([]string, 0, len(in))
	for n := range in {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		v := in[name]
		switch {
		case settableAttrs[name]:
		case fifoAttrs[name] && fifo:
			if name == attrFifo && !create {
				return nil, sqsapi.ErrInvalidAttributeValue.New("Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.")
			}
		case name == attrFifo && create && v == "false":
			// A standard queue may say so.
			continue
		default:
			return nil, sqsapi.ErrInvalidAttributeName.New("Unknown Attribute " + name + ".")
		}
		if r, ok := intRanges[name]; ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n < r[0] || n > r[1] {
				return nil, invalidAttrValue(name)
			}
			out[name] = strconv.Itoa(n)
			continue
		}
		switch name {
		case attrFifo, attrContentDedup, attrSSE:
			b, err := strconv.ParseBool(v)
			if err != nil {
				return nil, invalidAttrValue(name)
			}
			out[name] = strconv.FormatBool(b)
		case attrDedupScope:
			if v != "messageGroup" && v != "queue" {
				return nil, invalidAttrValue(name)
			}
			out[name] = v
		case attrThroughput:
			if v != "perQueue" && v != "perMessageGroupId" {
				return nil, invalidAttrValue(name)
			}
			out[name] = v
		case attrPolicy:
			if v != "" && !json.Valid([]byte(v)) {
				return nil, invalidAttrValue(name)
			}
			out[name] = v
		case attrRedrive:
			if v == "" {
				out[name] = ""
				continue
			}
			p, err := parseRedrive(v)
			if err != nil {
				return nil, err
			}
			if redriveCheck != nil {
				if err := redriveCheck(p, v); err != nil {
					return nil, err
				}
			}
			b, _ := json.Marshal(p)
			out[name] = string(b)
		case attrRedriveAllow:
			if v == "" {
				out[name] = ""
				continue
			}
			norm, err := normalizeRedriveAllow(v)
			if err != nil {
				return nil, err
			}
			out[name] = norm
		default:
			out[name] = v
		}
	}
	if out[attrThroughput] == "perMessageGroupId" && out[attrDedupScope] == "queue" {
		return nil, invalidAttrValue(attrThroughput)
	}
	if out[attrKMSKey] != "" && out[attrSSE] == "true" {
		return nil, sqsapi.ErrInvalidAttributeName.New("You can use one type of server-side encryption (SSE) at one time. You can either enable KMS SSE or SQS SSE.")
	}
	return out, nil
}

// mergeAttrs applies changes to current; an empty Policy, RedrivePolicy or
// RedriveAllowPolicy removes it, and choosing one kind of server-side
// encryption turns the other off.
func mergeAttrs(current, changes map[string]string) map[string]string {
	out := make(map[string]string, len(current)+len(changes))
	for k, v := range current {
		out[k] = v
	}
	for k, v := range changes {
		if v == "" && (k == attrPolicy || k == attrRedrive || k == attrRedriveAllow || k == attrKMSKey) {
			delete(out, k)
			if k == attrKMSKey {
				delete(out, attrKMSReuse)
			}
			continue
		}
		out[k] = v
	}
	if _, ok := changes[attrKMSKey]; ok && changes[attrKMSKey] != "" {
		out[attrSSE] = "false"
		if out[attrKMSReuse] == "" {
			out[attrKMSReuse] = "300"
		}
	}
	if changes[attrSSE] == "true" {
		delete(out, attrKMSKey)
		delete(out, attrKMSReuse)
	}
	return out
}

func redriveError(raw, reason string) error {
	return errInvalidParameterValue.New("Value " + raw + " for parameter RedrivePolicy is invalid. Reason: " + reason)
}

// parseRedrive reads a RedrivePolicy; maxReceiveCount may be a number or
// a string of one, as AWS accepts both.
func parseRedrive(raw string) (*redrivePolicy, error) {
	var doc map[string]any
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		return nil, redriveError(raw, "Redrive policy is not a valid JSON map.")
	}
	target, _ := doc["deadLetterTargetArn"].(string)
	if _, _, _, err := parseARN(target); err != nil {
		return nil, redriveError(raw, "Invalid value for deadLetterTargetArn.")
	}
	var count int
	switch c := doc["maxReceiveCount"].(type) {
	case float64:
		count = int(c)
		if float64(count) != c {
			count = -1
		}
	case string:
		n, err := strconv.Atoi(c)
		if err != nil {
			n = -1
		}
		count = n
	case nil:
		return nil, redriveError(raw, "Redrive policy does not contain mandatory attribute: maxReceiveCount.")
	default:
		count = -1
	}
	if count < 1 || count > 1000 {
		return nil, redriveError(raw, "Invalid value for maxReceiveCount: "+jsonText(doc["maxReceiveCount"])+", valid values are from 1 to 1000 both inclusive.")
	}
	return &redrivePolicy{Target: target, MaxReceiveCount: count}, nil
}

func jsonText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	}
	b, _ := json.Marshal(v)
	return string(b)
}

type redriveAllowPolicy struct {
	Permission string   `json:"redrivePermission"`
	SourceARNs []string `json:"sourceQueueArns,omitempty"`
}

func normalizeRedriveAllow(raw string) (string, error) {
	bad := func(reason string) error {
		return errInvalidParameterValue.New("Value " + raw + " for parameter RedriveAllowPolicy is invalid. Reason: " + reason)
	}
	var p redriveAllowPolicy
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		return "", bad("Amazon SQS can't parse the redrive allow policy.")
	}
	switch p.Permission {
	case "allowAll", "denyAll":
		if len(p.SourceARNs) > 0 {
			return "", bad("Only byQueue redrivePermission can have sourceQueueArns.")
		}
	case "byQueue":
		if len(p.SourceARNs) == 0 || len(p.SourceARNs) > 10 {
			return "", bad("byQueue redrivePermission requires 1 to 10 sourceQueueArns.")
		}
	default:
		return "", bad("Invalid value for redrivePermission.")
	}
	b, _ := json.Marshal(p)
	return string(b), nil
}

// allowsSource reports whether a queue's RedriveAllowPolicy lets the queue
// with ARN source use it as its dead-letter queue.
func allowsSource(policy, source string) bool {
	if policy == "" {
		return true
	}
	var p redriveAllowPolicy
	if json.Unmarshal([]byte(policy), &p) != nil {
		return true
	}
	switch p.Permission {
	case "denyAll":
		return false
	case "byQueue":
		for _, a := range p.SourceARNs {
			if a == source {
				return true
			}
		}
		return false
	}
	return true
}
