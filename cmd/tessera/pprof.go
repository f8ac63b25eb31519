package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"time"
)

// pprofEnv names the environment variable that, when set to a loopback
// address (127.0.0.1:6060), serves Go's profiler there: the query
// benchmark uses it to profile the server under load. It is not a serve
// flag on purpose: it is for developers, it has no authentication, and it
// refuses any address that is not loopback.
const pprofEnv = "TESSERA_PPROF_ADDR"

// startPprof serves net/http/pprof on the loopback address in
// TESSERA_PPROF_ADDR, if set.
func startPprof(log *slog.Logger) error {
	addr := os.Getenv(pprofEnv)
	if addr == "" {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil || !isLoopback(host) {
		return fmt.Errorf("%s=%q: want a loopback address such as 127.0.0.1:6060", pprofEnv, addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("%s: %w", pprofEnv, err)
	}
	if h, _, _ := net.SplitHostPort(ln.Addr().String()); !isLoopback(h) {
		ln.Close()
		return fmt.Errorf("%s: %s is not a loopback address", pprofEnv, ln.Addr())
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	log.Warn("profiler serving (developers only)", "pprof_url", "http://"+ln.Addr().String()+"/debug/pprof/")
	return nil
}
