package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strings"
)

// machine describes where the benchmarks ran.
func machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "model name") {
				if i := strings.Index(line, ":"); i >= 0 {
					cpu = strings.TrimSpace(line[i+1:])
				}
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		fmt.Sscanf(strings.SplitN(string(b), "\n", 2)[0], "MemTotal: %d kB", &kb)
		mem = fmt.Sprintf(", %.0f GiB RAM", float64(kb)/(1<<20))
	}
	gdal := "?"
	if out, err := exec.Command("gdal-config", "--version").Output(); err == nil {
		gdal = strings.TrimSpace(string(out))
	}
	return fmt.Sprintf("%s, %d cores%s; %s; GDAL %s", cpu, runtime.NumCPU(), mem, runtime.Version(), gdal)
}

// growthNotes flags, within each family, a cost that grows faster than the
// scale: per-item time (or inverse throughput) rising by more than half
// from one scale to the next.
func growthNotes(rows []Measurement) map[int]string {
	notes := map[int]string{}
	fam := map[string][]int{}
	for i, m := range rows {
		if m.Family != "" && m.Scale > 0 {
			fam[m.Family] = append(fam[m.Family], i)
		}
	}
	for _, idx := range fam {
		sort.Slice(idx, func(a, b int) bool { return rows[idx[a]].Scale < rows[idx[b]].Scale })
		for k := 1; k < len(idx); k++ {
			prev, cur := rows[idx[k-1]], rows[idx[k]]
			pc, cc := perItem(prev), perItem(cur)
			if pc <= 0 || cc <= 0 {
				continue
			}
			growth := cc / pc
			unit := "per-item cost"
			if cur.HigherIsBetter {
				unit = "cost per request"
			}
			from, to := countLabel(prev.Scale), countLabel(cur.Scale)
			if growth > 1.5 {
				notes[idx[k]] = fmt.Sprintf("⚠ superlinear: %s ×%.1f from %s to %s", unit, growth, from, to)
			} else {
				notes[idx[k]] = fmt.Sprintf("%s ×%.2f from %s to %s", unit, growth, from, to)
			}
		}
	}
	return notes
}

// perItem is the cost of one unit of scale: time per item, or the inverse
// of a throughput. Throughput-at-scale (req/s on a bigger catalog) counts
// as the cost of one request, independent of scale.
func perItem(m Measurement) float64 {
	med := median(m.Ours)
	if med <= 0 {
		return 0
	}
	if m.HigherIsBetter {
		return 1 / med
	}
	return med / float64(m.Scale)
}
