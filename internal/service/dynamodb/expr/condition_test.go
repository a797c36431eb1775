package expr

import (
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
)

func testItem() attr.Item {
	return attr.Item{
		"pk":     sv("p1"),
		"s":      sv("hello"),
		"n":      nv("5"),
		"b":      bv(1, 2, 3),
		"t":      boolv(true),
		"z":      nullv(),
		"ss":     ssv("a", "b"),
		"ns":     nsv("1", "2.5"),
		"bs":     {BS: [][]byte{{1}, {2}}},
		"l":      lv(sv("x"), nv("2"), lv(nv("3"))),
		"m":      mv("a", mv("b", nv("7")), "lst", lv(sv("q"))),
		"blank":  sv(""),
		"status": sv("ok"),
		"two":    nv("2"),
	}
}

func testValues() Values {
	return Values{
		":s": sv("hello"), ":h": sv("he"), ":ell": sv("ell"), ":n5": nv("5"), ":n5b": nv("5.0"),
		":n1": nv("1"), ":n2": nv("2"), ":n3": nv("3"), ":n10": nv("10"), ":x": sv("x"),
		":a": sv("a"), ":b12": bv(1, 2), ":b2": bv(2), ":t": boolv(true), ":l": lv(nv("3")),
		":tS": sv("S"), ":tN": sv("N"), ":tB": sv("B"), ":tBOOL": sv("BOOL"), ":tNULL": sv("NULL"),
		":tSS": sv("SS"), ":tNS": sv("NS"), ":tBS": sv("BS"), ":tL": sv("L"), ":tM": sv("M"),
		":q": sv("q"), ":n25": nv("2.5"),
	}
}

func TestConditionEval(t *testing.T) {
	names := Names{"#st": "status", "#n": "n", "#dot": "a.b"}
	tests := []struct {
		expr string
		want bool
	}{
		{"s = :s", true},
		{"s <> :s", false},
		{"n = :n5b", true},
		{"n = :s", false},
		{"absent = :s", false},
		{"absent <> :s", true},
		{"absent <> nope", true},
		{"s <> :n5", true},
		{"n < :n10", true},
		{"n <= :n5", true},
		{"n > :n1", true},
		{"n >= :n10", false},
		{"s < :n10", false},      // different types: false, no error
		{"absent < :n10", false}, // absent: false
		{":n1 < n", true},        // value on the left
		{"b > :b12", true},       // binary order
		{"n BETWEEN :n1 AND :n10", true},
		{"n between :n5 and :n5", true},
		{"n BETWEEN :n1 AND :n3", false},
		{"s BETWEEN :n1 AND :n3", false},
		{"n BETWEEN :n1 AND two", false},
		{"n IN (:n1, :n5)", true},
		{"n IN (:s, :n1)", false},
		{"absent IN (:n1)", false},
		{"attribute_exists(s)", true},
		{"attribute_exists(absent)", false},
		{"attribute_not_exists(absent)", true},
		{"attribute_exists(m.a.b)", true},
		{"attribute_exists(m.a.c)", false},
		{"attribute_exists(l[2][0])", true},
		{"attribute_exists(l[3])", false},
		{"attribute_exists(#dot)", false}, // a name with a dot is one attribute
		{"attribute_type(s, :tS)", true},
		{"attribute_type(n, :tN)", true},
		{"attribute_type(b, :tB)", true},
		{"attribute_type(t, :tBOOL)", true},
		{"attribute_type(z, :tNULL)", true},
		{"attribute_type(ss, :tSS)", true},
		{"attribute_type(ns, :tNS)", true},
		{"attribute_type(bs, :tBS)", true},
		{"attribute_type(l, :tL)", true},
		{"attribute_type(m, :tM)", true},
		{"attribute_type(s, :tN)", false},
		{"attribute_type(absent, :tS)", false},
		{"begins_with(s, :h)", true},
		{"begins_with(s, :ell)", false},
		{"begins_with(b, :b12)", true},
		{"begins_with(n, :h)", false},
		{"contains(s, :ell)", true},
		{"contains(ss, :a)", true},
		{"contains(ss, :x)", false},
		{"contains(ns, :n25)", true},
		{"contains(bs, :b2)", true},
		{"contains(b, :b2)", true},
		{"contains(l, :x)", true},
		{"contains(l, :l)", true},
		{"contains(l, :n2)", true},
		{"contains(n, :n5)", false},
		{"contains(m.lst, :q)", true},
		{"size(s) = :n5", true},
		{"size(b) = :n3", true},
		{"size(ss) = :n2", true},
		{"size(ns) = :n2", true},
		{"size(l) = :n3", true},
		{"size(m) = :n2", true},
		{"size(blank) < :n1", true},
		{"size(n) = :n1", false},
		{"size(absent) >= :n1", false},
		{":n3 = size(l)", true},
		{"size(l) > size(ss)", true},
		{"size(l) BETWEEN :n1 AND :n3", true},
		{"#st = :s", false},
		{"#n = :n5", true},
		{"NOT s = :s", false},
		{"NOT (s = :s)", false},
		{"NOT attribute_exists(absent)", true},
		// Precedence: NOT binds tighter than AND, AND tighter than OR.
		{"s = :s OR n = :n1 AND n = :n3", true},
		{"(s = :s OR n = :n1) AND n = :n3", false},
		{"NOT s = :x AND n = :n5", true},
		{"NOT (s = :x AND n = :n5)", true},
		{"s = :x OR NOT n = :n1", true},
		{"(s) = :s", true},
		{"(s = :s) and (n = :n5)", true},
		{"s = :s AND (n = :n1 OR n = :n5)", true},
	}
	item := testItem()
	for _, tt := range tests {
		c, err := ParseCondition(KindCondition, tt.expr, names, testValues())
		if err != nil {
			t.Errorf("%s: %v", tt.expr, err)
			continue
		}
		got, err := c.Eval(item)
		if err != nil || got != tt.want {
			t.Errorf("%s = %v, %v; want %v", tt.expr, got, err, tt.want)
		}
	}
	// Against a absent item every comparison is false, <> true.
	c, _ := ParseCondition(KindCondition, "attribute_not_exists(pk) AND pk <> :s", nil, testValues())
	if ok, _ := c.Eval(nil); !ok {
		t.Error("condition on a absent item")
	}
}
