package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// WriteSoak writes dir/soak.csv and dir/soak.svg.
func WriteSoak(dir string, samples []Sample, o Options) error {
	var csv strings.Builder
	csv.WriteString("seconds,rss_bytes,fds,goroutines,heap_inuse_bytes,wal_bytes,db_bytes,ops_in_interval,rss_anon_bytes,c_heap_inuse_bytes,c_heap_free_bytes,gdal_cache_bytes,threads\n")
	for _, s := range samples {
		fmt.Fprintf(&csv, "%.0f,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d\n", s.T.Seconds(), s.RSS, s.FDs, s.Goroutines, s.Heap, s.WAL, s.DB, s.Ops,
			s.RSSAnon, s.CHeap, s.CHeapFree, s.GDALCache, s.Threads)
	}
	if err := os.WriteFile(filepath.Join(dir, "soak.csv"), []byte(csv.String()), 0o644); err != nil {
		return err
	}
	title := fmt.Sprintf("tessera soak: %d clients, %s, %d-item catalog", o.Clients, o.Duration, o.Items)
	return os.WriteFile(filepath.Join(dir, "soak.svg"), []byte(SoakSVG(title, samples)), 0o644)
}

type series struct {
	name, unit string
	v          func(Sample) float64
}

var soakSeries = []series{
	{"RSS", "MiB", func(s Sample) float64 { return float64(s.RSS) / (1 << 20) }},
	{"Go heap in use", "MiB", func(s Sample) float64 { return float64(s.Heap) / (1 << 20) }},
	{"C heap in use (GDAL, PROJ, SQLite)", "MiB", func(s Sample) float64 { return float64(s.CHeap) / (1 << 20) }},
	{"C heap free, kept by glibc", "MiB", func(s Sample) float64 { return float64(s.CHeapFree) / (1 << 20) }},
	{"GDAL block cache", "MiB", func(s Sample) float64 { return float64(s.GDALCache) / (1 << 20) }},
	{"OS threads", "", func(s Sample) float64 { return float64(s.Threads) }},
	{"open file descriptors", "", func(s Sample) float64 { return float64(s.FDs) }},
	{"goroutines", "", func(s Sample) float64 { return float64(s.Goroutines) }},
	{"WAL size", "MiB", func(s Sample) float64 { return float64(s.WAL) / (1 << 20) }},
	{"operations per interval", "", func(s Sample) float64 { return float64(s.Ops) }},
}

// SoakSVG draws one small line chart per series, stacked, with a shared
// time axis in minutes. Hand-written SVG: no dependency.
func SoakSVG(title string, samples []Sample) string {
	const w, ph, left, right, top, gap = 760, 110, 70, 20, 40, 40
	h := top + len(soakSeries)*(ph+gap)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`+"\n", w, h, w, h)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", w, h)
	fmt.Fprintf(&b, `<text x="%d" y="22" font-size="14" font-weight="bold">%s</text>`+"\n", left, esc(title))
	tmax := 1.0
	if len(samples) > 0 {
		tmax = max(samples[len(samples)-1].T.Minutes(), 1e-9)
	}
	pw := float64(w - left - right)
	for i, se := range soakSeries {
		y0 := float64(top + i*(ph+gap) + 15)
		vmax := 0.0
		for _, s := range samples {
			vmax = max(vmax, se.v(s))
		}
		vmax = niceMax(vmax)
		label := se.name
		if se.unit != "" {
			label += " (" + se.unit + ")"
		}
		fmt.Fprintf(&b, `<text x="%d" y="%.0f" font-weight="bold">%s</text>`+"\n", left, y0-4, esc(label))
		fmt.Fprintf(&b, `<rect x="%d" y="%.0f" width="%.0f" height="%d" fill="none" stroke="#999"/>`+"\n", left, y0, pw, ph)
		for _, f := range []float64{0, 0.5, 1} {
			y := y0 + float64(ph)*(1-f)
			fmt.Fprintf(&b, `<text x="%d" y="%.0f" text-anchor="end">%s</text>`+"\n", left-5, y+4, fmtVal(vmax*f))
			if f == 0.5 {
				fmt.Fprintf(&b, `<line x1="%d" y1="%.0f" x2="%.0f" y2="%.0f" stroke="#ddd"/>`+"\n", left, y, float64(left)+pw, y)
			}
		}
		for _, f := range []float64{0, 0.25, 0.5, 0.75, 1} {
			x := float64(left) + pw*f
			fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" text-anchor="middle">%s min</text>`+"\n", x, y0+float64(ph)+14, fmtVal(tmax*f))
		}
		var pts []string
		for _, s := range samples {
			x := float64(left) + pw*s.T.Minutes()/tmax
			y := y0 + float64(ph)*(1-se.v(s)/vmax)
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="#1f6fb4" stroke-width="1.5" points="%s"/>`+"\n", strings.Join(pts, " "))
	}
	b.WriteString("</svg>\n")
	return b.String()
}

func esc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func niceMax(v float64) float64 {
	if v <= 0 {
		return 1
	}
	m := 1.0
	for m*10 <= v {
		m *= 10
	}
	for m > v*1.0001 {
		m /= 10
	}
	for _, k := range []float64{1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10} {
		if m*k >= v {
			return m * k
		}
	}
	return v
}

func fmtVal(v float64) string {
	if v == float64(int64(v)) {
		return fmt.Sprint(int64(v))
	}
	return fmt.Sprintf("%.1f", v)
}

// SoakSummary describes the first and last thirds of each series, so that
// growth shows in numbers.
func SoakSummary(samples []Sample) string {
	if len(samples) < 3 {
		return "  too few samples\n"
	}
	var b strings.Builder
	n := len(samples) / 3
	// Skip the first sample (before the load warmed up).
	first, last := samples[1:max(n, 2)], samples[len(samples)-n:]
	for _, se := range soakSeries {
		avg := func(ss []Sample) float64 {
			t := 0.0
			for _, s := range ss {
				t += se.v(s)
			}
			return t / float64(len(ss))
		}
		lo, hi := se.v(samples[0]), se.v(samples[0])
		for _, s := range samples {
			lo, hi = min(lo, se.v(s)), max(hi, se.v(s))
		}
		fmt.Fprintf(&b, "  %-36s first third avg %8.1f, last third avg %8.1f, min %8.1f, max %8.1f %s\n", se.name, avg(first), avg(last), lo, hi, se.unit)
	}
	return b.String()
}
