package raster

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"sync/atomic"
	"testing"
)

// TestPinAddr: a store named by host name may resolve only to public
// addresses; loopback, private, link-local, metadata and NAT64 answers
// are refused unless the store names the address (or localhost) itself.
func TestPinAddr(t *testing.T) {
	old := lookupHost
	t.Cleanup(func() { lookupHost = old })
	cases := []struct {
		host    string
		answers []string
		want    string // "" refused
	}{
		{"tiles.example.com", []string{"93.184.216.34"}, "93.184.216.34:80"},
		{"tiles.example.com", []string{"127.0.0.1"}, ""},
		{"tiles.example.com", []string{"10.1.2.3", "192.168.0.1", "172.16.0.1"}, ""},
		{"tiles.example.com", []string{"169.254.169.254"}, ""},
		{"tiles.example.com", []string{"::1", "fe80::1", "fd00::1", "::ffff:127.0.0.1"}, ""},
		{"tiles.example.com", []string{"64:ff9b::a9fe:a9fe", "100.64.0.1", "0.0.0.0"}, ""},
		{"tiles.example.com", []string{"127.0.0.1", "93.184.216.34"}, "93.184.216.34:80"},
		{"localhost", []string{"127.0.0.1"}, "127.0.0.1:80"},
		{"localhost", []string{"10.0.0.1"}, ""},
		{"10.0.0.7", nil, "10.0.0.7:80"},
	}
	for _, tc := range cases {
		lookupHost = func(context.Context, string) ([]netip.Addr, error) {
			var out []netip.Addr
			for _, a := range tc.answers {
				out = append(out, netip.MustParseAddr(a))
			}
			return out, nil
		}
		st, err := parseStoreURL("http://" + tc.host + "/")
		if err != nil {
			t.Fatal(err)
		}
		got, err := pinAddr(context.Background(), st)
		if tc.want == "" {
			if err == nil {
				t.Errorf("%s → %v: pinned %v, want refused", tc.host, tc.answers, got)
			}
			continue
		}
		if err != nil || got.String() != tc.want {
			t.Errorf("%s → %v: %v, %v; want %s", tc.host, tc.answers, got, err, tc.want)
		}
	}
}

// TestProxyPinsDNS: the proxy resolves a host once per request and
// connects to the address it checked; a second, different answer (DNS
// rebinding) is never used.
func TestProxyPinsDNS(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })) //nolint:errcheck // test
	defer up.Close()
	u, _ := url.Parse(up.URL)
	old := lookupHost
	t.Cleanup(func() { lookupHost = old })
	var calls atomic.Int32
	lookupHost = func(context.Context, string) ([]netip.Addr, error) {
		if calls.Add(1) == 1 {
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		}
		return []netip.Addr{netip.MustParseAddr("10.255.255.1")}, nil
	}
	if _, err := NewStores([]string{"http://localhost:" + u.Port() + "/"}, nil, nil); err != nil {
		t.Fatal(err)
	}
	proxy := httptest.NewServer(http.HandlerFunc(proxyHandler))
	defer proxy.Close()
	pu, _ := url.Parse(proxy.URL)
	c := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(pu)}}
	resp, err := c.Get("http://localhost:" + u.Port() + "/a.tif")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || calls.Load() != 1 {
		t.Fatalf("status %d after %d lookups, want 200 after 1", resp.StatusCode, calls.Load())
	}
	// Unregistered hosts and ports are refused with a bare 403.
	for _, target := range []string{"http://localhost:1/a.tif", "http://127.0.0.1:" + u.Port() + "/a.tif", "http://169.254.169.254/latest/"} {
		resp, err := c.Get(target)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403", target, resp.StatusCode)
		}
	}
}
