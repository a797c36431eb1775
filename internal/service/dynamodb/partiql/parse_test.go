package partiql

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		params   int
	}{
		{`SELECT * FROM "Orders"`, `SELECT * FROM "Orders"`, 0},
		{`select * from Orders;`, `SELECT * FROM "Orders"`, 0},
		{`SELECT OrderID, Total, a.b[1]."c d", m['k'] FROM "Orders"."byTotal"`,
			`SELECT "OrderID", "Total", "a"."b"[1]."c d", "m"."k" FROM "Orders"."byTotal"`, 0},
		{`SELECT * FROM t WHERE pk = 'a' AND sk >= 10 OR NOT x <> -1.5e3`,
			`SELECT * FROM "t" WHERE ((("pk" = 'a') AND ("sk" >= 10)) OR (NOT ("x" <> -1.5e3)))`, 0},
		{`SELECT * FROM t WHERE a != ? AND b < ? AND c <= ? AND d > ?`,
			`SELECT * FROM "t" WHERE (((("a" <> ?) AND ("b" < ?)) AND ("c" <= ?)) AND ("d" > ?))`, 4},
		{`SELECT * FROM t WHERE pk IN ['a', 'b'] AND sk NOT IN (1, 2) AND n BETWEEN 1 AND 5 AND m NOT BETWEEN ? AND ?`,
			`SELECT * FROM "t" WHERE (((("pk" IN ['a', 'b']) AND ("sk" NOT IN [1, 2])) AND ("n" BETWEEN 1 AND 5)) AND ("m" NOT BETWEEN ? AND ?))`, 2},
		{`SELECT * FROM t WHERE a IS MISSING AND b IS NOT MISSING AND c IS NULL AND d IS NOT NULL`,
			`SELECT * FROM "t" WHERE (((("a" IS MISSING) AND ("b" IS NOT MISSING)) AND ("c" IS NULL)) AND ("d" IS NOT NULL))`, 0},
		{`SELECT * FROM t WHERE begins_with(name, 'Jo') AND CONTAINS("tags", 'x') AND attribute_exists(a.b) AND size(l) > 2`,
			`SELECT * FROM "t" WHERE (((begins_with("name", 'Jo') AND contains("tags", 'x')) AND attribute_exists("a"."b")) AND (size("l") > 2))`, 0},
		{`SELECT * FROM t WHERE pk = 'it''s' ORDER BY sk DESC, x`, `SELECT * FROM "t" WHERE ("pk" = 'it''s') ORDER BY "sk" DESC, "x"`, 0},
		{`SELECT * FROM "my ""table"""`, `SELECT * FROM "my ""table"""`, 0},
		{`INSERT INTO "Music" VALUE {'Artist': ?, 'Song': 'x', 'n': 1, 'l': [1, 'a', [true, false, null]], 'm': {'k': <<1, 2>>}, 's': <<'a'>>}`,
			`INSERT INTO "Music" VALUE {'Artist': ?, 'Song': 'x', 'n': 1, 'l': [1, 'a', [TRUE, FALSE, NULL]], 'm': {'k': <<1, 2>>}, 's': <<'a'>>}`, 1},
		{`INSERT INTO t VALUE {}`, `INSERT INTO "t" VALUE {}`, 0},
		{`UPDATE "Music" SET AwardsWon=1 SET AwardDetail={'Grammys':[2020, 2018]} WHERE Artist='Acme Band' AND SongTitle='PartiQL Rocks'`,
			`UPDATE "Music" SET "AwardsWon" = 1 SET "AwardDetail" = {'Grammys': [2020, 2018]} WHERE (("Artist" = 'Acme Band') AND ("SongTitle" = 'PartiQL Rocks'))`, 0},
		{`UPDATE t SET a = a + 1, b = list_append(b, [1]), c.d[0] = ? REMOVE e, f.g WHERE pk = ? RETURNING ALL NEW *`,
			`UPDATE "t" SET "a" = ("a" + 1) SET "b" = list_append("b", [1]) SET "c"."d"[0] = ? REMOVE "e" REMOVE "f"."g" WHERE ("pk" = ?) RETURNING ALL NEW *`, 2},
		{`UPDATE t REMOVE x WHERE pk = 1 RETURNING modified old *`, `UPDATE "t" REMOVE "x" WHERE ("pk" = 1) RETURNING MODIFIED OLD *`, 0},
		{`DELETE FROM t WHERE pk = 1 AND sk = 'a' RETURNING ALL OLD *`, `DELETE FROM "t" WHERE (("pk" = 1) AND ("sk" = 'a')) RETURNING ALL OLD *`, 0},
		{`EXISTS(SELECT * FROM "Music" WHERE Artist='No One' AND Awards IS MISSING)`,
			`EXISTS(SELECT * FROM "Music" WHERE (("Artist" = 'No One') AND ("Awards" IS MISSING)))`, 0},
		{"SELECT * -- a comment\nFROM /* another */ t", `SELECT * FROM "t"`, 0},
		{`SELECT * FROM t WHERE (a = 1 OR b = 2) AND c = 3`, `SELECT * FROM "t" WHERE ((("a" = 1) OR ("b" = 2)) AND ("c" = 3))`, 0},
		{`SELECT * FROM t WHERE a = .5`, `SELECT * FROM "t" WHERE ("a" = .5)`, 0},
	} {
		st, err := Parse(tc.in)
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if got := st.String(); got != tc.want || st.Params != tc.params {
			t.Errorf("%s\n got %s (%d params)\nwant %s (%d params)", tc.in, got, st.Params, tc.want, tc.params)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ in, detail string }{
		{``, "Expected data manipulation"},
		{`CREATE TABLE t`, "Expected data manipulation"},
		{`'x'`, "Expected data manipulation"},
		{`SELECT`, "Unexpected end of statement"},
		{`SELECT * FROM`, "Unexpected end of statement"},
		{`SELECT * FROM t WHERE`, "Unexpected end of statement"},
		{`SELECT * FROM select`, "Unexpected keyword"},
		{`SELECT * FROM t WHERE value = 1`, "Unexpected keyword"},
		{`SELECT * FROM t extra`, "Unexpected token"},
		{`SELECT * FROM t WHERE a = 'unterminated`, "Unexpected end of statement"},
		{`SELECT * FROM t WHERE a = #`, "Unexpected character: #"},
		{`SELECT * FROM t WHERE a IN 1`, "Unexpected token"},
		{`SELECT * FROM t WHERE a IS 1`, "Unexpected token"},
		{`SELECT * FROM t WHERE a[x] = 1`, "Unexpected token"},
		{`SELECT * FROM t WHERE a = -b`, "Unexpected token"},
		{`INSERT t VALUE {}`, "Unexpected token"},
		{`INSERT INTO t VALUES {}`, "Unexpected keyword"},
		{`INSERT INTO t VALUE {k: 1}`, "Unexpected token"},
		{`UPDATE t WHERE pk = 1`, "Unexpected keyword"},
		{`UPDATE t SET a = 1`, "Unexpected end of statement"},
		{`DELETE FROM t`, "Unexpected end of statement"},
		{`DELETE FROM t WHERE pk = 1 RETURNING ALL *`, "Unexpected token"},
		{`EXISTS(DELETE FROM t WHERE pk = 1)`, "Unexpected keyword"},
		{`SELECT * FROM t WHERE ` + strings.Repeat("(", 200) + "a = 1" + strings.Repeat(")", 200), "Statement is too deeply nested"},
	} {
		_, err := Parse(tc.in)
		var se *SyntaxError
		if !errors.As(err, &se) || se.Detail != tc.detail {
			t.Errorf("%q: got %v, want detail %q", tc.in, err, tc.detail)
			continue
		}
		if !strings.HasPrefix(err.Error(), "Statement wasn't well formed, can't be processed: ") {
			t.Errorf("%q: message %q", tc.in, err.Error())
		}
	}
}

// FuzzParse checks that any input parses or fails with a SyntaxError, and
// that what parses renders to a statement that parses to the same form.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`SELECT * FROM "t" WHERE pk = ? AND (a.b[1] > 3 OR NOT begins_with(c, 'x'))`,
		`INSERT INTO t VALUE {'a': [1, <<'x'>>, {'b': null}], 'c': -1.5}`,
		`UPDATE t SET a = a + ?, b = list_append(b, [1]) REMOVE c WHERE pk = 'x' RETURNING ALL OLD *`,
		`DELETE FROM t WHERE pk = 1 AND sk IN [1, 2] AND x IS NOT MISSING`,
		`EXISTS(SELECT * FROM t WHERE pk = 1 AND n BETWEEN 1 AND 2)`,
		`SELECT a, "b c" FROM t.i ORDER BY x DESC`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		st, err := Parse(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("%q: error %T %v", s, err, err)
			}
			return
		}
		text := st.String()
		again, err := Parse(text)
		if err != nil {
			t.Fatalf("%q renders as %q, which does not parse: %v", s, text, err)
		}
		if again.String() != text || again.Params != st.Params {
			t.Fatalf("%q: %q became %q", s, text, again.String())
		}
	})
}
