package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/pare-ml/pare/core/job"
	"github.com/pare-ml/pare/qcqp"
)

// progressBar draws a one-line progress bar with rate and ETA on a terminal.
// It stays silent for work that finishes within a second, when disabled
// (--json), or when the output is not a terminal.
type progressBar struct {
	w       io.Writer
	label   string
	total   int
	start   time.Time
	last    time.Time
	enabled bool
	drawn   bool
}

func newProgressBar(w io.Writer, label string, total int, enabled bool) *progressBar {
	now := time.Now()
	return &progressBar{w: w, label: label, total: total, start: now, enabled: enabled && isTerminal(w)}
}

// Update reports that done of total units are finished; extra is appended
// (for example the running accuracy).
func (p *progressBar) Update(done int, extra string) {
	if !p.enabled {
		return
	}
	now := time.Now()
	if now.Sub(p.start) < time.Second || (now.Sub(p.last) < 100*time.Millisecond && (p.total <= 0 || done < p.total)) {
		return
	}
	p.last = now
	if p.total <= 0 {
		// An amount of work not known in advance (a branch-and-bound
		// search): no bar and no ETA, the time so far instead; the
		// line's length varies, so the rest of it is cleared.
		fmt.Fprintf(p.w, "\r%s · %s %s\033[K", p.label, now.Sub(p.start).Round(100*time.Millisecond), extra)
		p.drawn = true
		return
	}
	frac := 0.0
	if p.total > 0 {
		frac = float64(done) / float64(p.total)
	}
	const width = 30
	filled := int(frac * width)
	elapsed := now.Sub(p.start)
	eta := "?"
	if done > 0 {
		remaining := time.Duration(float64(elapsed) * (float64(p.total-done) / float64(done)))
		eta = remaining.Round(time.Second).String()
	}
	fmt.Fprintf(p.w, "\r%s [%s%s] %d/%d %3.0f%% ETA %s %s", p.label,
		strings.Repeat("#", filled), strings.Repeat(".", width-filled), done, p.total, 100*frac, eta, extra)
	p.drawn = true
}

// Done clears the line if anything was drawn.
func (p *progressBar) Done() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// solverLine is pare prune's progress line while the qcqp solver runs:
// what its stage is doing (qcqp.StageText, the words the page shows),
// the time so far and the incumbent, gap and nodes. It is one bar whose
// label follows the stage, so the first second's silence counts from the
// solver's start, not from each stage's.
type solverLine struct {
	bar *progressBar
}

func newSolverLine(w io.Writer, enabled bool) *solverLine {
	return &solverLine{bar: newProgressBar(w, "", 0, enabled)}
}

// Update shows a solver step's progress.
func (l *solverLine) Update(pr job.Progress) {
	l.bar.label = "prune: " + qcqp.StageText(pr.Stage)
	l.bar.Update(int(pr.Done), compressFigures(pr))
}

// Done clears the line.
func (l *solverLine) Done() { l.bar.Done() }
