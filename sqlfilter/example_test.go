package sqlfilter_test

import (
	"database/sql"
	"errors"
	"fmt"
	"log"

	"github.com/Masterminds/squirrel"
	"github.com/mattn/go-sqlite3"

	"github.com/tessera-gis/tessera/sqlfilter"
)

// exampleFields is the allow-list a store would build from its schema.
func exampleFields() *sqlfilter.Fields {
	fields, err := sqlfilter.NewFields(
		sqlfilter.Field{Name: "OBJECTID", Column: `"OBJECTID"`, Type: sqlfilter.Integer},
		sqlfilter.Field{Name: "Name", Column: `"Name"`, Type: sqlfilter.String},
		sqlfilter.Field{Name: "CloudCover", Column: `"CloudCover"`, Type: sqlfilter.Double},
		sqlfilter.Field{Name: "AcquisitionDate", Column: `"AcquisitionDate"`, Type: sqlfilter.Date},
	)
	if err != nil {
		log.Fatal(err)
	}
	return fields
}

func ExampleCompile() {
	flt, err := sqlfilter.Compile("CloudCover < 10 AND Name LIKE 'LC08%' AND AcquisitionDate >= DATE '2020-01-01'", exampleFields())
	if err != nil {
		log.Fatal(err)
	}
	sql, args, _ := flt.ToSql()
	fmt.Println(sql)
	fmt.Println(args)
	// Output:
	// (("CloudCover" < ?) AND (("Name" GLOB ?) AND ("AcquisitionDate" >= ?)))
	// [10 LC08* 1577836800000]
}

// Compiled filters plug into squirrel; PostgreSQL needs squirrel.Dollar.
func ExampleCompile_postgres() {
	flt, err := sqlfilter.Compile("Name IN ('a', 'b') OR CloudCover IS NULL", exampleFields(),
		sqlfilter.WithDialect(sqlfilter.Postgres))
	if err != nil {
		log.Fatal(err)
	}
	sql, args, _ := squirrel.Select(`"OBJECTID"`).From("items").Where(flt).
		PlaceholderFormat(squirrel.Dollar).ToSql()
	fmt.Println(sql)
	fmt.Println(args)
	// Output:
	// SELECT "OBJECTID" FROM items WHERE (("Name" IN (CAST($1 AS TEXT), CAST($2 AS TEXT))) OR ("CloudCover" IS NULL))
	// [a b]
}

// Mistakes are *Error values whose text is safe to show to clients.
func ExampleCompile_error() {
	_, err := sqlfilter.Compile("CloudCovr > 5", exampleFields())
	var e *sqlfilter.Error
	if errors.As(err, &e) {
		fmt.Println(e)
		fmt.Println(e.Snippet())
	}
	_, err = sqlfilter.Compile("  ", exampleFields())
	fmt.Println(errors.Is(err, sqlfilter.ErrEmpty))
	// Output:
	// unknown field "CloudCovr" at 1:1; did you mean "CloudCover"?
	//  | CloudCovr > 5
	//  | ^
	// true
}

func ExampleParseOrderBy() {
	orders, err := sqlfilter.ParseOrderBy("AcquisitionDate DESC, name", exampleFields())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(sqlfilter.OrderBySQL(orders))
	fmt.Println(sqlfilter.OrderBySQL(orders, sqlfilter.WithDialect(sqlfilter.Postgres)))
	// Output:
	// ["AcquisitionDate" DESC "Name" ASC]
	// ["AcquisitionDate" DESC NULLS LAST "Name" COLLATE "C" ASC NULLS FIRST]
}

func ExampleParseOutFields() {
	fields, err := sqlfilter.ParseOutFields("objectid, Name", exampleFields())
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range fields {
		fmt.Println(f.Name, f.Column)
	}
	// Output:
	// OBJECTID "OBJECTID"
	// Name "Name"
}

// A store registers SQLiteFunctions on every SQLite connection.
func ExampleSQLiteFunctions() {
	sql.Register("sqlite3_example", &sqlite3.SQLiteDriver{
		ConnectHook: func(conn *sqlite3.SQLiteConn) error {
			for _, f := range sqlfilter.SQLiteFunctions() {
				if err := conn.RegisterFunc(f.Name, f.Impl, f.Pure); err != nil {
					return err
				}
			}
			return nil
		},
	})
	db, err := sql.Open("sqlite3_example", ":memory:")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE items ("OBJECTID" INTEGER PRIMARY KEY, "Name" TEXT, "CloudCover" REAL, "AcquisitionDate" INTEGER);
		INSERT INTO items VALUES (1, 'a', 2.675, 0), (2, 'b', 2.665, 0)`); err != nil {
		log.Fatal(err)
	}
	flt, err := sqlfilter.Compile("ROUND(CloudCover, 2) = 2.68", exampleFields())
	if err != nil {
		log.Fatal(err)
	}
	var id int64
	if err := squirrel.Select(`"OBJECTID"`).From("items").Where(flt).RunWith(db).QueryRow().Scan(&id); err != nil {
		log.Fatal(err)
	}
	fmt.Println(id)
	// Output: 1
}
