package raster_test

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/tessera-gis/tessera/raster"
	"github.com/tessera-gis/tessera/raster/rastertest"
)

// opensWatch reports every open of a file in the watched folders or of
// the watched files (inotify IN_OPEN on the inode: a hard link or a
// symbolic link to it counts too).
type opensWatch struct {
	fd    int
	paths map[int]string
}

func watchOpens(t *testing.T, paths ...string) *opensWatch {
	t.Helper()
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		t.Skipf("inotify: %v", err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	w := &opensWatch{fd: fd, paths: map[int]string{}}
	for _, p := range paths {
		wd, err := unix.InotifyAddWatch(fd, p, unix.IN_OPEN)
		if err != nil {
			t.Fatal(err)
		}
		w.paths[wd] = p
	}
	return w
}

// opened drains the events so far and returns what was opened.
func (w *opensWatch) opened() []string {
	var out []string
	buf := make([]byte, 64<<10)
	for {
		n, err := unix.Read(w.fd, buf)
		if n <= 0 || err != nil {
			return out
		}
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			wd := int(int32(uint32(buf[off]) | uint32(buf[off+1])<<8 | uint32(buf[off+2])<<16 | uint32(buf[off+3])<<24))
			l := int(uint32(buf[off+12]) | uint32(buf[off+13])<<8 | uint32(buf[off+14])<<16 | uint32(buf[off+15])<<24)
			name := string(buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+l])
			for i := 0; i < len(name); i++ {
				if name[i] == 0 {
					name = name[:i]
					break
				}
			}
			out = append(out, filepath.Join(w.paths[wd], name))
			off += unix.SizeofInotifyEvent + l
		}
	}
}

func listingOf(t *testing.T, dir string, extra ...string) *raster.Listing {
	t.Helper()
	l := raster.NewListing(dir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		l.Add(e.Name())
	}
	for _, n := range extra {
		l.Add(n)
	}
	return l
}

// TestGateListedSidecarAttacks: sidecars that a listing names and that
// lead out of the stores (links to outside files, to the server's own
// files, links made or swapped after the listing, folders named like
// sidecars, rasters that are links, listings of another folder) are
// never opened, with or without the listing.
func TestGateListedSidecarAttacks(t *testing.T) {
	worldOut := "1\n0\n0\n-1\n77777\n88888\n"
	cases := []struct {
		name  string
		setup func(t *testing.T, f *gateFixture) (raster string, l *raster.Listing)
	}{
		{"links out named as every sidecar", func(t *testing.T, f *gateFixture) (string, *raster.Listing) {
			r := rastertest.GeoTIFF(t, filepath.Join(f.store, "w.tif"), rastertest.Size(20, 10), rastertest.NoSRS(), rastertest.NoGeoTransform())
			ovr := rastertest.GeoTIFF(t, filepath.Join(f.outside, "ovr.tif"), rastertest.Size(10, 5), rastertest.NoSRS(), rastertest.NoGeoTransform())
			wf := write(t, filepath.Join(f.outside, "world.txt"), worldOut)
			for n, target := range map[string]string{"w.tif.ovr": ovr, "w.tif.msk": ovr, "w.tfw": wf, "w.tifw": wf, "w.wld": wf} {
				if err := os.Symlink(target, filepath.Join(f.store, n)); err != nil {
					t.Fatal(err)
				}
			}
			return r, listingOf(t, f.store)
		}},
		{"links to the server's own files", func(t *testing.T, f *gateFixture) (string, *raster.Listing) {
			r := rastertest.GeoTIFF(t, filepath.Join(f.store, "w.tif"), rastertest.Size(20, 10), rastertest.NoSRS(), rastertest.NoGeoTransform())
			for n, target := range map[string]string{"w.tif.ovr": f.db, "w.tif.msk": f.secret, "w.tfw": f.users, "w.wld": f.users} {
				if err := os.Symlink(target, filepath.Join(f.store, n)); err != nil {
					t.Fatal(err)
				}
			}
			return r, listingOf(t, f.store)
		}},
		{"in-store sidecars swapped for links after the listing", func(t *testing.T, f *gateFixture) (string, *raster.Listing) {
			r := rastertest.GeoTIFF(t, filepath.Join(f.store, "w.tif"), rastertest.Size(20, 10), rastertest.NoSRS(), rastertest.NoGeoTransform())
			write(t, filepath.Join(f.store, "w.tfw"), "2\n0\n0\n-2\n1001\n2999\n")
			rastertest.GeoTIFF(t, filepath.Join(f.store, "w.tif.ovr"), rastertest.Size(10, 5), rastertest.NoSRS(), rastertest.NoGeoTransform())
			l := listingOf(t, f.store)
			wf := write(t, filepath.Join(f.outside, "world.txt"), worldOut)
			ovr := rastertest.GeoTIFF(t, filepath.Join(f.outside, "ovr.tif"), rastertest.Size(10, 5), rastertest.NoSRS(), rastertest.NoGeoTransform())
			for n, target := range map[string]string{"w.tif.ovr": ovr, "w.tfw": wf} {
				p := filepath.Join(f.store, n)
				if err := os.Remove(p); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(target, p); err != nil {
					t.Fatal(err)
				}
			}
			return r, l
		}},
		{"folders named like sidecars holding links out", func(t *testing.T, f *gateFixture) (string, *raster.Listing) {
			r := rastertest.GeoTIFF(t, filepath.Join(f.store, "w.tif"), rastertest.Size(20, 10), rastertest.NoSRS(), rastertest.NoGeoTransform())
			wf := write(t, filepath.Join(f.outside, "world.txt"), worldOut)
			for _, n := range []string{"w.tif.ovr", "w.tfw", "w.wld", "w.tif.msk"} {
				d := filepath.Join(f.store, n)
				if err := os.Mkdir(d, 0o755); err != nil {
					t.Fatal(err)
				}
				for _, in := range []string{"hdr.adf", "w.tfw", "w.tif.ovr"} {
					if err := os.Symlink(wf, filepath.Join(d, in)); err != nil {
						t.Fatal(err)
					}
				}
			}
			return r, listingOf(t, f.store)
		}},
		{"a raster that links to another in-store folder, listed where the link is", func(t *testing.T, f *gateFixture) (string, *raster.Listing) {
			sub := filepath.Join(f.store, "sub")
			if err := os.Mkdir(sub, 0o755); err != nil {
				t.Fatal(err)
			}
			r := rastertest.GeoTIFF(t, filepath.Join(sub, "w.tif"), rastertest.Size(20, 10), rastertest.NoSRS(), rastertest.NoGeoTransform())
			wf := write(t, filepath.Join(f.outside, "world.txt"), worldOut)
			if err := os.Symlink(wf, filepath.Join(sub, "w.tfw")); err != nil {
				t.Fatal(err)
			}
			link := filepath.Join(f.store, "w.tif")
			if err := os.Symlink(r, link); err != nil {
				t.Fatal(err)
			}
			return link, listingOf(t, f.store, "w.tfw", "w.tif.ovr")
		}},
		{"a listing of the outside folder for an in-store raster", func(t *testing.T, f *gateFixture) (string, *raster.Listing) {
			r := rastertest.GeoTIFF(t, filepath.Join(f.store, "w.tif"), rastertest.Size(20, 10), rastertest.NoSRS(), rastertest.NoGeoTransform())
			write(t, filepath.Join(f.outside, "w.tfw"), worldOut)
			return r, listingOf(t, f.outside)
		}},
		{"the folder reached through a link, listed by its link name", func(t *testing.T, f *gateFixture) (string, *raster.Listing) {
			sub := filepath.Join(f.store, "sub")
			if err := os.Mkdir(sub, 0o755); err != nil {
				t.Fatal(err)
			}
			rastertest.GeoTIFF(t, filepath.Join(sub, "w.tif"), rastertest.Size(20, 10), rastertest.NoSRS(), rastertest.NoGeoTransform())
			wf := write(t, filepath.Join(f.outside, "world.txt"), worldOut)
			if err := os.Symlink(wf, filepath.Join(sub, "w.tfw")); err != nil {
				t.Fatal(err)
			}
			link := filepath.Join(f.store, "lnk")
			if err := os.Symlink(sub, link); err != nil {
				t.Fatal(err)
			}
			return filepath.Join(link, "w.tif"), listingOf(t, link)
		}},
		{"odd names", func(t *testing.T, f *gateFixture) (string, *raster.Listing) {
			r := rastertest.GeoTIFF(t, filepath.Join(f.store, "a b\n*?[.tif"), rastertest.Size(20, 10), rastertest.NoSRS(), rastertest.NoGeoTransform())
			wf := write(t, filepath.Join(f.outside, "world.txt"), worldOut)
			for _, n := range []string{"a b\n*?[.tfw", "a b\n*?[.tif.ovr", "a b\n*?[.wld"} {
				if err := os.Symlink(wf, filepath.Join(f.store, n)); err != nil {
					t.Fatal(err)
				}
			}
			return r, listingOf(t, f.store)
		}},
	}
	for _, c := range cases {
		for _, listed := range []bool{true, false} {
			t.Run(c.name, func(t *testing.T) {
				f := newGateFixture(t)
				r, l := c.setup(t, f)
				w := watchOpens(t, f.outside, f.data, f.users)
				var opts []raster.InspectOption
				opts = append(opts, raster.AllowNoSRS())
				if listed {
					opts = append(opts, raster.Listed(l))
				}
				info, err := raster.Inspect(f.ctx, r, opts...)
				if got := w.opened(); len(got) > 0 {
					t.Fatalf("listed %v: opened %q", listed, got)
				}
				if err == nil && (info.GeoTransform[3] == 88888 || info.Overviews != 0) {
					t.Fatalf("listed %v: %+v", listed, info)
				}
			})
		}
	}
}
