package raster_test

import (
	"fmt"
	"log"
	"os"

	"github.com/paulmach/orb"
	"github.com/tessera-gis/tessera/raster"
)

func ExampleParseSRS() {
	for _, s := range []string{"EPSG:32633", "4326", "102100"} {
		srs, err := raster.ParseSRS(s)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(s, "→", srs)
	}
	// Output:
	// EPSG:32633 → EPSG:32633
	// 4326 → EPSG:4326
	// 102100 → EPSG:3857
}

func ExampleInspect() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	tiles, err := raster.WriteDemo(dir, 24)
	if err != nil {
		log.Fatal(err)
	}

	info, err := raster.Inspect(storeCtx, tiles[0].Path)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(info.Driver, info.Width, info.Height, info.Bands, info.PixelType, info.SRS)
	fmt.Println(info.CellSizeX, info.Bounds.Min, info.Bounds.Max)
	fmt.Println(info.Metadata["SENSORNAME"], info.Metadata["PRODUCTNAME"])
	// Output:
	// GTiff 256 256 3 U8 EPSG:32633
	// 10 [600000 5.35744e+06] [602560 5.36e+06]
	// Sentinel-2A L2A
}

func ExampleTransform() {
	utm, _ := raster.SRSFromEPSG(32633)
	wgs84, _ := raster.SRSFromEPSG(4326)
	g, err := raster.Transform(orb.Point{500000, 5000000}, utm, wgs84)
	if err != nil {
		log.Fatal(err)
	}
	p := g.(orb.Point)
	fmt.Printf("lon %.6f lat %.6f\n", p[0], p[1])

	fp := orb.Bound{Min: orb.Point{500000, 5000000}, Max: orb.Point{510000, 5010000}}
	g, err = raster.Transform(fp, utm, wgs84)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(g.(orb.Polygon)[0]), "vertices")
	// Output:
	// lon 15.000000 lat 45.153477
	// 81 vertices
}

func ExampleRender() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	tiles, err := raster.WriteDemo(dir, 24)
	if err != nil {
		log.Fatal(err)
	}
	var sources []string
	area := tiles[0].Bounds
	for _, t := range tiles {
		sources = append(sources, t.Path)
		area = area.Union(t.Bounds)
	}
	srs, _ := raster.SRSFromEPSG(32633)

	img, err := raster.Render(storeCtx, raster.RenderRequest{
		Sources: sources, Bound: area, SRS: srs, Width: 600, Height: 400, Format: "jpgpng",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(img.ContentType, img.Extension)
	// Output:
	// image/jpeg jpg
}

func ExampleIdentify() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	tiles, err := raster.WriteDemo(dir, 24)
	if err != nil {
		log.Fatal(err)
	}
	utm, _ := raster.SRSFromEPSG(32633)
	res, err := raster.Identify(storeCtx, raster.IdentifyRequest{
		Sources:  []string{tiles[0].Path, tiles[1].Path},
		Geometry: orb.Point{600005, 5359995}, // the top left pixel of the first tile
		SRS:      utm,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("bands:", len(res.Values), "seen:", res.Source)
	for i, it := range res.Items {
		fmt.Println(i, it.Values != nil, it.Visibility)
	}
	// Output:
	// bands: 3 seen: 0
	// 0 true 1
	// 1 false 0
}
