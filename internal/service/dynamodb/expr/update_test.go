package expr

import (
	"reflect"
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
)

func updItem() attr.Item {
	return attr.Item{
		"pk":  sv("p"),
		"n":   nv("5"),
		"s":   sv("x"),
		"ss":  ssv("a", "b"),
		"ns":  nsv("1", "2"),
		"l":   lv(nv("0"), nv("1"), nv("2"), nv("3")),
		"m":   mv("a", nv("1"), "kid", mv("deep", sv("d"))),
		"cnt": nv("10"),
	}
}

func updValues() Values {
	return Values{
		":one": nv("1"), ":two": nv("2"), ":s": sv("y"), ":l": lv(sv("e")), ":ss": ssv("b", "c"),
		":ns": nsv("2", "3"), ":bs": {BS: [][]byte{{1}}}, ":empty": lv(), ":big": nv("9.9e125"),
		":ssa": ssv("a", "b"),
	}
}

func TestUpdateApply(t *testing.T) {
	tests := []struct {
		expr  string
		check map[string]attr.Value // attributes of the new item to compare; nil value = absent
		attrs []string
	}{
		{"SET s = :s", map[string]attr.Value{"s": sv("y")}, []string{"s"}},
		{"SET n = n + :one", map[string]attr.Value{"n": nv("6")}, []string{"n"}},
		{"SET n = :two - n", map[string]attr.Value{"n": nv("-3")}, []string{"n"}},
		{"SET n = (n + :one)", map[string]attr.Value{"n": nv("6")}, nil},
		{"set fresh = if_not_exists(fresh, :one) + :two", map[string]attr.Value{"fresh": nv("3")}, nil},
		{"SET n = if_not_exists(n, :two)", map[string]attr.Value{"n": nv("5")}, nil},
		{"SET l = list_append(l, :l)", map[string]attr.Value{"l": lv(nv("0"), nv("1"), nv("2"), nv("3"), sv("e"))}, nil},
		{"SET l = list_append(:l, l)", map[string]attr.Value{"l": lv(sv("e"), nv("0"), nv("1"), nv("2"), nv("3"))}, nil},
		{"SET nl = list_append(if_not_exists(nl, :empty), :l)", map[string]attr.Value{"nl": lv(sv("e"))}, nil},
		{"SET m.a = :s, m.b = :one", map[string]attr.Value{"m": mv("a", sv("y"), "b", nv("1"), "kid", mv("deep", sv("d")))}, []string{"m"}},
		{"SET m.kid.deep = :one", map[string]attr.Value{"m": mv("a", nv("1"), "kid", mv("deep", nv("1")))}, nil},
		{"SET l[1] = :s", map[string]attr.Value{"l": lv(nv("0"), sv("y"), nv("2"), nv("3"))}, nil},
		{"SET l[10] = :s, l[7] = :one", map[string]attr.Value{"l": lv(nv("0"), nv("1"), nv("2"), nv("3"), nv("1"), sv("y"))}, nil},
		{"SET a = n, n = a2", nil, nil}, // a2 is missing: error case below
		{"REMOVE s, absent", map[string]attr.Value{"s": {}}, []string{"absent", "s"}},
		{"REMOVE l[1], l[3]", map[string]attr.Value{"l": lv(nv("0"), nv("2"))}, nil},
		{"REMOVE l[3], l[1]", map[string]attr.Value{"l": lv(nv("0"), nv("2"))}, nil},
		{"REMOVE l[9]", map[string]attr.Value{"l": lv(nv("0"), nv("1"), nv("2"), nv("3"))}, nil},
		{"REMOVE m.a", map[string]attr.Value{"m": mv("kid", mv("deep", sv("d")))}, nil},
		{"SET l[1] = :s REMOVE l[0]", map[string]attr.Value{"l": lv(sv("y"), nv("2"), nv("3"))}, nil},
		{"ADD cnt :one", map[string]attr.Value{"cnt": nv("11")}, nil},
		{"ADD newcnt :two", map[string]attr.Value{"newcnt": nv("2")}, nil},
		{"ADD ss :ss", map[string]attr.Value{"ss": ssv("a", "b", "c")}, nil},
		{"ADD ns :ns", map[string]attr.Value{"ns": nsv("1", "2", "3")}, nil},
		{"ADD newset :bs", map[string]attr.Value{"newset": {BS: [][]byte{{1}}}}, nil},
		{"DELETE ss :ss", map[string]attr.Value{"ss": ssv("a")}, nil},
		{"DELETE ss :ssa", map[string]attr.Value{"ss": {}}, nil},
		{"DELETE absentset :ss", map[string]attr.Value{"absentset": {}}, nil},
		{"SET s = :s REMOVE n ADD cnt :one DELETE ss :ss", map[string]attr.Value{"s": sv("y"), "n": {}, "cnt": nv("11"), "ss": ssv("a")}, []string{"cnt", "n", "s", "ss"}},
	}
	for _, tt := range tests {
		if tt.check == nil {
			continue
		}
		u, err := ParseUpdate(tt.expr, nil, updValues())
		if err != nil {
			t.Errorf("%s: %v", tt.expr, err)
			continue
		}
		before := updItem()
		out, attrs, err := u.Apply(before)
		if err != nil {
			t.Errorf("%s: Apply: %v", tt.expr, err)
			continue
		}
		for k, want := range tt.check {
			got, ok := out[k]
			if attr.TypeOf(&want) == attr.TypeInvalid {
				if ok {
					t.Errorf("%s: %s = %v, want absent", tt.expr, k, got)
				}
				continue
			}
			if !ok || !attr.Equal(&got, &want) {
				t.Errorf("%s: %s = %v, want %v", tt.expr, k, got, want)
			}
		}
		if tt.attrs != nil && !reflect.DeepEqual(attrs, tt.attrs) {
			t.Errorf("%s: attrs %v, want %v", tt.expr, attrs, tt.attrs)
		}
		if !reflect.DeepEqual(before, updItem()) {
			t.Errorf("%s: Apply modified its input", tt.expr)
		}
	}
}

func TestUpdateApplyErrors(t *testing.T) {
	tests := []struct{ expr, msg string }{
		{"SET n = a2", "The provided expression refers to an attribute that does not exist in the item"},
		{"SET n = s + :one", "An operand in the update expression has an incorrect data type"},
		{"SET l = list_append(l, s)", "An operand in the update expression has an incorrect data type"},
		{"SET x.y = :one", "The document path provided in the update expression is invalid for update"},
		{"SET s.y = :one", "The document path provided in the update expression is invalid for update"},
		{"SET m[0] = :one", "The document path provided in the update expression is invalid for update"},
		{"SET l[9].a = :one", "The document path provided in the update expression is invalid for update"},
		{"REMOVE x.y", "The document path provided in the update expression is invalid for update"},
		{"ADD s :one", "An operand in the update expression has an incorrect data type"},
		{"ADD ss :ns", "An operand in the update expression has an incorrect data type"},
		{"DELETE n :ss", "An operand in the update expression has an incorrect data type"},
		{"SET n = :big + :big", "Number overflow. Attempting to store a number with magnitude larger than supported range"},
	}
	for _, tt := range tests {
		u, err := ParseUpdate(tt.expr, nil, updValues())
		if err != nil {
			t.Errorf("%s: %v", tt.expr, err)
			continue
		}
		_, _, err = u.Apply(updItem())
		wantValidation(t, tt.expr, err, tt.msg)
	}
}

func TestUpdateProject(t *testing.T) {
	u, err := ParseUpdate("SET m.a = :s, l[1] = :s ADD cnt :one", nil, updValues())
	if err != nil {
		t.Fatal(err)
	}
	old := u.Project(updItem())
	want := attr.Item{"m": mv("a", nv("1")), "l": lv(nv("1")), "cnt": nv("10")}
	if !reflect.DeepEqual(old, want) {
		t.Errorf("UPDATED_OLD = %v, want %v", old, want)
	}
}
