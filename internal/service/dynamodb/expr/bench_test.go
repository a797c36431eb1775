package expr

import (
	"testing"

	"github.com/nimbus-cloud/nimbus/internal/service/dynamodb/attr"
)

func benchFilterItem() attr.Item {
	return attr.Item{
		"pk": sv("tenant#1"), "sk": sv("order#000123"), "status": sv("SHIPPED"), "amount": nv("129.95"),
		"tags": ssv("gift", "express"), "orderlines": lv(mv("sku", sv("A1"), "qty", nv("2")), mv("sku", sv("B2"), "qty", nv("1"))),
		"customer": mv("name", sv("Ada"), "grade", sv("gold")),
	}
}

func BenchmarkFilterEval(b *testing.B) {
	c, err := ParseCondition(KindFilter,
		"#st = :shipped AND amount BETWEEN :lo AND :hi AND (contains(tags, :gift) OR customer.grade = :gold) AND size(orderlines) > :one",
		Names{"#st": "status"},
		Values{":shipped": sv("SHIPPED"), ":lo": nv("100"), ":hi": nv("200"), ":gift": sv("gift"), ":gold": sv("gold"), ":one": nv("1")})
	if err != nil {
		b.Fatal(err)
	}
	item := benchFilterItem()
	b.ReportAllocs()
	for b.Loop() {
		if ok, _ := c.Eval(item); !ok {
			b.Fatal("filter false")
		}
	}
}

func BenchmarkParseCondition(b *testing.B) {
	names := Names{"#st": "status"}
	values := Values{":shipped": sv("SHIPPED"), ":lo": nv("100"), ":hi": nv("200"), ":gift": sv("gift")}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseCondition(KindFilter, "#st = :shipped AND amount BETWEEN :lo AND :hi AND contains(tags, :gift)", names, values); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUpdateApply(b *testing.B) {
	u, err := ParseUpdate("SET amount = amount + :d, customer.grade = :t ADD tags :tag REMOVE orderlines[0]", nil,
		Values{":d": nv("1.5"), ":t": sv("platinum"), ":tag": ssv("vip")})
	if err != nil {
		b.Fatal(err)
	}
	item := benchFilterItem()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := u.Apply(item); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkProjectionApply(b *testing.B) {
	p, err := ParseProjection("pk, sk, amount, customer.grade, orderlines[1].sku", nil)
	if err != nil {
		b.Fatal(err)
	}
	item := benchFilterItem()
	b.ReportAllocs()
	for b.Loop() {
		p.Apply(item)
	}
}
