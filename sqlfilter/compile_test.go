package sqlfilter_test

import (
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Masterminds/squirrel"

	"github.com/tessera-gis/tessera/sqlfilter"
)

func TestCompileSQL(t *testing.T) {
	t.Parallel()
	fields := testFields(t)
	now := sqlfilter.WithNow(func() time.Time { return time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC) })
	for _, tc := range []struct {
		name, where string
		sqlite      string
		pg          string
		args        []any
	}{{
		name:   "comparison",
		where:  "CloudCover < 10",
		sqlite: `("CloudCover" < ?)`,
		pg:     `("CloudCover" < CAST(? AS BIGINT))`,
		args:   []any{int64(10)},
	}, {
		name:   "AND chain is balanced",
		where:  "OBJECTID > 0 AND Name = 'x' AND ZOrder <> 2",
		sqlite: `(("OBJECTID" > ?) AND (("Name" = ?) AND ("ZOrder" <> ?)))`,
		pg:     `(("OBJECTID" > CAST(? AS BIGINT)) AND (("Name" = CAST(? AS TEXT)) AND ("ZOrder" <> CAST(? AS BIGINT))))`,
		args:   []any{int64(0), "x", int64(2)},
	}, {
		name:   "precedence is explicit",
		where:  "Category = 1 OR Category = 2 AND NOT ZOrder > 0",
		sqlite: `(("Category" = ?) OR (("Category" = ?) AND (NOT ("ZOrder" > ?))))`,
		pg:     `(("Category" = CAST(? AS BIGINT)) OR (("Category" = CAST(? AS BIGINT)) AND (NOT ("ZOrder" > CAST(? AS BIGINT)))))`,
		args:   []any{int64(1), int64(2), int64(0)},
	}, {
		name:   "strings order by code point",
		where:  "Name >= 'M' AND Tag BETWEEN 'a' AND 'b'",
		sqlite: `(("Name" >= ?) AND ("Tag" BETWEEN ? AND ?))`,
		pg:     `(("Name" COLLATE "C" >= CAST(? AS TEXT)) AND ("Tag" COLLATE "C" BETWEEN CAST(? AS TEXT) AND CAST(? AS TEXT)))`,
		args:   []any{"M", "a", "b"},
	}, {
		name:   "quote in a string is a value",
		where:  "Name = 'O''Brien''s'",
		sqlite: `("Name" = ?)`,
		pg:     `("Name" = CAST(? AS TEXT))`,
		args:   []any{"O'Brien's"},
	}, {
		name:   "LIKE becomes GLOB in SQLite",
		where:  `Name LIKE 'L_%*' AND Tag NOT LIKE '%\_[%' ESCAPE '\'`,
		sqlite: `(("Name" GLOB ?) AND ("Tag" NOT GLOB ?))`,
		pg:     `(("Name" COLLATE "C" LIKE CAST(? AS TEXT) ESCAPE '') AND ("Tag" COLLATE "C" NOT LIKE CAST(? AS TEXT) ESCAPE CAST(? AS TEXT)))`,
		args:   nil, // differ by dialect; checked below
	}, {
		name:   "IN, IS NULL and NULL literals",
		where:  "ZOrder IN (1, -2, NULL) OR Name IS NOT NULL OR CloudCover = NULL",
		sqlite: `(("ZOrder" IN (?, ?, NULL)) OR (("Name" IS NOT NULL) OR ("CloudCover" = NULL)))`,
		pg:     `(("ZOrder" IN (CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(NULL AS BIGINT))) OR (("Name" IS NOT NULL) OR ("CloudCover" = CAST(NULL AS DOUBLE PRECISION))))`,
		args:   []any{int64(1), int64(-2)},
	}, {
		name:   "dates are epoch milliseconds",
		where:  "AcquisitionDate >= DATE '2020-01-01' AND AcquisitionDate < TIMESTAMP '2020-01-01 12:30:00.5'",
		sqlite: `(("AcquisitionDate" >= ?) AND ("AcquisitionDate" < ?))`,
		pg:     `(("AcquisitionDate" >= CAST(? AS BIGINT)) AND ("AcquisitionDate" < CAST(? AS BIGINT)))`,
		args:   []any{int64(1577836800000), int64(1577881800500)},
	}, {
		name:   "CURRENT_DATE is bound at compile time",
		where:  "AcquisitionDate >= CURRENT_DATE AND AcquisitionDate < CURRENT_TIMESTAMP()",
		sqlite: `(("AcquisitionDate" >= ?) AND ("AcquisitionDate" < ?))`,
		pg:     `(("AcquisitionDate" >= CAST(? AS BIGINT)) AND ("AcquisitionDate" < CAST(? AS BIGINT)))`,
		args:   []any{int64(1714953600000), int64(1714979289000)},
	}, {
		name:   "division by zero is NULL",
		where:  "ZOrder / 2 > 1.5",
		sqlite: `(("ZOrder" / NULLIF(?, 0)) > ?)`,
		pg:     `(("ZOrder" / NULLIF(CAST(? AS BIGINT), 0)) > CAST(? AS DOUBLE PRECISION))`,
		args:   []any{int64(2), 1.5},
	}, {
		name:   "negative literals fold; double minus is no comment",
		where:  "ZOrder - -1 = -(-9223372036854775807)",
		sqlite: `(("ZOrder" - ?) = (-?))`,
		pg:     `(("ZOrder" - CAST(? AS BIGINT)) = (-CAST(? AS BIGINT)))`,
		args:   []any{int64(-1), int64(-9223372036854775807)},
	}, {
		name:   "POWER with an integer expression as exponent",
		where:  "POWER(2, Category) > 1 AND POWER(CloudCover, NULL) IS NULL",
		sqlite: `((sqlfilter_power(?, "Category") > ?) AND (sqlfilter_power("CloudCover", NULL) IS NULL))`,
		pg:     `((POWER(CAST(NULLIF(CAST(? AS BIGINT), CASE WHEN "Category" < 0 THEN 0 END) AS DOUBLE PRECISION), CAST("Category" AS DOUBLE PRECISION)) > CAST(? AS BIGINT)) AND (POWER(CAST("CloudCover" AS DOUBLE PRECISION), CAST(CAST(NULL AS BIGINT) AS DOUBLE PRECISION)) IS NULL))`,
		args:   []any{int64(2), int64(1)},
	}, {
		name:   "EXTRACT",
		where:  "EXTRACT(MONTH FROM AcquisitionDate) = 1",
		sqlite: `((CASE WHEN "AcquisitionDate" BETWEEN -62135596800000 AND 253402300799999 THEN CAST(strftime('%m', "AcquisitionDate" / 1000.0, 'unixepoch') AS INTEGER) END) = ?)`,
		pg:     `((CASE WHEN "AcquisitionDate" BETWEEN -62135596800000 AND 253402300799999 THEN CAST(EXTRACT(MONTH FROM TO_TIMESTAMP(CAST("AcquisitionDate" AS DOUBLE PRECISION) / 1000) AT TIME ZONE 'UTC') AS BIGINT) END) = CAST(? AS BIGINT))`,
		args:   []any{int64(1)},
	}, {
		name:   "EXTRACT of a time part",
		where:  "EXTRACT(HOUR FROM AcquisitionDate) = 1",
		sqlite: `((CASE WHEN "AcquisitionDate" BETWEEN -62135596800000 AND 253402300799999 THEN (("AcquisitionDate" + 62135596800000) % 86400000) / 3600000 END) = ?)`,
		pg:     `((CASE WHEN "AcquisitionDate" BETWEEN -62135596800000 AND 253402300799999 THEN (("AcquisitionDate" + 62135596800000) % 86400000) / 3600000 END) = CAST(? AS BIGINT))`,
		args:   []any{int64(1)},
	}, {
		name:   "CAST to DATE floors to the day",
		where:  "CAST(AcquisitionDate AS DATE) = DATE '2020-01-01'",
		sqlite: `(((("AcquisitionDate" + 4611686018371200000) / 86400000 - 53375995583) * 86400000) = ?)`,
		pg:     `(((("AcquisitionDate" + 4611686018371200000) / 86400000 - 53375995583) * 86400000) = CAST(? AS BIGINT))`,
		args:   []any{int64(1577836800000)},
	}, {
		name:   "CAST of literals folds",
		where:  "CAST('12' AS INT) = ZOrder AND CAST('2020-01-01' AS DATE) = AcquisitionDate",
		sqlite: `((? = "ZOrder") AND (? = "AcquisitionDate"))`,
		pg:     `((CAST(? AS BIGINT) = "ZOrder") AND (CAST(? AS BIGINT) = "AcquisitionDate"))`,
		args:   []any{int64(12), int64(1577836800000)},
	}, {
		name:   "CAST double to INT truncates",
		where:  "CAST(CloudCover AS INTEGER) = 2",
		sqlite: `(CAST("CloudCover" AS INTEGER) = ?)`,
		pg:     `(CAST(TRUNC("CloudCover") AS BIGINT) = CAST(? AS BIGINT))`,
		args:   []any{int64(2)},
	}, {
		name:   "string functions",
		where:  "CONCAT(UPPER(Name), TRIM(LEADING 'x' FROM Tag)) = 'a' AND CHAR_LENGTH(Name) = POSITION('a' IN Tag)",
		sqlite: `(((COALESCE(UPPER("Name"), '') || COALESCE(LTRIM("Tag", ?), '')) = ?) AND (LENGTH("Name") = INSTR("Tag", ?)))`,
		pg:     `(((COALESCE(UPPER("Name" COLLATE "C"), '') || COALESCE(LTRIM("Tag", CAST(? AS TEXT)), '')) = CAST(? AS TEXT)) AND (CHAR_LENGTH("Name") = POSITION(CAST(? AS TEXT) IN "Tag")))`,
		args:   []any{"x", "a", "a"},
	}, {
		name:   "SUBSTRING with literal positions is native in SQLite",
		where:  "SUBSTRING(Name FROM 2 FOR 3) = 'abc' AND SUBSTRING(Name, ZOrder) = 'x'",
		sqlite: `((SUBSTR("Name", ?, ?) = ?) AND (sqlfilter_substr("Name", "ZOrder") = ?))`,
		pg:     `((SUBSTRING("Name" FROM CAST(int8smaller(int8larger(CAST(? AS BIGINT), -2147483648), 2147483647) AS INTEGER) FOR CAST(int8smaller(int8larger(CAST(? AS BIGINT), 0), 2147483647) AS INTEGER)) = CAST(? AS TEXT)) AND (SUBSTRING("Name" FROM CAST(int8smaller(int8larger("ZOrder", -2147483648), 2147483647) AS INTEGER)) = CAST(? AS TEXT)))`,
		args:   []any{int64(2), int64(3), "abc", "x"},
	}, {
		name:   "numeric functions",
		where:  "ROUND(CloudCover, 1) = 1 AND POWER(ZOrder, -2) < 1 AND MOD(ZOrder, 3) = 0 AND LOG10(CloudCover) > 0",
		sqlite: `(((sqlfilter_round("CloudCover", ?) = ?) AND (sqlfilter_power("ZOrder", ?) < ?)) AND ((("ZOrder" % NULLIF(?, 0)) = ?) AND (sqlfilter_log10("CloudCover") > ?)))`,
		pg:     `(((CAST(ROUND(CAST("CloudCover" AS NUMERIC), CAST(int8smaller(int8larger(CAST(? AS BIGINT), -2000), 2000) AS INTEGER)) AS DOUBLE PRECISION) = CAST(? AS BIGINT)) AND (POWER(CAST(NULLIF("ZOrder", 0) AS DOUBLE PRECISION), CAST(CAST(? AS BIGINT) AS DOUBLE PRECISION)) < CAST(? AS BIGINT))) AND ((("ZOrder" % NULLIF(CAST(? AS BIGINT), 0)) = CAST(? AS BIGINT)) AND (LOG(NULLIF(GREATEST(CAST("CloudCover" AS DOUBLE PRECISION), 0), 0)) > CAST(? AS BIGINT))))`,
		args:   []any{int64(1), int64(1), int64(-2), int64(1), int64(3), int64(0), int64(0)},
	}, {
		name:   "COALESCE of integer and double converts",
		where:  "COALESCE(Category, 0.5) > 1",
		sqlite: `(COALESCE(CAST("Category" AS REAL), ?) > ?)`,
		pg:     `(COALESCE(CAST("Category" AS DOUBLE PRECISION), CAST(? AS DOUBLE PRECISION)) > CAST(? AS BIGINT))`,
		args:   []any{0.5, int64(1)},
	}, {
		name:   "TRUE and FALSE",
		where:  "TRUE OR FALSE",
		sqlite: `((1=1) OR (1=0))`,
		pg:     `((1=1) OR (1=0))`,
	}, {
		name:   "quoted names and keywords in any case",
		where:  `"Sun Elevation" > 1 and "date" is not null`,
		sqlite: `(("sun_elev" > ?) AND ("AcquisitionDate" IS NOT NULL))`,
		pg:     `(("sun_elev" > CAST(? AS BIGINT)) AND ("AcquisitionDate" IS NOT NULL))`,
		args:   []any{int64(1)},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, d := range []struct {
				dialect sqlfilter.Dialect
				want    string
			}{{sqlfilter.SQLite, tc.sqlite}, {sqlfilter.Postgres, tc.pg}} {
				flt, err := sqlfilter.Compile(tc.where, fields, sqlfilter.WithDialect(d.dialect), now)
				if err != nil {
					t.Fatalf("%s: %v", d.dialect, err)
				}
				sql, args, err := flt.ToSql()
				if err != nil {
					t.Fatal(err)
				}
				if sql != d.want {
					t.Errorf("%s SQL:\n got %s\nwant %s", d.dialect, sql, d.want)
				}
				if tc.args != nil && !reflect.DeepEqual(args, tc.args) {
					t.Errorf("%s args = %#v, want %#v", d.dialect, args, tc.args)
				}
				if got, want := strings.Count(sql, "?"), len(args); got != want {
					t.Errorf("%s: %d placeholders, %d args", d.dialect, got, want)
				}
			}
		})
	}
}

func TestCompileLikeArgs(t *testing.T) {
	t.Parallel()
	fields := testFields(t)
	where := `Name LIKE 'L_%*' AND Tag NOT LIKE '%\_[%' ESCAPE '\'`
	for _, tc := range []struct {
		dialect sqlfilter.Dialect
		args    []any
	}{
		{sqlfilter.SQLite, []any{"L?*[*]", "*_[[]*"}},
		{sqlfilter.Postgres, []any{"L_%*", `%\_[%`, `\`}},
	} {
		flt, err := sqlfilter.Compile(where, fields, sqlfilter.WithDialect(tc.dialect))
		if err != nil {
			t.Fatal(err)
		}
		if _, args, _ := flt.ToSql(); !reflect.DeepEqual(args, tc.args) {
			t.Errorf("%s args = %#v, want %#v", tc.dialect, args, tc.args)
		}
	}
}

func TestFilterColumns(t *testing.T) {
	t.Parallel()
	flt, err := sqlfilter.Compile(`ZOrder > 1 AND (cloudcover < 2 OR "ZORDER" = 3) AND Date IS NULL`, testFields(t))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range flt.Columns() {
		got = append(got, c.Name)
	}
	if want := []string{"ZOrder", "CloudCover", "Date"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Columns() = %v, want %v", got, want)
	}
}

func TestFilterArgsAppendCopies(t *testing.T) {
	t.Parallel()
	flt, err := sqlfilter.Compile("ZOrder = 1", testFields(t))
	if err != nil {
		t.Fatal(err)
	}
	_, args, _ := flt.ToSql()
	_ = append(args, "extra")
	_, args2, _ := flt.ToSql()
	if cap(args2) != len(args2) {
		t.Errorf("args have spare capacity %d > %d: an append would write into the Filter", cap(args2), len(args2))
	}
}

// TestConcurrentUse compiles from many goroutines with shared Fields and
// reads one shared Filter; run it with -race.
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	fields := testFields(t)
	shared, err := sqlfilter.Compile(benchClause, fields)
	if err != nil {
		t.Fatal(err)
	}
	want, _, _ := shared.ToSql()
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				flt, err := sqlfilter.Compile(benchClause, fields)
				if err != nil {
					t.Error(err)
					return
				}
				got, _, _ := flt.ToSql()
				sql, args, _ := shared.ToSql()
				_ = append(args, 1)
				if got != want || sql != want {
					t.Errorf("got %s, want %s", got, want)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestFilterInSquirrel(t *testing.T) {
	t.Parallel()
	flt, err := sqlfilter.Compile("Name = 'x' AND ZOrder IN (1, 2)", testFields(t), sqlfilter.WithDialect(sqlfilter.Postgres))
	if err != nil {
		t.Fatal(err)
	}
	sql, args, err := squirrel.Select(`"OBJECTID"`).From("items").Where(flt).Where(squirrel.Eq{`"Category"`: 1}).
		PlaceholderFormat(squirrel.Dollar).ToSql()
	if err != nil {
		t.Fatal(err)
	}
	want := `SELECT "OBJECTID" FROM items WHERE (("Name" = CAST($1 AS TEXT)) AND ("ZOrder" IN (CAST($2 AS BIGINT), CAST($3 AS BIGINT)))) AND "Category" = $4`
	if sql != want {
		t.Errorf("SQL:\n got %s\nwant %s", sql, want)
	}
	if want := []any{"x", int64(1), int64(2), 1}; !reflect.DeepEqual(args, want) {
		t.Errorf("args = %#v, want %#v", args, want)
	}
}
