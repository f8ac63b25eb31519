package mosaic

import (
	"regexp"
	"strings"
	"time"

	"github.com/paulmach/orb"
)

// FieldType is the type of a catalog field. Package server maps each to an
// esriFieldType* name.
type FieldType string

// Field types.
const (
	FieldOID      FieldType = "oid"
	FieldInteger  FieldType = "integer"
	FieldDouble   FieldType = "double"
	FieldString   FieldType = "string"
	FieldDate     FieldType = "date" // epoch milliseconds on the wire
	FieldGeometry FieldType = "geometry"
)

// Valid reports whether t is a known field type.
func (t FieldType) Valid() bool {
	switch t {
	case FieldOID, FieldInteger, FieldDouble, FieldString, FieldDate, FieldGeometry:
		return true
	}
	return false
}

// Field is one column of a collection's catalog.
type Field struct {
	Name   string
	Type   FieldType
	Alias  string
	Length int // for strings; 0 means unbounded
}

// Standard field names of a mosaic dataset's attribute table.
const (
	FieldNameOID         = "OBJECTID"
	FieldNameShape       = "Shape"
	FieldNameName        = "Name"
	FieldNameMinPS       = "MinPS"
	FieldNameMaxPS       = "MaxPS"
	FieldNameLowPS       = "LowPS"
	FieldNameHighPS      = "HighPS"
	FieldNameCategory    = "Category"
	FieldNameTag         = "Tag"
	FieldNameGroupName   = "GroupName"
	FieldNameProductName = "ProductName"
	FieldNameCenterX     = "CenterX"
	FieldNameCenterY     = "CenterY"
	FieldNameZOrder      = "ZOrder"
	FieldNameShapeLength = "Shape_Length"
	FieldNameShapeArea   = "Shape_Area"
	FieldNamePath        = "Path"

	FieldNameAcquisitionDate = "AcquisitionDate"
	FieldNameCloudCover      = "CloudCover"
	FieldNameSensorName      = "SensorName"
)

// CategoryPrimary is the Category of an ordinary raster item.
const CategoryPrimary = 1

// StandardFields returns the fields every collection has, in catalog order:
// the mosaic dataset attribute table, the source path, and the common
// metadata fields that raster types fill.
func StandardFields() []Field {
	return []Field{
		{Name: FieldNameOID, Type: FieldOID},
		{Name: FieldNameShape, Type: FieldGeometry},
		{Name: FieldNameName, Type: FieldString, Length: 200},
		{Name: FieldNameMinPS, Type: FieldDouble},
		{Name: FieldNameMaxPS, Type: FieldDouble},
		{Name: FieldNameLowPS, Type: FieldDouble},
		{Name: FieldNameHighPS, Type: FieldDouble},
		{Name: FieldNameCategory, Type: FieldInteger},
		{Name: FieldNameTag, Type: FieldString, Length: 100},
		{Name: FieldNameGroupName, Type: FieldString, Length: 100},
		{Name: FieldNameProductName, Type: FieldString, Length: 100},
		{Name: FieldNameCenterX, Type: FieldDouble},
		{Name: FieldNameCenterY, Type: FieldDouble},
		{Name: FieldNameZOrder, Type: FieldInteger},
		{Name: FieldNameShapeLength, Type: FieldDouble},
		{Name: FieldNameShapeArea, Type: FieldDouble},
		{Name: FieldNamePath, Type: FieldString, Length: 1024},
		{Name: FieldNameAcquisitionDate, Type: FieldDate},
		{Name: FieldNameCloudCover, Type: FieldDouble},
		{Name: FieldNameSensorName, Type: FieldString, Length: 100},
	}
}

// IsStandardField reports whether name (case-insensitively) is one of
// StandardFields.
func IsStandardField(name string) bool {
	for _, f := range StandardFields() {
		if strings.EqualFold(f.Name, name) {
			return true
		}
	}
	return false
}

var (
	nameRE  = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,63}$`)
	fieldRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,63}$`)
)

// ValidateCollectionName returns EINVALID unless name can name a collection
// and its ImageServer: a letter, then up to 63 letters, digits or underscores.
func ValidateCollectionName(name string) error {
	if !nameRE.MatchString(name) {
		return Errorf(EINVALID, "Invalid image collection name %q.", name).WithDetails(
			"A name starts with a letter and has at most 64 letters, digits or underscores.")
	}
	return nil
}

// ValidateField returns EINVALID unless f has a valid name and type.
func ValidateField(f Field) error {
	if !fieldRE.MatchString(f.Name) {
		return Errorf(EINVALID, "Invalid field name %q.", f.Name).WithDetails(
			"A field name starts with a letter and has at most 64 letters, digits or underscores.")
	}
	if !f.Type.Valid() || f.Type == FieldOID || f.Type == FieldGeometry {
		return Errorf(EINVALID, "Invalid type %q for field %q.", f.Type, f.Name)
	}
	return nil
}

// SpatialRef identifies a spatial reference by EPSG/Esri well-known ID, by
// WKT, or both. A zero WKID means the WKT is authoritative.
type SpatialRef struct {
	WKID int
	WKT  string
}

// IsZero reports whether sr is unset.
func (sr SpatialRef) IsZero() bool { return sr.WKID == 0 && sr.WKT == "" }

// Equal reports whether sr and o name the same reference by WKID, or by
// identical WKT when neither has one. 102100 and 3857 are equal.
func (sr SpatialRef) Equal(o SpatialRef) bool {
	a, b := NormalizeWKID(sr.WKID), NormalizeWKID(o.WKID)
	if a != 0 || b != 0 {
		return a == b
	}
	return sr.WKT == o.WKT
}

// NormalizeWKID maps Esri's deprecated IDs to their EPSG equivalents.
func NormalizeWKID(wkid int) int {
	switch wkid {
	case 102100, 102113, 900913:
		return 3857
	}
	return wkid
}

// Summary describes a collection's live items as the ImageServer reports
// them. Stores keep it current in the same transaction as every change.
type Summary struct {
	Count     int64
	Extent    orb.Bound // meaningful only when Count > 0
	MinCellX  float64   // smallest LowPS in X (pixelSizeX)
	MinCellY  float64
	MaxCell   float64 // largest HighPS
	BandCount int
	PixelType string // Esri pixel type of the first item, e.g. "U8"
}

// Collection is an image collection: a mosaic dataset and its ImageServer.
type Collection struct {
	ID        int64
	Name      string
	ItemID    string // portal-style item ID: 32 lowercase hex digits
	SRS       SpatialRef
	Fields    []Field
	Summary   Summary
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Field returns the collection's field named name, case-insensitively.
func (c *Collection) Field(name string) (Field, bool) {
	for _, f := range c.Fields {
		if strings.EqualFold(f.Name, name) {
			return f, true
		}
	}
	return Field{}, false
}

// CollectionRef names a collection in one of the forms clients send. Exactly
// one field is set.
type CollectionRef struct {
	Name   string
	ItemID string
}

// String returns the name or item ID that r carries.
func (r CollectionRef) String() string {
	if r.ItemID != "" {
		return "itemId " + r.ItemID
	}
	return r.Name
}
