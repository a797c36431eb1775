package expr

import (
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
)

// The parsers take text straight from requests: whatever it is, they must
// answer a ValidationException or a usable result, never panic.

var fuzzNames = Names{"#a": "a", "#b": "b.c", "#k": "pk"}

func fuzzValues() Values {
	return Values{":s": sv("x"), ":n": nv("1"), ":n2": nv("2"), ":l": lv(nv("1")), ":ss": ssv("a"), ":t": sv("S"), ":p": sv("p")}
}

func checkFuzzErr(t *testing.T, src string, err error) {
	if err == nil {
		return
	}
	if e, ok := err.(*awserr.Error); !ok || e.Code != "ValidationException" || e.Message == "" {
		t.Fatalf("%q: %v is not a ValidationException", src, err)
	}
}

func fuzzItem() attr.Item {
	return attr.Item{"a": sv("x"), "n": nv("1"), "l": lv(nv("1"), mv("a", sv("y"))), "m": mv("a", ssv("a"))}
}

func FuzzParseCondition(f *testing.F) {
	for _, s := range []string{
		"a = :s", "NOT (a < :n) OR b BETWEEN :n AND :n2 AND c IN (:s, :n)", "attribute_exists(#a.b[1])",
		"size(l) > :n", "contains(m.a, :s)", "((a = :s))", "a = # AND", "begins_with(a, :s) AND attribute_type(n, :t)",
		"(a) = (:s)", "a[99999999999999] = :n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		c, err := ParseCondition(KindFilter, src, fuzzNames, fuzzValues())
		checkFuzzErr(t, src, err)
		if err == nil {
			if _, err := c.Eval(fuzzItem()); err != nil {
				t.Fatalf("%q: Eval: %v", src, err)
			}
			c.Eval(nil)
		}
	})
}

func FuzzParseUpdate(f *testing.F) {
	for _, s := range []string{
		"SET a = :s, n = n + :n REMOVE l[0] ADD cnt :n DELETE m.a :ss", "SET l = list_append(if_not_exists(l, :l), :l)",
		"SET a.b[2] = :s", "REMOVE a, b", "ADD hits : incr", "SET #a = (#a - :n)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		u, err := ParseUpdate(src, fuzzNames, fuzzValues())
		checkFuzzErr(t, src, err)
		if err == nil {
			_, _, err := u.Apply(fuzzItem())
			checkFuzzErr(t, src, err)
			_, _, err = u.Apply(nil)
			checkFuzzErr(t, src, err)
			u.Project(fuzzItem())
		}
	})
}

func FuzzParseProjection(f *testing.F) {
	for _, s := range []string{"a, b.c, l[1]", "#a, #b", "!!", "a,", "l[0].a, l[1]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		p, err := ParseProjection(src, fuzzNames)
		checkFuzzErr(t, src, err)
		if err == nil {
			p.Apply(fuzzItem())
		}
	})
}

func FuzzParseKeyCondition(f *testing.F) {
	for _, s := range []string{"pk = :p", "#k = :p AND sk BETWEEN :n AND :n2", "pk = :p AND begins_with(sk, :s)", "pk = :p OR sk = :n", ":p = pk"} {
		f.Add(s)
	}
	schema := KeySchema{PartitionKey: "pk", PartitionType: attr.TypeS, SortKey: "sk", SortType: attr.TypeN}
	f.Fuzz(func(t *testing.T, src string) {
		kc, err := ParseKeyCondition(src, fuzzNames, fuzzValues(), schema)
		checkFuzzErr(t, src, err)
		if err == nil {
			kc.Match(fuzzItem())
		}
	})
}
