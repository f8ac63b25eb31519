package raster

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"
)

// GDAL's HTTP requests all go through an in-process forward proxy on
// loopback (GDAL_HTTP_PROXY and GDAL_HTTPS_PROXY point at it). For each
// request, redirects included (curl follows them through the proxy too),
// the proxy:
//
//   - allows only registered URL prefixes: the whole URL for http, the
//     host and port of the CONNECT for https;
//   - resolves the host once, refuses loopback, private, link-local and
//     other non-public addresses unless the store names the host as an IP
//     address or "localhost", and connects to the very address it
//     checked, so that a DNS answer cannot change between check and use.
//
// Refusals are a bare 403 whatever the reason, so GDAL's errors tell
// nothing about hosts and ports that are not registered.

// lookupHost resolves a host name; tests replace it.
var lookupHost = func(ctx context.Context, host string) ([]netip.Addr, error) {
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}

// proxyDialTimeout bounds the proxy's connection attempts.
const proxyDialTimeout = 10 * time.Second

// nonPublic are address ranges refused unless a store names them.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("2002::/16"),
}

// isPublic reports whether a is a public unicast address.
func isPublic(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

var errRefused = errors.New("refused")

// pinAddr resolves a store host once and returns the address to connect
// to.
func pinAddr(ctx context.Context, st urlStore) (netip.AddrPort, error) {
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(st.host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		if addrs, err = lookupHost(ctx, st.host); err != nil {
			return netip.AddrPort{}, errRefused
		}
	}
	port, err := netip.ParseAddrPort("0.0.0.0:" + st.port)
	if err != nil {
		return netip.AddrPort{}, errRefused
	}
	for _, a := range addrs {
		a = a.Unmap()
		switch {
		case isPublic(a):
		case st.explicit && st.host == "localhost" && a.IsLoopback():
		case st.explicit && st.host != "localhost":
		default:
			continue
		}
		return netip.AddrPortFrom(a, port.Port()), nil
	}
	return netip.AddrPort{}, errRefused
}

// networkMatch finds the registered store for a request: the whole URL
// for http, scheme, host and port for a CONNECT (https).
func networkMatch(u *url.URL, connect bool) (urlStore, bool) {
	var got urlStore
	if connect {
		host, port, err := net.SplitHostPort(u.Host)
		if err != nil {
			return got, false
		}
		got = urlStore{scheme: "https", host: strings.ToLower(strings.Trim(host, "[]")), port: port}
	} else {
		var err error
		if got, err = splitURL(u); err != nil || got.scheme != "http" {
			return got, false
		}
	}
	network.RLock()
	defer network.RUnlock()
	for _, st := range network.urls {
		if st.scheme == got.scheme && st.host == got.host && st.port == got.port && (connect || strings.HasPrefix(got.path, st.path)) {
			return st, true
		}
	}
	return got, false
}

type pinKey struct{}

// proxyTransport forwards plain-http requests to the pinned address.
var proxyTransport = &http.Transport{
	Proxy: nil,
	DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		ap, ok := ctx.Value(pinKey{}).(netip.AddrPort)
		if !ok {
			return nil, errRefused
		}
		d := net.Dialer{Timeout: proxyDialTimeout}
		return d.DialContext(ctx, "tcp", ap.String())
	},
	MaxIdleConnsPerHost:   8,
	IdleConnTimeout:       30 * time.Second,
	ResponseHeaderTimeout: 60 * time.Second,
	DisableCompression:    true,
}

// hopHeaders are not forwarded.
var hopHeaders = []string{"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

// proxyHandler is the forward proxy.
func proxyHandler(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodConnect {
		proxyConnect(w, r)
		return
	}
	if !r.URL.IsAbs() {
		http.Error(w, "refused", http.StatusForbidden)
		return
	}
	st, ok := networkMatch(r.URL, false)
	if !ok {
		http.Error(w, "refused", http.StatusForbidden)
		return
	}
	ap, err := pinAddr(r.Context(), st)
	if err != nil {
		http.Error(w, "refused", http.StatusForbidden)
		return
	}
	out := r.Clone(context.WithValue(r.Context(), pinKey{}, ap))
	out.RequestURI = ""
	for _, h := range hopHeaders {
		out.Header.Del(h)
	}
	resp, err := proxyTransport.RoundTrip(out)
	if err != nil {
		http.Error(w, "upstream error", http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for _, h := range hopHeaders {
		resp.Header.Del(h)
	}
	for k, vs := range resp.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body) //nolint:errcheck // the client sees a short body
}

// proxyConnect tunnels an https connection to a registered host.
func proxyConnect(w http.ResponseWriter, r *http.Request) {
	st, ok := networkMatch(&url.URL{Host: r.Host}, true)
	if !ok {
		http.Error(w, "refused", http.StatusForbidden)
		return
	}
	ap, err := pinAddr(r.Context(), st)
	if err != nil {
		http.Error(w, "refused", http.StatusForbidden)
		return
	}
	d := net.Dialer{Timeout: proxyDialTimeout}
	up, err := d.DialContext(r.Context(), "tcp", ap.String())
	if err != nil {
		http.Error(w, "upstream error", http.StatusBadGateway)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		up.Close()
		http.Error(w, "refused", http.StatusInternalServerError)
		return
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		up.Close()
		return
	}
	if _, err := conn.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n")); err != nil {
		conn.Close()
		up.Close()
		return
	}
	var once sync.Once
	done := func() { once.Do(func() { conn.Close(); up.Close() }) }
	go func() {
		defer done()
		if n := buf.Reader.Buffered(); n > 0 {
			b, _ := buf.Reader.Peek(n)
			if _, err := up.Write(b); err != nil {
				return
			}
		}
		io.Copy(up, conn) //nolint:errcheck // closes both ends
	}()
	go func() {
		defer done()
		io.Copy(conn, up) //nolint:errcheck // closes both ends
	}()
}

// startProxy starts the proxy and returns its address; on failure it
// returns a closed loopback port, so that GDAL reaches nothing.
func startProxy() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "127.0.0.1:9"
	}
	srv := &http.Server{Handler: http.HandlerFunc(proxyHandler), ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: nil}
	go srv.Serve(ln) //nolint:errcheck // lives as long as the process
	return ln.Addr().String()
}
