package filterpolicy

import (
	"testing"
)

func str(v string) Attribute   { return Attribute{Type: "String", Value: v} }
func num(v string) Attribute   { return Attribute{Type: "Number", Value: v} }
func array(v string) Attribute { return Attribute{Type: "String.Array", Value: v} }

// Examples from the SNS Developer Guide (message filtering, filter policy
// operators), evaluated on message attributes.
func TestMatchAttributes(t *testing.T) {
	tests := []struct {
		name   string
		policy string
		attrs  map[string]Attribute
		want   bool
	}{
		// The guide's example policy.
		{"example policy matches", `{"store":["example_corp"],"event":[{"anything-but":"order_cancelled"}],"customer_interests":["rugby","football","baseball"],"price_usd":[{"numeric":[">=",100]}]}`,
			map[string]Attribute{"store": str("example_corp"), "event": str("order_placed"), "customer_interests": str("rugby"), "price_usd": num("210.75")}, true},
		{"example policy: interest not listed", `{"store":["example_corp"],"event":[{"anything-but":"order_cancelled"}],"customer_interests":["rugby","football","baseball"],"price_usd":[{"numeric":[">=",100]}]}`,
			map[string]Attribute{"store": str("example_corp"), "event": str("order_placed"), "customer_interests": str("soccer"), "price_usd": num("210.75")}, false},
		{"example policy: missing attribute", `{"store":["example_corp"],"price_usd":[{"numeric":[">=",100]}]}`,
			map[string]Attribute{"store": str("example_corp")}, false},
		{"attributes outside the policy are ignored", `{"store":["example_corp"]}`,
			map[string]Attribute{"store": str("example_corp"), "other": str("x")}, true},

		// Exact string matching.
		{"exact string", `{"customer_interests":["rugby","tennis"]}`, map[string]Attribute{"customer_interests": str("rugby")}, true},
		{"exact string, other value", `{"customer_interests":["rugby","tennis"]}`, map[string]Attribute{"customer_interests": str("baseball")}, false},
		{"exact string is case sensitive", `{"customer_interests":["rugby"]}`, map[string]Attribute{"customer_interests": str("Rugby")}, false},
		{"string array, one element listed", `{"customer_interests":["rugby","tennis"]}`, map[string]Attribute{"customer_interests": array(`["rugby","tennis"]`)}, true},
		{"string array, none listed", `{"customer_interests":["rugby","tennis"]}`, map[string]Attribute{"customer_interests": array(`["baseball"]`)}, false},
		{"string array, not an array", `{"customer_interests":["rugby"]}`, map[string]Attribute{"customer_interests": array(`rugby`)}, false},
		{"string policy value, number attribute", `{"price":["100"]}`, map[string]Attribute{"price": num("100")}, false},
		{"binary attributes are ignored", `{"blob":["x"]}`, map[string]Attribute{"blob": {Type: "Binary", Value: "x"}}, false},

		// anything-but.
		{"anything-but list", `{"customer_interests":[{"anything-but":["rugby","tennis"]}]}`, map[string]Attribute{"customer_interests": str("baseball")}, true},
		{"anything-but list, excluded", `{"customer_interests":[{"anything-but":["rugby","tennis"]}]}`, map[string]Attribute{"customer_interests": str("rugby")}, false},
		{"anything-but, absent attribute", `{"customer_interests":[{"anything-but":["rugby"]}]}`, map[string]Attribute{}, false},
		{"anything-but or absent", `{"customer_interests":[{"anything-but":["rugby"]},{"exists":false}]}`, map[string]Attribute{}, true},
		{"anything-but on a string array: none listed", `{"customer_interests":[{"anything-but":["rugby","tennis"]}]}`, map[string]Attribute{"customer_interests": array(`["baseball","football"]`)}, true},
		{"anything-but on a string array: one listed", `{"customer_interests":[{"anything-but":["rugby","tennis"]}]}`, map[string]Attribute{"customer_interests": array(`["rugby","baseball"]`)}, false},
		{"anything-but single string", `{"event":[{"anything-but":"order_cancelled"}]}`, map[string]Attribute{"event": str("order_placed")}, true},
		{"anything-but numbers", `{"price":[{"anything-but":[100,500]}]}`, map[string]Attribute{"price": num("101")}, true},
		{"anything-but numbers, excluded", `{"price":[{"anything-but":[100,500]}]}`, map[string]Attribute{"price": num("500.0")}, false},
		{"anything-but prefix", `{"event":[{"anything-but":{"prefix":"order-"}}]}`, map[string]Attribute{"event": str("data-entry")}, true},
		{"anything-but prefix, excluded", `{"event":[{"anything-but":{"prefix":"order-"}}]}`, map[string]Attribute{"event": str("order-cancelled")}, false},
		{"anything-but suffix", `{"file":[{"anything-but":{"suffix":".jpg"}}]}`, map[string]Attribute{"file": str("a.png")}, true},
		{"anything-but suffix, excluded", `{"file":[{"anything-but":{"suffix":".jpg"}}]}`, map[string]Attribute{"file": str("a.jpg")}, false},

		// prefix, suffix, equals-ignore-case.
		{"prefix", `{"customer_interests":[{"prefix":"bas"}]}`, map[string]Attribute{"customer_interests": str("basketball")}, true},
		{"prefix, other", `{"customer_interests":[{"prefix":"bas"}]}`, map[string]Attribute{"customer_interests": str("rugby")}, false},
		{"suffix", `{"customer_interests":[{"suffix":"ball"}]}`, map[string]Attribute{"customer_interests": str("baseball")}, true},
		{"suffix, other", `{"customer_interests":[{"suffix":"ball"}]}`, map[string]Attribute{"customer_interests": str("rugby")}, false},
		{"equals-ignore-case", `{"customer_interests":[{"equals-ignore-case":"tennis"}]}`, map[string]Attribute{"customer_interests": str("TeNnis")}, true},
		{"equals-ignore-case, other", `{"customer_interests":[{"equals-ignore-case":"tennis"}]}`, map[string]Attribute{"customer_interests": str("baseball")}, false},

		// Numbers.
		{"exact number", `{"price_usd":[301.5]}`, map[string]Attribute{"price_usd": num("301.5")}, true},
		{"exact number, exponent form", `{"price_usd":[301.5]}`, map[string]Attribute{"price_usd": num("3.015e2")}, true},
		{"exact number, other", `{"price_usd":[301.5]}`, map[string]Attribute{"price_usd": num("301.51")}, false},
		{"numeric =", `{"price_usd":[{"numeric":["=",301.5]}]}`, map[string]Attribute{"price_usd": num("301.50")}, true},
		{"numeric <", `{"price_usd":[{"numeric":["<",0]}]}`, map[string]Attribute{"price_usd": num("-1")}, true},
		{"numeric <, not less", `{"price_usd":[{"numeric":["<",0]}]}`, map[string]Attribute{"price_usd": num("0")}, false},
		{"numeric range, inside", `{"price_usd":[{"numeric":[">",0,"<=",150]}]}`, map[string]Attribute{"price_usd": num("150")}, true},
		{"numeric range, at the open end", `{"price_usd":[{"numeric":[">",0,"<=",150]}]}`, map[string]Attribute{"price_usd": num("0")}, false},
		{"numeric range, above", `{"price_usd":[{"numeric":[">",0,"<=",150]}]}`, map[string]Attribute{"price_usd": num("150.1")}, false},
		{"numeric range, >= and <", `{"price_usd":[{"numeric":[">=",10,"<",20]}]}`, map[string]Attribute{"price_usd": num("10")}, true},
		{"numeric on a string attribute", `{"price_usd":[{"numeric":[">",0]}]}`, map[string]Attribute{"price_usd": str("5")}, false},
		{"numeric on a string array of numbers", `{"price_usd":[{"numeric":[">",10]}]}`, map[string]Attribute{"price_usd": array(`[1, 20]`)}, true},
		{"five decimals of accuracy", `{"price_usd":[1.000001]}`, map[string]Attribute{"price_usd": num("1")}, true},

		// exists.
		{"exists true", `{"store":[{"exists":true}]}`, map[string]Attribute{"store": str("x")}, true},
		{"exists true, absent", `{"store":[{"exists":true}]}`, map[string]Attribute{"other": str("x")}, false},
		{"exists false", `{"store":[{"exists":false}]}`, map[string]Attribute{"other": str("x")}, true},
		{"exists false, present", `{"store":[{"exists":false}]}`, map[string]Attribute{"store": str("x")}, false},
		{"exists true, binary attribute", `{"blob":[{"exists":true}]}`, map[string]Attribute{"blob": {Type: "Binary", Value: "AAEC"}}, true},

		// cidr.
		{"cidr inside", `{"source_ip":[{"cidr":"10.0.0.0/24"}]}`, map[string]Attribute{"source_ip": str("10.0.0.255")}, true},
		{"cidr outside", `{"source_ip":[{"cidr":"10.0.0.0/24"}]}`, map[string]Attribute{"source_ip": str("10.1.1.0")}, false},
		{"cidr, not an address", `{"source_ip":[{"cidr":"10.0.0.0/24"}]}`, map[string]Attribute{"source_ip": str("ten")}, false},
		{"cidr ipv6", `{"source_ip":[{"cidr":"2001:db8::/32"}]}`, map[string]Attribute{"source_ip": str("2001:db8::1")}, true},

		// AND, OR, $or.
		{"OR within a key", `{"customer_interests":["rugby",{"prefix":"bas"}]}`, map[string]Attribute{"customer_interests": str("baseball")}, true},
		{"AND across keys fails on one", `{"a":["1"],"b":["2"]}`, map[string]Attribute{"a": str("1"), "b": str("3")}, false},
		{"$or first branch", `{"source":["aws.cloudwatch"],"$or":[{"metricName":["CPUUtilization"]},{"namespace":["AWS/EC2"]}]}`,
			map[string]Attribute{"source": str("aws.cloudwatch"), "metricName": str("CPUUtilization")}, true},
		{"$or second branch", `{"source":["aws.cloudwatch"],"$or":[{"metricName":["CPUUtilization"]},{"namespace":["AWS/EC2"]}]}`,
			map[string]Attribute{"source": str("aws.cloudwatch"), "namespace": str("AWS/EC2")}, true},
		{"$or no branch", `{"source":["aws.cloudwatch"],"$or":[{"metricName":["CPUUtilization"]},{"namespace":["AWS/EC2"]}]}`,
			map[string]Attribute{"source": str("aws.cloudwatch"), "namespace": str("AWS/ES")}, false},
		{"$or with the AND part failing", `{"source":["aws.cloudwatch"],"$or":[{"metricName":["CPUUtilization"]},{"namespace":["AWS/EC2"]}]}`,
			map[string]Attribute{"source": str("aws.s3"), "namespace": str("AWS/EC2")}, false},
		{"empty policy matches everything", `{}`, map[string]Attribute{}, true},
	}
	for _, tc := range tests {
		p, err := Parse(tc.policy, Attributes)
		if err != nil {
			t.Errorf("%s: Parse: %v", tc.name, err)
			continue
		}
		if got := p.Match(&Message{Attributes: tc.attrs}); got != tc.want {
			t.Errorf("%s: Match = %v; want %v", tc.name, got, tc.want)
		}
	}
}

// Payload-based filtering examples, evaluated on message bodies.
func TestMatchBody(t *testing.T) {
	tests := []struct {
		name   string
		policy string
		body   string
		want   bool
	}{
		{"top-level key", `{"customer_interests":["rugby","tennis"]}`, `{"customer_interests":"rugby"}`, true},
		{"top-level key, other", `{"customer_interests":["rugby","tennis"]}`, `{"customer_interests":"baseball"}`, false},
		{"array value: one element listed", `{"customer_interests":["rugby"]}`, `{"customer_interests":["baseball","rugby"]}`, true},
		{"nested keys", `{"store":{"name":["example_corp"]},"price_usd":[{"numeric":[">=",100]}]}`, `{"store":{"name":"example_corp","city":"x"},"price_usd":210.75}`, true},
		{"nested keys, other", `{"store":{"name":["example_corp"]}}`, `{"store":{"name":"other"}}`, false},
		{"deep nesting", `{"a":{"b":{"c":["d"]}}}`, `{"a":{"b":{"c":"d"}}}`, true},
		{"nested through arrays", `{"a":{"b":[1]}}`, `{"a":[{"b":2},{"b":1}]}`, true},
		{"nested key missing", `{"a":{"b":["x"]}}`, `{"a":{"c":"x"}}`, false},
		{"nested exists false", `{"a":{"b":[{"exists":false}]}}`, `{"a":{"c":"x"}}`, true},
		{"parent missing, exists false", `{"a":{"b":[{"exists":false}]}}`, `{"z":1}`, true},
		{"number in the body", `{"price":[{"numeric":[">",10,"<",20]}]}`, `{"price":15}`, true},
		{"numeric against a string in the body", `{"price":[{"numeric":[">",10]}]}`, `{"price":"15"}`, false},
		{"booleans and null", `{"ok":[true],"gone":[null]}`, `{"ok":true,"gone":null}`, true},
		{"boolean mismatch", `{"ok":[true]}`, `{"ok":"true"}`, false},
		{"body is not JSON", `{"a":["b"]}`, `plain text`, false},
		{"body is a JSON array", `{"a":["b"]}`, `[{"a":"b"}]`, false},
		{"$or in the body", `{"$or":[{"a":["1"]},{"b":{"c":["2"]}}]}`, `{"b":{"c":"2"}}`, true},
		{"$or nested", `{"b":{"$or":[{"c":["2"]},{"d":["3"]}]}}`, `{"b":{"d":"3"}}`, true},
		{"anything-but prefix in the body", `{"event":[{"anything-but":{"prefix":"order-"}}]}`, `{"event":"order-placed"}`, false},
		{"equals-ignore-case in the body", `{"event":[{"equals-ignore-case":"ORDER"}]}`, `{"event":"order"}`, true},
		{"suffix in the body", `{"key":[{"suffix":".jpg"}]}`, `{"key":"a/b.jpg"}`, true},
	}
	for _, tc := range tests {
		p, err := Parse(tc.policy, Body)
		if err != nil {
			t.Errorf("%s: Parse: %v", tc.name, err)
			continue
		}
		if got := p.Match(&Message{Body: tc.body}); got != tc.want {
			t.Errorf("%s: Match = %v; want %v", tc.name, got, tc.want)
		}
	}
}

func TestMessageParsesItsBodyOnce(t *testing.T) {
	p1, _ := Parse(`{"a":["1"]}`, Body)
	p2, _ := Parse(`{"a":[{"prefix":"1"}]}`, Body)
	m := &Message{Body: `{"a":"1"}`}
	if !p1.Match(m) || !p2.Match(m) {
		t.Fatal("no match")
	}
	if !m.bodyDone || m.body == nil {
		t.Error("the parsed body was not kept")
	}
}
