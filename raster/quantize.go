package raster

import "sort"

// quantize maps one or three byte planes to a palette of at most 256
// colours by median cut over a 5-bit-per-channel histogram. With
// transparent, index 0 is a fully transparent entry used where alpha is 0,
// and at most 255 colours are used for the rest.
func quantize(chans [][]byte, alpha []byte, transparent bool) ([]byte, [][4]int16) {
	n := len(alpha)
	rgb := func(i int) (uint8, uint8, uint8) {
		if len(chans) >= 3 {
			return chans[0][i], chans[1][i], chans[2][i]
		}
		return chans[0][i], chans[0][i], chans[0][i]
	}
	const bins = 1 << 15
	binOf := func(r, g, b uint8) int { return int(r>>3)<<10 | int(g>>3)<<5 | int(b>>3) }
	var count [bins]int
	var sum [bins][3]int
	for i := range n {
		if transparent && alpha[i] == 0 {
			continue
		}
		r, g, b := rgb(i)
		k := binOf(r, g, b)
		count[k]++
		sum[k][0] += int(r)
		sum[k][1] += int(g)
		sum[k][2] += int(b)
	}
	var used []int
	for k := range count {
		if count[k] > 0 {
			used = append(used, k)
		}
	}

	maxColors := 256
	offset := 0
	if transparent {
		maxColors, offset = 255, 1
	}
	boxes := [][]int{used}
	if len(used) == 0 {
		boxes = nil
	}
	comp := func(k, c int) int { return (k >> (10 - 5*c)) & 31 }
	for len(boxes) < maxColors {
		// split the box holding the most pixels that can still be split
		best, bestCount := -1, 0
		for i, bx := range boxes {
			if len(bx) < 2 {
				continue
			}
			c := 0
			for _, k := range bx {
				c += count[k]
			}
			if c > bestCount {
				best, bestCount = i, c
			}
		}
		if best < 0 {
			break
		}
		bx := boxes[best]
		axis, span := 0, -1
		for c := range 3 {
			lo, hi := 31, 0
			for _, k := range bx {
				lo, hi = min(lo, comp(k, c)), max(hi, comp(k, c))
			}
			if hi-lo > span {
				axis, span = c, hi-lo
			}
		}
		sort.Slice(bx, func(i, j int) bool {
			a, b := comp(bx[i], axis), comp(bx[j], axis)
			if a != b {
				return a < b
			}
			return bx[i] < bx[j]
		})
		half, acc, cut := bestCount/2, 0, 1
		for i, k := range bx {
			acc += count[k]
			if acc >= half {
				cut = min(max(i+1, 1), len(bx)-1)
				break
			}
		}
		boxes[best] = bx[:cut:cut]
		boxes = append(boxes, bx[cut:])
	}

	var lut [bins]uint8
	palette := make([][4]int16, 0, 256)
	if transparent {
		palette = append(palette, [4]int16{0, 0, 0, 0})
	}
	for i, bx := range boxes {
		var c int
		var s [3]int
		for _, k := range bx {
			c += count[k]
			s[0], s[1], s[2] = s[0]+sum[k][0], s[1]+sum[k][1], s[2]+sum[k][2]
			lut[k] = uint8(i + offset)
		}
		palette = append(palette, [4]int16{int16(s[0] / c), int16(s[1] / c), int16(s[2] / c), 255})
	}
	if len(palette) == 0 {
		palette = append(palette, [4]int16{0, 0, 0, 255})
	}

	idx := make([]byte, n)
	for i := range n {
		if transparent && alpha[i] == 0 {
			continue // index 0
		}
		r, g, b := rgb(i)
		idx[i] = lut[binOf(r, g, b)]
	}
	return idx, palette
}
