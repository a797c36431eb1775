package filterpolicy

import (
	"errors"
	"testing"
)

// FuzzParse feeds arbitrary policies to the parser: it must answer a
// policy or an *Error, never panic, and a policy it accepts must match
// without panicking.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		`{"store":["example_corp"],"event":[{"anything-but":"order_cancelled"}],"price_usd":[{"numeric":[">=",100]}]}`,
		`{"a":{"b":[{"prefix":"x"},{"suffix":"y"}]},"$or":[{"c":[1]},{"d":[{"exists":false}]}]}`,
		`{"ip":[{"cidr":"10.0.0.0/8"}],"n":[{"numeric":[">",0,"<=",5]}],"s":[{"equals-ignore-case":"A"}]}`,
		`{"x":[{"anything-but":{"prefix":"p"}}],"y":[true,null,"s",1.5]}`,
		`{"x":[{"numeric":["<"]}]}`, `[]`, `{`, `{"a":[]}`,
	} {
		f.Add(seed, false)
		f.Add(seed, true)
	}
	f.Fuzz(func(t *testing.T, policy string, body bool) {
		scope := Attributes
		if body {
			scope = Body
		}
		p, err := Parse(policy, scope)
		if err != nil {
			var perr *Error
			if !errors.As(err, &perr) || perr.Message == "" {
				t.Fatalf("Parse(%q) = %v; want an *Error with a message", policy, err)
			}
			return
		}
		m := &Message{
			Attributes: map[string]Attribute{
				"a": {Type: "String", Value: "x"}, "n": {Type: "Number", Value: "3"},
				"ip": {Type: "String", Value: "10.1.2.3"}, "arr": {Type: "String.Array", Value: `["x",1,true,null,[2]]`},
			},
			Body: `{"a":"x","b":{"c":[1,{"d":"e"}]},"n":3,"ip":"10.1.2.3"}`,
		}
		first := p.Match(m)
		if p.Match(m) != first {
			t.Fatal("Match is not deterministic")
		}
	})
}
