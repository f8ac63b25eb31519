package tasks_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/tasks/jobs"
)

// observer records what the engine tells it.
type observer struct {
	mu       sync.Mutex
	started  []string
	finished []string
	refused  []string
}

func (o *observer) JobStarted(task string, waited time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if waited < 0 {
		task += " (negative wait)"
	}
	o.started = append(o.started, task)
}

func (o *observer) JobFinished(task string, state mosaic.JobState, ran time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.finished = append(o.finished, task+" "+string(state))
}

func (o *observer) JobRefused(task string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.refused = append(o.refused, task)
}

// TestEngineObserver: the observer hears of every start, end and refusal,
// and a job records the request id it was submitted with.
func TestEngineObserver(t *testing.T) {
	t.Parallel()
	o := &observer{}
	b := setupEngine(t, jobs.Config{Workers: 1, MaxQueuedPerUser: 2, Observer: o})
	opts := gateAdmin
	opts.RequestID = "req-a"
	a, err := b.engine.Submit(context.Background(), "Gate", map[string]string{"label": "a"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	b.waitStarted(t, 1)
	second := b.submit(t, "b", 0)
	if _, err := b.engine.Submit(context.Background(), "Gate", map[string]string{"label": "c"}, gateAdmin); mosaic.ErrorCode(err) != mosaic.ELIMIT {
		t.Fatalf("third unfinished job: %v, want ELIMIT", err)
	}
	if _, err := b.engine.Cancel(context.Background(), a.ID); err != nil {
		t.Fatal(err)
	}
	j := b.waitState(t, a.ID, mosaic.JobCancelled)
	if len(j.Messages) < 2 || j.Messages[0].Description != "Submitted." || j.Messages[1].Description != "Submitted by request req-a." {
		t.Errorf("the job's messages do not start with Submitted. and its request: %v", j.Messages)
	}
	b.waitStarted(t, 2)
	close(b.gate.release)
	b.waitState(t, second, mosaic.JobSucceeded)
	deadline := time.Now().Add(10 * time.Second)
	for {
		o.mu.Lock()
		started, finished, refused := slices.Clone(o.started), slices.Clone(o.finished), slices.Clone(o.refused)
		o.mu.Unlock()
		want := []string{"Gate cancelled", "Gate succeeded"}
		if slices.Equal(finished, want) {
			if !slices.Equal(started, []string{"Gate", "Gate"}) || !slices.Equal(refused, []string{"Gate"}) {
				t.Errorf("started %v, refused %v", started, refused)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("finished %v, want %v", finished, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
