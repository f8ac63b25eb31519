package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tessera-gis/tessera/internal/pgtest"
)

// blipKills are the connections TestMultiInstanceBlips cuts, by
// pg_terminate_backend, in turn: every connection of the servers, only
// their pools', only the heartbeat connections, only the LISTEN
// connections (tessera's and River's).
var blipKills = []struct{ name, where string }{
	{"all", `true`},
	{"pool", `application_name <> 'tessera heartbeat' AND query NOT ILIKE 'listen%'`},
	{"heartbeat", `application_name = 'tessera heartbeat'`},
	{"listen", `query ILIKE 'listen%'`},
}

// TestMultiInstanceBlips runs three servers on one PostGIS database and,
// while they run many small deletes (one item each, by OBJECTID) and a few
// large ones (hundreds to thousands of items), cuts their database
// connections again and again (pg_terminate_backend: all of them, the
// pools', the heartbeats', the LISTEN connections). Then every job is
// terminal within a minute, read through an instance other than the one it
// was submitted to; each ran at most once (at most one audit entry and one
// start); a succeeded delete removed exactly its items and a failed one
// none; a failed job says truly why; and the servers still run jobs.
func TestMultiInstanceBlips(t *testing.T) {
	t.Parallel()
	ownDatabase(t)
	pdb := pgtest.NewDatabase(t, "tessera_blip")
	ctx := context.Background()
	const (
		items = 6000
		small = 180 // one-item deletes, OBJECTID 1..small
		// Large deletes: [lo, hi) each.
		largeFrom = 1000
		largeSize = 1000
		large     = 5
	)
	seedPostgres(t, pdb.DSN, "Blip", items)
	conn, err := pgx.Connect(ctx, pdb.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)

	const timeout = 5 * time.Second // --instance-timeout
	dsn := withParam(pdb.DSN, "pool_max_conns", "8")
	ps := make([]*proc, 3)
	for i := range ps {
		ps[i] = startServer(t, t.TempDir(), "--db", dsn, "--instance-timeout", timeout.String(), "--jobs", "2",
			"--jobs-per-user", "2", "--max-queued", "1000")
	}

	// Requests are sent through a client that records every answer that
	// is not a 200: the blips may cost some, which the test reports.
	var (
		mu       sync.Mutex
		bad      = map[string]int{} // "status: message" → count
		submitAt = map[string]int{} // job ID → server it was submitted to
		wheres   = map[string]string{}
	)
	note := func(what string) {
		mu.Lock()
		bad[what]++
		mu.Unlock()
	}
	// call POSTs form to u; it returns the decoded answer, or nil after
	// noting why not.
	call := func(u string, form url.Values) map[string]any {
		form.Set("f", "json")
		resp, err := http.PostForm(u, form)
		if err != nil {
			note("transport: " + err.Error())
			return nil
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			note(fmt.Sprintf("%d: not JSON: %.200s", resp.StatusCode, body))
			return nil
		}
		if e, ok := m["error"].(map[string]any); ok {
			note(fmt.Sprintf("%d: error %v: %v %v", resp.StatusCode, e["code"], e["message"], e["details"]))
			return nil
		}
		if resp.StatusCode != http.StatusOK {
			note(fmt.Sprintf("%d: %.200s", resp.StatusCode, body))
			return nil
		}
		return m
	}
	submitDelete := func(i int, where string) {
		m := call(ps[i%3].GP("DeleteImage")+"/submitJob", url.Values{"imageCollection": {"Blip"}, "where": {where}})
		if m == nil {
			return
		}
		id, _ := m["jobId"].(string)
		if id == "" {
			note(fmt.Sprintf("submit answered %v", m))
			return
		}
		mu.Lock()
		submitAt[id], wheres[id] = i%3, where
		mu.Unlock()
	}

	// Rounds: submit a wave of deletes (small ones concurrently, and one
	// large), and cut connections while they run.
	blipCtx, stopBlips := context.WithCancel(ctx)
	kills := map[string]int{}
	blipsDone := make(chan struct{})
	go func() {
		defer close(blipsDone)
		for round := 0; blipCtx.Err() == nil && round < 40; round++ {
			k := blipKills[round%len(blipKills)]
			var n int
			err := conn.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
				WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend' AND (`+k.where+`)`).Scan(&n)
			if err != nil {
				t.Errorf("blip %s: %v", k.name, err)
				return
			}
			kills[k.name] += n
			select {
			case <-blipCtx.Done():
			case <-time.After(time.Duration(150+37*(round%5)) * time.Millisecond):
			}
		}
	}()
	var wg sync.WaitGroup
	inFlight := make(chan struct{}, 12)
	perWave := small / large
	for w := range large {
		lo := largeFrom + w*largeSize
		wg.Add(1)
		go func() {
			defer wg.Done()
			submitDelete(w, fmt.Sprintf("OBJECTID >= %d AND OBJECTID < %d", lo, lo+largeSize))
		}()
		for k := range perWave {
			i := w*perWave + k
			wg.Add(1)
			go func() {
				defer wg.Done()
				inFlight <- struct{}{}
				defer func() { <-inFlight }()
				submitDelete(i, "OBJECTID = "+strconv.Itoa(i+1))
			}()
		}
		time.Sleep(300 * time.Millisecond)
	}
	wg.Wait()
	// Keep cutting for a while after the last submission, while the queue
	// drains.
	time.Sleep(2 * time.Second)
	stopBlips()
	<-blipsDone
	blipsEnded := time.Now()
	t.Logf("connections cut: %v; %d jobs submitted", kills, len(submitAt))
	if len(submitAt) < small/2 {
		t.Fatalf("only %d of %d submissions were accepted: %v", len(submitAt), small+large, bad)
	}

	// Every job terminal within a minute, polled through another server.
	final := map[string]map[string]any{}
	deadline := blipsEnded.Add(time.Minute)
	for id, at := range submitAt {
		for {
			m := call(ps[(at+1)%3].GP("DeleteImage")+"/jobs/"+id, url.Values{})
			if m != nil {
				switch m["jobStatus"] {
				case "esriJobSucceeded", "esriJobFailed", "esriJobCancelled", "esriJobTimedOut":
					final[id] = m
				}
			}
			if final[id] != nil {
				break
			}
			if time.Now().After(deadline) {
				var state, instance string
				conn.QueryRow(ctx, `SELECT state, coalesce(instance, '') FROM jobs WHERE id = $1`, id).Scan(&state, &instance)
				t.Errorf("job %s (%s) not terminal %s after the blips: %v (state %s on %s)\n%s",
					id, wheres[id], time.Since(blipsEnded).Round(time.Second), m["jobStatus"], state, instance, messages(m))
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	t.Logf("all jobs terminal %s after the blips", time.Since(blipsEnded).Round(time.Millisecond))

	// At most once; the catalog matches the outcomes.
	ids := make([]string, 0, len(submitAt))
	for id := range submitAt {
		ids = append(ids, id)
	}
	rows, err := conn.Query(ctx, `SELECT j.id,
		(SELECT count(*) FROM audit_log a WHERE a.job_id = j.id),
		(SELECT count(*) FROM job_messages m WHERE m.job_id = j.id AND m.description LIKE 'Start Time:%')
		FROM jobs j WHERE j.id = ANY($1)`, ids)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var (
			id             string
			audits, starts int
		)
		if err := rows.Scan(&id, &audits, &starts); err != nil {
			t.Fatal(err)
		}
		if audits > 1 || starts > 1 {
			t.Errorf("job %s: %d audit entries and %d starts, want at most 1 of each", id, audits, starts)
		}
		if m := final[id]; m != nil && m["jobStatus"] == "esriJobSucceeded" && audits != 1 {
			t.Errorf("succeeded job %s has %d audit entries", id, audits)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	states := map[string]int{}
	failures := map[string]int{}
	wantLeft := items
	for id, m := range final {
		st, _ := m["jobStatus"].(string)
		states[st]++
		n := count(t, ps[2], "Blip", wheres[id])
		want := 1
		if strings.HasPrefix(wheres[id], "OBJECTID >=") {
			want = largeSize
		}
		switch st {
		case "esriJobSucceeded":
			wantLeft -= want
			if n != 0 {
				t.Errorf("succeeded job %s (%s) left %d items", id, wheres[id], n)
			}
			// No failure written over, or after, the success.
			if strings.Contains(messages(m), "esriJobMessageTypeError") {
				t.Errorf("succeeded job %s has error messages:\n%s", id, messages(m))
			}
		default:
			if n != want {
				t.Errorf("%s job %s (%s) changed the catalog: %d items left, want %d\n%s", st, id, wheres[id], n, want, messages(m))
			}
			var lines []string
			for _, l := range strings.Split(messages(m), "\n") {
				if strings.HasPrefix(l, "esriJobMessageTypeError") && !strings.Contains(l, "Failed at") {
					lines = append(lines, l)
				}
			}
			msg := strings.Join(lines, " | ")
			failures[msg]++
			if msg == "" || strings.Contains(msg, "Internal error") {
				t.Errorf("%s job %s says no true reason:\n%s", st, id, messages(m))
			}
		}
	}
	// A submission answered with an error whose transaction committed
	// anyway (the connection cut during COMMIT) left a job the test does
	// not know: count what it did.
	rows, err = conn.Query(ctx, `SELECT id, state, inputs::jsonb->>'where' FROM jobs WHERE id <> ALL($1) AND task = 'DeleteImage'`, ids)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, state, where string
		if err := rows.Scan(&id, &state, &where); err != nil {
			t.Fatal(err)
		}
		t.Logf("job %s (%s) was recorded though its submission answered an error; it is %s", id, where, state)
		if state == "succeeded" {
			if strings.HasPrefix(where, "OBJECTID >=") {
				wantLeft -= largeSize
			} else {
				wantLeft--
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if got := count(t, ps[0], "Blip", "1=1"); got != wantLeft {
		t.Errorf("%d items left, want %d (items less those of the succeeded deletes)", got, wantLeft)
	}
	t.Logf("outcomes: %v", states)
	for msg, n := range failures {
		t.Logf("%d× %s", n, msg)
	}
	var answers []string
	for what, n := range bad {
		answers = append(answers, fmt.Sprintf("%d× %s", n, what))
	}
	sort.Strings(answers)
	t.Logf("answers other than 200 during the blips: %d kinds\n%s", len(answers), strings.Join(answers, "\n"))
	// No request answered an internal error: a request whose connection
	// was cut answers 503 (the database was unavailable), says so, and is
	// logged as such, with the cut connection as its cause.
	for what := range bad {
		if strings.Contains(what, "error 500") || strings.Contains(what, "Internal error") {
			t.Errorf("a request answered an internal error: %s", what)
		}
		if strings.Contains(what, "error 503") && !strings.Contains(what, "lost its connection to the database") {
			t.Errorf("a 503 that does not say why: %s", what)
		}
	}
	causes := map[string]int{}
	for _, p := range ps {
		for _, l := range strings.Split(p.Logs(), "\n") {
			if strings.Contains(l, `msg="internal error"`) {
				t.Errorf("an internal error: %s", l)
				continue
			}
			if !strings.Contains(l, `msg="database unavailable"`) {
				continue
			}
			_, cause, _ := strings.Cut(l, " err=")
			if !strings.Contains(cause, "the connection to the database was lost") {
				t.Errorf("database unavailable, not because of a blip: %s", l)
			}
			_, op, _ := strings.Cut(cause, "was lost: ")
			op, _, _ = strings.Cut(op, ":")
			if strings.HasPrefix(op, "enqueue job ") {
				op = "enqueue job"
			}
			causes[op]++
		}
	}
	t.Logf("requests answered 503 (database unavailable), by operation: %v", causes)

	// The servers still run jobs, each one.
	for i, p := range ps {
		id, m := run(t, p, "DeleteImage", url.Values{"imageCollection": {"Blip"}, "where": {"OBJECTID = " + strconv.Itoa(items-i)}})
		if m["jobStatus"] != "esriJobSucceeded" {
			t.Errorf("job %s on server %d after the blips: %v\n%s", id, i, m["jobStatus"], messages(m))
		}
	}
}
