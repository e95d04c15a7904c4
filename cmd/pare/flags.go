package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// parseInterleaved parses flags that may appear before, between or after
// positional arguments ("pare eval MODEL --data DIR"), which the standard
// flag package alone does not allow. A lone "--" ends flag parsing.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usagef("%v (run 'pare %s --help' for the flags)", err, fs.Name())
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if rest[0] == "--" {
			return append(positional, rest[1:]...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// newFlagSet returns a FlagSet whose errors are returned, not fatal, with a
// usage line naming the command.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: pare %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// checkPreprocessFlags refuses preprocessing flags no image can be
// prepared with, as usage errors before any file is read.
func checkPreprocessFlags(scale float64, order string, std floatList) error {
	if scale == 0 || math.IsNaN(scale) || math.IsInf(scale, 0) {
		return usagef("--scale %v: give a finite, non-zero factor (1 keeps 0..255, 1/255 gives 0..1)", scale)
	}
	if o := strings.ToUpper(order); o != "RGB" && o != "BGR" {
		return usagef("--channel-order %q: use RGB or BGR", order)
	}
	for i, s := range std {
		if s == 0 || math.IsNaN(float64(s)) || math.IsInf(float64(s), 0) {
			return usagef("--std value %d is %v: the pixels are divided by it, so it must be finite and non-zero", i+1, s)
		}
	}
	return nil
}

// floatList is a comma-separated list of floats ("0.485,0.456,0.406").
type floatList []float32

func (l *floatList) String() string {
	parts := make([]string, len(*l))
	for i, v := range *l {
		parts[i] = strconv.FormatFloat(float64(v), 'g', -1, 32)
	}
	return strings.Join(parts, ",")
}

func (l *floatList) Set(s string) error {
	*l = (*l)[:0]
	for _, p := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 32)
		if err != nil {
			return fmt.Errorf("%q is not a number", p)
		}
		*l = append(*l, float32(v))
	}
	return nil
}

// ratio is a number that may be written as a fraction, as the help texts
// and the page write pixel scales: "1/255", "0.00392", "1".
type ratio float64

func (r *ratio) String() string { return strconv.FormatFloat(float64(*r), 'g', -1, 64) }

func (r *ratio) Set(s string) error {
	num, den, isFraction := strings.Cut(strings.TrimSpace(s), "/")
	v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil {
		return fmt.Errorf("%q is not a number or a fraction such as 1/255", s)
	}
	if isFraction {
		d, err := strconv.ParseFloat(strings.TrimSpace(den), 64)
		if err != nil || d == 0 {
			return fmt.Errorf("%q is not a number or a fraction such as 1/255", s)
		}
		v /= d
	}
	if math.IsNaN(v) || math.IsInf(v, 0) || v == 0 {
		return fmt.Errorf("%q must be a finite, non-zero number", s)
	}
	*r = ratio(v)
	return nil
}

// stringList collects a repeatable flag (-i a=x.npy -i b=y.npy).
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, " ") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

// writeJSON prints v as indented JSON, the --json output of every command.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
