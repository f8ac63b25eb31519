package main

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/tessera-gis/tessera/mosaic/sqlite"
)

// queryLimit is the peer of the query benchmark: the bare SQLite statement
// that answers the request, run in-process on the same file with the same
// SQL functions and connection settings as the server's readers, plus
// encoding the rows it returns as Esri JSON features (attributes and
// rings) into a byte buffer. No HTTP, no parameter parsing, no response
// envelope: it is what a page costs at least.
type queryLimit struct {
	db    *sql.DB
	query string
	types []string // declared type of each selected column
}

// openQueryLimit prepares the bare statement over the catalog file at path.
func openQueryLimit(ctx context.Context, path string, conns int) (*queryLimit, error) {
	// Opening the store once registers the driver with its SQL functions.
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	st.Close()
	db, err := sql.Open(sqlite.DriverName, "file:"+path+"?_query_only=true&_cache_size=-8192&_busy_timeout=60000")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	var id int64
	if err := db.QueryRowContext(ctx, `SELECT id FROM collections WHERE name = 'Bench'`).Scan(&id); err != nil {
		db.Close()
		return nil, fmt.Errorf("query limit: %w", err)
	}
	rows, err := db.QueryContext(ctx, fmt.Sprintf(`SELECT name, type FROM pragma_table_info('items_%d') ORDER BY cid`, id))
	if err != nil {
		db.Close()
		return nil, err
	}
	var cols []string
	l := &queryLimit{db: db}
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			rows.Close()
			db.Close()
			return nil, err
		}
		if strings.HasPrefix(name, "_") || name == "Shape" {
			continue
		}
		cols = append(cols, `"`+name+`"`)
		l.types = append(l.types, typ)
	}
	rows.Close()
	cols = append(cols, `"Shape"`)
	l.types = append(l.types, "BLOB")
	l.query = fmt.Sprintf(`SELECT %s FROM items_%d
WHERE _deleted_at IS NULL AND "CloudCover" < 30
  AND "OBJECTID" IN (SELECT id FROM rtree_%d WHERE maxx >= ?1 AND minx <= ?3 AND maxy >= ?2 AND miny <= ?4)
  AND _maxx >= ?1 AND _minx <= ?3 AND _maxy >= ?2 AND _miny <= ?4
  AND ((_minx >= ?1 AND _maxx <= ?3 AND _miny >= ?2 AND _maxy <= ?4) OR tessera_intersects("Shape", ?5))
ORDER BY "OBJECTID" LIMIT 1001`, strings.Join(cols, ", "), id, id)
	return l, nil
}

func (l *queryLimit) Close() error { return l.db.Close() }

// page runs the statement for the box and encodes its first 1,000 rows,
// appending to buf, and returns the buffer and the number of features.
func (l *queryLimit) page(ctx context.Context, box [4]float64, buf []byte) ([]byte, int, error) {
	rows, err := l.db.QueryContext(ctx, l.query, box[0], box[1], box[2], box[3], boxWKB(box))
	if err != nil {
		return buf, 0, err
	}
	defer rows.Close()
	vals := make([]any, len(l.types))
	ints := make([]sql.NullInt64, len(l.types))
	floats := make([]sql.NullFloat64, len(l.types))
	strs := make([]sql.RawBytes, len(l.types))
	for i, t := range l.types {
		switch t {
		case "INTEGER":
			vals[i] = &ints[i]
		case "REAL":
			vals[i] = &floats[i]
		default:
			vals[i] = &strs[i]
		}
	}
	n := 0
	buf = append(buf, `{"features":[`...)
	for rows.Next() && n < 1000 {
		if err := rows.Scan(vals...); err != nil {
			return buf, 0, err
		}
		if n > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, `{"attributes":{`...)
		for i, t := range l.types[:len(l.types)-1] {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, "\"f"...)
			buf = strconv.AppendInt(buf, int64(i), 10)
			buf = append(buf, "\":"...)
			switch t {
			case "INTEGER":
				if ints[i].Valid {
					buf = strconv.AppendInt(buf, ints[i].Int64, 10)
				} else {
					buf = append(buf, "null"...)
				}
			case "REAL":
				if floats[i].Valid {
					buf = strconv.AppendFloat(buf, floats[i].Float64, 'f', -1, 64)
				} else {
					buf = append(buf, "null"...)
				}
			default:
				buf = strconv.AppendQuote(buf, string(strs[i]))
			}
		}
		buf = append(buf, `},"geometry":{"rings":`...)
		buf = appendWKBRings(buf, strs[len(strs)-1])
		buf = append(buf, "}}"...)
		n++
	}
	buf = append(buf, "]}"...)
	return buf, n, rows.Err()
}

// appendWKBRings writes a little-endian WKB polygon's rings as JSON arrays
// as they are stored, without reordering them.
func appendWKBRings(buf, b []byte) []byte {
	if len(b) < 9 {
		return append(buf, "null"...)
	}
	le := binary.LittleEndian
	nr := int(le.Uint32(b[5:]))
	p := 9
	buf = append(buf, '[')
	for r := 0; r < nr && p+4 <= len(b); r++ {
		if r > 0 {
			buf = append(buf, ',')
		}
		np := int(le.Uint32(b[p:]))
		p += 4
		buf = append(buf, '[')
		for i := 0; i < np && p+16 <= len(b); i++ {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, '[')
			buf = strconv.AppendFloat(buf, math.Float64frombits(le.Uint64(b[p:])), 'f', -1, 64)
			buf = append(buf, ',')
			buf = strconv.AppendFloat(buf, math.Float64frombits(le.Uint64(b[p+8:])), 'f', -1, 64)
			buf = append(buf, ']')
			p += 16
		}
		buf = append(buf, ']')
	}
	return append(buf, ']')
}

// boxWKB is the WKB polygon of a box, as the server passes it.
func boxWKB(b [4]float64) []byte {
	out := make([]byte, 0, 93)
	out = append(out, 1)
	out = binary.LittleEndian.AppendUint32(out, 3)
	out = binary.LittleEndian.AppendUint32(out, 1)
	out = binary.LittleEndian.AppendUint32(out, 5)
	for _, pt := range [][2]float64{{b[0], b[1]}, {b[2], b[1]}, {b[2], b[3]}, {b[0], b[3]}, {b[0], b[1]}} {
		out = binary.LittleEndian.AppendUint64(out, math.Float64bits(pt[0]))
		out = binary.LittleEndian.AppendUint64(out, math.Float64bits(pt[1]))
	}
	return out
}

// load runs conns goroutines, each running pages one after another for d,
// like loadTest does over HTTP.
func (l *queryLimit) load(ctx context.Context, conns int, d time.Duration, box func(i int) [4]float64) (loadResult, error) {
	return runLoad(ctx, conns, d, func() func(ctx context.Context, i int) error {
		var buf []byte
		return func(ctx context.Context, i int) error {
			var (
				n   int
				err error
			)
			buf, n, err = l.page(ctx, box(i), buf[:0])
			if err == nil && n == 0 {
				err = fmt.Errorf("query limit: no rows")
			}
			return err
		}
	})
}
