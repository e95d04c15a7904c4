package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/qcqp"
)

// channelGroup is one entry of pare info --channels --json.
type channelGroup struct {
	Map       string   `json:"map"`
	Channels  int      `json:"channels"`
	Prunable  bool     `json:"prunable"`
	Producers []string `json:"producers"`
	Reasons   []string `json:"reasons,omitempty"`
}

type channelsResult struct {
	Model    string         `json:"model"`
	Prunable int            `json:"prunable"`
	Frozen   int            `json:"frozen"`
	Groups   []channelGroup `json:"groups"`
}

func infoChannels(path string, m *onnx.Model, asJSON bool, stdout io.Writer) error {
	a, err := qcqp.Analyze(m)
	if err != nil {
		return err
	}
	r := channelsResult{Model: path, Prunable: a.Free(), Frozen: len(a.Maps) - a.Free()}
	for k, mp := range a.Maps {
		r.Groups = append(r.Groups, channelGroup{Map: mp.Name, Channels: mp.Channels, Prunable: !mp.Fixed, Producers: a.Members[k], Reasons: a.Frozen[k]})
	}
	if asJSON {
		return writeJSON(stdout, r)
	}
	fmt.Fprintf(stdout, "model     %s\n", path)
	fmt.Fprintf(stdout, "groups    %d prunable, %d frozen (one mask each; the producers joined by a residual Add or a\n          squeeze-excite Mul share one)\n\n", r.Prunable, r.Frozen)
	for _, g := range r.Groups {
		state := "prunable"
		if !g.Prunable {
			state = "frozen"
		}
		fmt.Fprintf(stdout, "%-8s %5d  %s\n", state, g.Channels, g.Map)
		if len(g.Producers) > 1 {
			fmt.Fprintf(stdout, "                tied: %s\n", strings.Join(g.Producers[1:], ", "))
		}
		for _, why := range g.Reasons {
			fmt.Fprintf(stdout, "                because: %s\n", why)
		}
	}
	return nil
}
