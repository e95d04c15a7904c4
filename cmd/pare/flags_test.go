package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The help of --scale says "1/255 gives 0..1" and the page accepts 1/255,
// but the flag once parsed only decimals and refused 1/255 as "invalid
// value".
func TestRatioParsesFractions(t *testing.T) {
	for in, want := range map[string]float64{"1/255": 1.0 / 255, " 1 / 255 ": 1.0 / 255, "0.5": 0.5, "1": 1, "2/1": 2, "-1": -1} {
		var r ratio
		if err := r.Set(in); err != nil || float64(r) != want {
			t.Errorf("Set(%q) = %v, %v; want %v", in, float64(r), err, want)
		}
	}
	for _, in := range []string{"", "abc", "1/0", "1/", "/255", "0", "NaN", "Inf", "1/x"} {
		var r ratio
		if err := r.Set(in); err == nil {
			t.Errorf("Set(%q) = %v, want an error", in, float64(r))
		}
	}
}

// flagMention is a flag as help texts and messages write it: --name or -o.
var flagMention = regexp.MustCompile(`(?:^|[\s(\[,'"])--?([a-z][a-z0-9-]*)\b`)

// definedFlags runs pare CMD --help and returns the flags it lists and the
// whole help text.
func definedFlags(t *testing.T, cmd string) (map[string]bool, string) {
	t.Helper()
	_, help, code := runPare(t, cmd, "--help")
	if code != 0 {
		t.Fatalf("pare %s --help: exit %d: %s", cmd, code, help)
	}
	defined := map[string]bool{}
	for line := range strings.SplitSeq(help, "\n") {
		if m := regexp.MustCompile(`^  -([a-z][a-z0-9-]*)`).FindStringSubmatch(line); m != nil {
			defined[m[1]] = true
		}
	}
	return defined, help
}

// Every flag a command's help names is a flag of that command.
func TestHelpNamesOnlyFlagsThatExist(t *testing.T) {
	for _, c := range commands() {
		defined, help := definedFlags(t, c.name)
		for _, m := range flagMention.FindAllStringSubmatch(help, -1) {
			if !defined[m[1]] && m[1] != "h" && m[1] != "help" {
				t.Errorf("pare %s --help names -%s, which pare %s does not have", c.name, m[1], c.name)
			}
		}
	}
}

// A flag whose help writes a fraction ("1/255 gives 0..1") takes one:
// pare eval --scale 1/255 was refused as an invalid value while its help
// said so, and quantize's --scale repeated it.
func TestFlagsTakeTheFractionsTheirHelpShows(t *testing.T) {
	flagLine := regexp.MustCompile(`^  -([a-z][a-z0-9-]*) (\w+)\n\s+(.*)$`)
	for _, c := range commands() {
		_, help := definedFlags(t, c.name)
		lines := strings.Split(help, "\n")
		for i := 0; i+1 < len(lines); i++ {
			m := flagLine.FindStringSubmatch(lines[i] + "\n" + lines[i+1])
			if m == nil || !regexp.MustCompile(`\b1/255\b`).MatchString(m[3]) {
				continue
			}
			if m[2] == "float" {
				t.Errorf("pare %s -%s: its help shows 1/255 but the flag parses only decimals (a float flag)", c.name, m[1])
			}
		}
	}
}

// Every flag named in a message of the command line (an error, a note, a
// usage line) is a flag of some pare command: "set the split to train"
// once pointed eval users to a --split that eval did not have.
func TestMessagesNameOnlyFlagsThatExist(t *testing.T) {
	all := map[string][]string{}
	for _, c := range commands() {
		defined, _ := definedFlags(t, c.name)
		for f := range defined {
			all[f] = append(all[f], c.name)
		}
	}
	files, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, _ := strconv.Unquote(lit.Value)
			for _, m := range flagMention.FindAllStringSubmatch(s, -1) {
				if _, ok := all[m[1]]; !ok && !slices.Contains([]string{"h", "help", "version"}, m[1]) {
					t.Errorf("%s: %q names -%s, which no pare command has", fset.Position(lit.Pos()), s, m[1])
				}
			}
			return true
		})
	}
}

func TestVersionFlag(t *testing.T) {
	for _, arg := range []string{"version", "--version", "-version"} {
		out, errs, code := runPare(t, arg)
		if code != 0 || !strings.HasPrefix(out, "pare "+version+" (commit ") || errs != "" {
			t.Errorf("pare %s: exit %d, stdout %q, stderr %q; want the version and commit", arg, code, out, errs)
		}
	}
	if _, _, code := runPare(t, "version", "extra"); code != 2 {
		t.Errorf("pare version extra: exit %d, want 2", code)
	}
}

// Every command that reads images takes the same preprocessing flags and
// refuses a --std of 0 (every pixel would become infinite) as a usage
// error before it reads anything. pare quantize once took --std 0 and
// trained on infinities.
func TestPreprocessFlagsShared(t *testing.T) {
	out := filepath.Join(t.TempDir(), "x.onnx")
	for _, args := range [][]string{
		{"eval", demoModel, "--data", "x"},
		{"finetune", demoModel, "--data", "x", "-o", out},
		{"train", demoModel, "--data", "x", "-o", out},
		{"quantize", demoModel, "--data", "x", "-o", out},
		{"compress", demoModel, "--data", "x", "--budget", "macs=50%", "-o", out},
		{"prune", demoModel, "--data", "x", "--budget", "macs=50%", "-o", out},
	} {
		help, _ := definedFlags(t, args[0])
		for _, name := range preprocessFlagNames {
			if !help[name] {
				t.Errorf("pare %s has no --%s", args[0], name)
			}
		}
		_, errs, code := runPare(t, append(args, "--std", "0")...)
		if code != 2 || !strings.Contains(errs, "--std value 1 is 0") {
			t.Errorf("pare %s --std 0: exit %d, stderr %q; want a usage error naming --std", args[0], code, errs)
		}
	}
}
